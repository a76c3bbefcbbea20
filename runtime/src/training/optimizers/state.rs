//! [`SavedState`]: an optimizer's state as [`Optimizer::save_state`](crate::Optimizer::save_state)
//! gives it, sealed as an optimizer state (`io::envelope`; `docs/format.md`, "Checkpoints"):
//! the optimizer's name and settings, its step count, and its moments of each parameter.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::io::envelope::{OPTIMIZER_STATE, open, seal};
use crate::io::serialize::{Tensor, read_tensors};
use crate::model::Params;
use crate::training::named_settings::NamedSettings;

/// An optimizer's saved state.
#[derive(Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a map of optimizer, settings, step, means and variances"
)]
pub(super) struct SavedState<'a> {
    /// The optimizer's name: `Adam`, `Sgd`.
    optimizer: String,
    /// Its settings: all but the learning rate, which the training loop sets at every step.
    settings: NamedSettings,
    /// The updates made so far (Adam's bias correction counts them); 0 for SGD.
    pub(super) step: i64,
    /// Adam's first moments of the model's parameters, those it has, in walk order.
    #[serde(borrow)]
    pub(super) means: Vec<Tensor<'a>>,
    /// Adam's second moments, of the same parameters.
    #[serde(borrow)]
    pub(super) variances: Vec<Tensor<'a>>,
}

impl SavedState<'_> {
    /// The state of the optimizer `optimizer` under `settings`, of no step and no moment yet.
    pub(super) fn new(optimizer: &str, settings: NamedSettings) -> Self {
        SavedState {
            optimizer: optimizer.to_owned(),
            settings,
            step: 0,
            means: Vec::new(),
            variances: Vec::new(),
        }
    }

    /// The state as bytes, sealed.
    pub(super) fn seal(&self) -> Vec<u8> {
        seal(&OPTIMIZER_STATE, self)
    }

    /// The state that `bytes` hold, once checked: sealed whole, and saved by the optimizer
    /// `optimizer` under `settings`, those of the one that loads it. Else an
    /// [`Error::Checkpoint`] saying why not.
    pub(super) fn open(bytes: &[u8], optimizer: &str, settings: &NamedSettings) -> Result<Self> {
        let state: Self = open(&OPTIMIZER_STATE, bytes).map_err(Error::checkpoint)?;
        if state.optimizer != optimizer {
            let saved = &state.optimizer;
            let message = format!("the state is {saved}'s, and this optimizer is {optimizer}");
            return Err(Error::checkpoint(message));
        }
        let check = state
            .settings
            .check(settings, "the state", "this optimizer");
        check.map_err(Error::checkpoint)?;
        Ok(state)
    }

    /// The means and variances, by path, each of one of `model`'s parameters and of its shape,
    /// of the same parameters; else an [`Error::Checkpoint`] naming the first that is not.
    pub(super) fn moments(&self, model: &dyn Params) -> Result<Vec<(String, Vec<f32>, Vec<f32>)>> {
        let read = |tensors, what| {
            read_tensors(tensors, model)
                .map_err(|error| Error::checkpoint(format!("the state's {what}: {error}")))
        };
        let means = read(&self.means, "means")?;
        let variances = read(&self.variances, "variances")?;
        if !means.keys().eq(variances.keys()) {
            let message = "the state's means and variances are of different parameters";
            return Err(Error::checkpoint(message));
        }
        let moments = means.into_iter().zip(variances.into_values());
        Ok(moments
            .map(|((path, mean), var)| (path, mean, var))
            .collect())
    }
}
