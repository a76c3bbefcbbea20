//! [`Sgd`], its kernel, and the check of its steps.

use super::state::SavedState;
use super::{Largest, WeightDecay, check_learn_rate, within_limit};
use crate::error::Result;
use crate::kernels::ops::multiversion;
use crate::model::{Optimizer, Param, Params, check_grad_clip};
use crate::training::named_settings::NamedSettings;

/// Stochastic gradient descent: `w -= learn_rate * g`.
///
/// The settings are checked by [`validate`](Optimizer::validate), which
/// [`finish_update`](crate::Params::finish_update) calls before every update: `learn_rate`
/// finite and at least 0, a weight decay rate finite and at least 0, and `grad_clip` `None` or
/// finite and above 0.
///
/// It keeps no state: [`save_state`](Optimizer::save_state) saves its settings, and
/// [`load_state`](Optimizer::load_state) only checks that they are its own (all but the
/// learning rate, which schedules set at every step).
///
/// ```
/// use weft_runtime::{Optimizer, Param, Sgd};
/// let mut w = Param::new(&[2], vec![1.0, 2.0]);
/// w.value_and_grad_mut().1.copy_from_slice(&[0.5, -1.0]);
/// Sgd::new(0.1).update("w", &mut w, 1.0);
/// assert_eq!(w.value(), &[0.95, 2.1]);
/// assert_eq!(&w.grad()[..], &[0.0, 0.0]);
/// ```
#[derive(Clone, Debug)]
pub struct Sgd {
    /// Step size.
    pub learn_rate: f32,
    /// Weight decay.
    pub weight_decay: WeightDecay,
    /// Global gradient-norm clipping.
    pub grad_clip: Option<f32>,
}

/// The constants of one SGD step, for [`sgd_kernel`].
struct SgdStep {
    learn_rate: f32,
    l2: f32,
    decay: f32,
    grad_scale: f32,
}

impl SgdStep {
    /// The new value of one value `w` of gradient `grad`.
    #[inline(always)]
    fn apply(&self, w: f32, grad: f32) -> f32 {
        let grad = grad * self.grad_scale + self.l2 * w;
        w - self.learn_rate * (grad + self.decay * w)
    }

    /// Whether a row of zero gradient moves: with weight decay only.
    fn moves_idle_rows(&self) -> bool {
        self.l2 != 0.0 || self.decay != 0.0
    }

    /// Whether the step keeps every value it computes [`within_limit`], for values of
    /// magnitude at most `value` and gradients (before scaling) `grad`: bounds of each
    /// intermediate of [`apply`](Self::apply), in `f64`.
    fn stays_within_limit(&self, value: f32, grad: f32) -> bool {
        let f = f64::from;
        let grad = f(grad) * f(self.grad_scale) + f(self.l2) * f(value);
        let value = f(value) + f(self.learn_rate) * (grad + f(self.decay) * f(value));
        within_limit(&[grad, value])
    }
}

multiversion! {
    /// One SGD step over rows of `width` values: the `touched` rows, and the others too when
    /// they move ([`SgdStep::moves_idle_rows`]). Zeroes the gradient of the rows it steps;
    /// returns the largest magnitude it wrote.
    fn sgd_kernel(
        s: &SgdStep,
        values: &mut [f32],
        grads: &mut [f32],
        width: usize,
        touched: &[bool],
    ) -> Largest {
        let mut largest = Largest::default();
        let moves_idle_rows = s.moves_idle_rows();
        let rows = values.chunks_mut(width.max(1));
        let rows = rows.zip(grads.chunks_mut(width.max(1))).zip(touched);
        for ((values, grads), _) in rows.filter(|(_, t)| **t || moves_idle_rows) {
            for (w, g) in values.iter_mut().zip(grads.iter_mut()) {
                *w = s.apply(*w, *g);
                *g = 0.0;
                largest.add(*w, 0.0, 0.0);
            }
        }
        largest
    }
}

multiversion! {
    /// The largest magnitude one SGD step over `values` with the gradient `grads` would write;
    /// nothing is written.
    fn sgd_dry_run(s: &SgdStep, values: &[f32], grads: &[f32]) -> Largest {
        let mut largest = Largest::default();
        for (&w, &g) in values.iter().zip(grads) {
            largest.add(s.apply(w, g), 0.0, 0.0);
        }
        largest
    }
}

impl Sgd {
    /// SGD with `learn_rate`, no weight decay, no clipping.
    pub fn new(learn_rate: f32) -> Self {
        Sgd {
            learn_rate,
            weight_decay: WeightDecay::None,
            grad_clip: None,
        }
    }

    /// The settings a saved state must have been saved under: all but the learning rate.
    fn settings(&self) -> NamedSettings {
        NamedSettings::new([
            ("weight_decay", format!("{:?}", self.weight_decay)),
            ("grad_clip", format!("{:?}", self.grad_clip)),
        ])
    }

    /// The constants of a step for gradients times `grad_scale`.
    fn constants(&self, grad_scale: f32) -> SgdStep {
        SgdStep {
            learn_rate: self.learn_rate,
            l2: self.weight_decay.penalty(),
            decay: self.weight_decay.decoupled(),
            grad_scale,
        }
    }
}

impl Optimizer for Sgd {
    fn set_learn_rate(&mut self, rate: f32) -> Result<()> {
        self.learn_rate = rate;
        self.validate()
    }
    fn grad_clip(&self) -> Option<f32> {
        self.grad_clip
    }

    fn validate(&self) -> Result<()> {
        check_learn_rate("Sgd", self.learn_rate)?;
        self.weight_decay.validate("Sgd")?;
        check_grad_clip("Sgd", self.grad_clip)
    }

    fn begin_step(&mut self) {}

    fn check(&self, path: &str, param: &Param, grad_scale: f32, grad_norm: f32) -> Result<()> {
        let step = self.constants(grad_scale);
        if step.stays_within_limit(param.magnitude_bound(), grad_norm) {
            return Ok(());
        }
        sgd_dry_run(&step, param.value(), &param.grad()).within_limit_or_refused(path)
    }

    fn update(&mut self, _: &str, param: &mut Param, grad_scale: f32) {
        let step = self.constants(grad_scale);
        // The rows the step skips keep their values, which the bound before it bounds.
        let skipped = (!step.moves_idle_rows()).then(|| param.magnitude_bound());
        param.update_bounded(|u| {
            let mut largest = sgd_kernel(&step, u.values, u.grad, u.width, u.touched);
            if let Some(bound) = skipped {
                largest.add(bound, 0.0, 0.0);
            }
            largest.value()
        });
    }

    /// The settings alone: SGD keeps no state.
    fn save_state(&self, _: &dyn Params) -> Result<Vec<u8>> {
        Ok(SavedState::new("Sgd", self.settings()).seal())
    }

    /// Checks the state: saved by SGD under these settings.
    fn load_state(&mut self, state: &[u8], _: &dyn Params) -> Result<()> {
        SavedState::open(state, "Sgd", &self.settings()).map(drop)
    }
}
