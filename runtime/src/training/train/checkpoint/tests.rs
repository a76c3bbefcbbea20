//! Checkpoints: a run stopped after an evaluation and resumed from its checkpoint, in another
//! model and optimizer, ends as the run uninterrupted does, bit for bit; a checkpoint of
//! another run, damaged, cut short or missing is refused, naming why, and changes nothing.

use std::path::PathBuf;

use super::super::tests::{Classifier, classifier, examples, settings, task};
use super::super::{Evaluation, Observer, Outcome, Settings, resume, train};
use crate::error::{Error, Result};
use crate::model::{Optimizer, Params};
use crate::training::Adam;

/// A file for the checkpoint of test `name`, none there yet.
fn checkpoint_file(name: &str) -> PathBuf {
    let file = format!("weft-checkpoint-{name}-{}.ckpt", std::process::id());
    let path = std::env::temp_dir().join(file);
    let _ = std::fs::remove_file(&path);
    path
}

/// What a run showed its observer: the weights evaluated at each evaluation, and the
/// evaluations. After `stop_after` evaluations (if set), the next stops training.
#[derive(Default)]
struct Seen {
    weights: Vec<Vec<u8>>,
    evaluations: Vec<Evaluation>,
    stop_after: Option<usize>,
}

impl Observer<Classifier> for Seen {
    fn evaluation(&mut self, evaluation: &Evaluation, model: &Classifier) -> Result<()> {
        if self.stop_after == Some(self.evaluations.len()) {
            let stop = std::io::Error::other("stopped by the test");
            return Err(Error::Io {
                path: "-".into(),
                source: stop,
            });
        }
        self.weights.push(model.to_bytes()?);
        self.evaluations.push(evaluation.clone());
        Ok(())
    }
}

/// The weights all the runs of a test start from.
fn initial() -> Vec<u8> {
    static INITIAL: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    INITIAL
        .get_or_init(|| classifier(4).to_bytes().unwrap())
        .clone()
}

/// A run of `settings` from the [`initial`] weights, its observer stopping it after
/// `stop_after` evaluations (if set): the model, the optimizer, what the observer saw, and the
/// outcome.
fn trained(
    settings: &Settings,
    stop_after: Option<usize>,
) -> (Classifier, Adam, Seen, Result<Outcome>) {
    let (mut model, mut adam) = (classifier(4), Adam::new(0.001));
    model.from_bytes(&initial()).unwrap();
    let mut seen = Seen {
        stop_after,
        ..Seen::default()
    };
    let data = examples();
    let outcome = train(
        &mut model,
        &mut adam,
        &task(),
        &data,
        &data,
        settings,
        &mut seen,
    );
    (model, adam, seen, outcome)
}

/// [`resume`] into `model` and `adam` from the checkpoint of `settings`.
fn resumed(
    settings: &Settings,
    model: &mut Classifier,
    adam: &mut Adam,
) -> (Seen, Result<Outcome>) {
    let mut seen = Seen::default();
    let data = examples();
    let outcome = resume(model, adam, &task(), &data, &data, settings, &mut seen);
    (seen, outcome)
}

/// The evaluations without their times, which differ from run to run.
fn untimed(evaluations: &[Evaluation]) -> Vec<Evaluation> {
    let untimed = |e: &Evaluation| Evaluation {
        seconds: 0.0,
        ..e.clone()
    };
    evaluations.iter().map(untimed).collect()
}

/// Five examples in batches of two: three batches an epoch, an evaluation every second step
/// (steps 2, 4, 6 and 8) and after the last (9), and a learning rate that changes the predictions. The run stops at
/// its third evaluation, so its checkpoint is the second's, at the first batch of epoch 2:
/// mid-epoch, with the shuffled order, the generator and Adam's moments and step count to
/// carry on. Resumed in a fresh model and optimizer (other weights, no moments), it shows
/// the evaluations from the third on, evaluates the same weights, returns the same best
/// weights and leaves Adam as the uninterrupted run does; with and without averages.
#[test]
fn a_resumed_run_ends_as_the_uninterrupted_one_bit_for_bit() {
    for averages in [false, true] {
        let path = checkpoint_file(&format!("resumed-{averages}"));
        let settings = Settings {
            averages,
            checkpoint: Some(path.clone()),
            ..settings(3, 0.05, 2, 2)
        };
        let whole_settings = Settings {
            checkpoint: None,
            ..settings.clone()
        };
        let (whole_model, whole_adam, whole, outcome) = trained(&whole_settings, None);
        let outcome = outcome.unwrap();
        let at: Vec<_> = (outcome.evaluations.iter())
            .map(|e| (e.epoch, e.step))
            .collect();
        assert_eq!(at, [(1, 2), (2, 4), (2, 6), (3, 8), (3, 9)]);

        let (_, _, stopped, error) = trained(&settings, Some(2));
        assert_eq!(error.unwrap_err().to_string(), "-: stopped by the test");
        assert_eq!(stopped.weights, whole.weights[..2]);

        let (mut model, mut adam) = (classifier(4), Adam::new(0.001));
        let (seen, resumed_outcome) = resumed(&settings, &mut model, &mut adam);
        let resumed_outcome = resumed_outcome.unwrap();
        assert_eq!(untimed(&seen.evaluations), untimed(&whole.evaluations[2..]));
        assert_eq!(seen.weights, whole.weights[2..], "averages: {averages}");
        assert_eq!(
            untimed(&resumed_outcome.evaluations),
            untimed(&outcome.evaluations)
        );
        assert_eq!(model.to_bytes().unwrap(), whole_model.to_bytes().unwrap());
        let state = |adam: &Adam, model: &Classifier| adam.save_state(model).unwrap();
        assert_eq!(state(&adam, &model), state(&whole_adam, &whole_model));
        std::fs::remove_file(&path).unwrap();
    }
}

/// A run whose patience ran out at its last checkpoint stops there when resumed, as it did.
#[test]
fn a_run_resumed_where_patience_ran_out_stops_at_once() {
    let path = checkpoint_file("patience");
    let settings = Settings {
        patience: Some(1),
        checkpoint: Some(path.clone()),
        // A learning rate too small to change a prediction: no evaluation beats the first.
        ..settings(10, 1e-12, 2, 2)
    };
    let (_, _, _, outcome) = trained(&settings, None);
    let outcome = outcome.unwrap();
    assert!(outcome.stopped_early);
    let (mut model, mut adam) = (classifier(4), Adam::new(0.001));
    let (seen, resumed) = resumed(&settings, &mut model, &mut adam);
    let resumed = resumed.unwrap();
    assert!(resumed.stopped_early && seen.evaluations.is_empty());
    assert_eq!(resumed.evaluations.len(), outcome.evaluations.len());
    std::fs::remove_file(&path).unwrap();
}

/// Each bad checkpoint is refused with its reason, and leaves the model and the optimizer
/// as they were: a checkpoint of another network, of other settings, of an optimizer of other
/// settings (found once the weights have loaded), a damaged one, one cut short, a model's
/// file, and no file at all.
#[test]
fn bad_checkpoints_are_refused_naming_why_and_change_nothing() {
    let path = checkpoint_file("bad");
    let settings = Settings {
        checkpoint: Some(path.clone()),
        ..settings(2, 0.05, 2, 2)
    };
    let (_, _, _, outcome) = trained(&settings, Some(1));
    assert!(outcome.is_err());
    let good = std::fs::read(&path).unwrap();
    let shown = path.display();

    let refused = |settings: &Settings, mut model: Classifier, mut adam: Adam| {
        let (weights, state) = (model.to_bytes().unwrap(), adam.save_state(&model).unwrap());
        let (seen, outcome) = resumed(settings, &mut model, &mut adam);
        assert!(seen.evaluations.is_empty());
        assert_eq!(model.to_bytes().unwrap(), weights, "the model changed");
        assert_eq!(
            adam.save_state(&model).unwrap(),
            state,
            "the optimizer changed"
        );
        outcome.unwrap_err().to_string()
    };
    let fresh = || (classifier(4), Adam::new(0.001));
    let (model, adam) = fresh();
    assert_eq!(
        refused(&settings, classifier(8), adam),
        format!(
            "checkpoint {shown}: its weights: the architecture differs at layer 0.embed: \
             width = 4 in the file, width = 8 in the model"
        )
    );
    let reseeded = Settings {
        seed: 1,
        ..settings.clone()
    };
    assert_eq!(
        refused(&reseeded, model, Adam::new(0.001)),
        format!("checkpoint {shown}: it has seed = 0, this run has seed = 1")
    );
    let mut other_adam = Adam::new(0.001);
    other_adam.beta1 = 0.8;
    assert_eq!(
        refused(&settings, classifier(4), other_adam),
        format!(
            "checkpoint {shown}: its optimizer's state: the state has beta1 = 0.9, this \
             optimizer has beta1 = 0.8"
        )
    );

    let mut damaged = good.clone();
    damaged[good.len() / 2] ^= 0x10;
    std::fs::write(&path, &damaged).unwrap();
    let (model, adam) = fresh();
    let message = refused(&settings, model, adam);
    let expected = format!(
        "checkpoint {shown}: the checkpoint is damaged: its checksum does not match its \
         contents (0x"
    );
    assert!(message.starts_with(&expected), "{message}");

    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let (model, adam) = fresh();
    assert_eq!(
        refused(&settings, model, adam),
        format!(
            "checkpoint {shown}: not a weft checkpoint: truncated: the bytes end at {}, \
             inside the checkpoint",
            good.len() / 2
        )
    );

    let (model, adam) = fresh();
    model.to_disk(&path).unwrap();
    assert_eq!(
        refused(&settings, model, adam),
        format!(
            "checkpoint {shown}: not a weft checkpoint: the format field is \"weft\", not \
             \"weft-checkpoint\""
        )
    );

    std::fs::remove_file(&path).unwrap();
    let (model, adam) = fresh();
    assert_eq!(
        refused(&settings, model, adam),
        format!("{shown}: No such file or directory (os error 2)")
    );
    let (model, adam) = fresh();
    let nowhere = Settings {
        checkpoint: None,
        ..settings
    };
    assert_eq!(
        refused(&nowhere, model, adam),
        "checkpoint: nothing to resume from: Settings::checkpoint names no file"
    );
}
