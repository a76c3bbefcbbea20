//! Training an example's network with the library's loop: the settings from the options, an
//! evaluation line after every epoch, and the best epoch's model scored on test.

use weft::pipeline::Corpus;
use weft::training::{BatchSize, Evaluation, Schedule, Sequence, Settings, Task, evaluate, train};
use weft::{Adam, Batch, Model, Ragged};

use crate::common::Options;

/// The settings of the training loop: the options' epochs, batches of `batch_size` examples,
/// learning rate and seed; an evaluation on dev after every epoch.
fn settings(options: &Options) -> Settings {
    Settings {
        epochs: options.epochs,
        batch_size: BatchSize::examples(options.batch_size),
        learn_rate: Schedule::Constant {
            rate: f64::from(options.learn_rate),
        },
        seed: options.seed,
        ..Settings::default()
    }
}

/// Trains `model` for `task` on `data` with Adam as `options` say, printing an evaluation on dev
/// after every epoch, then scores the best epoch's model (the one training returns) on test.
pub fn train_and_test<M, T, S>(
    model: &mut M,
    task: &T,
    data: &Corpus<T::Truth, S>,
    options: &Options,
) -> weft::Result<()>
where
    M: Model<In = Ragged<S::Rows>, Out = T::Out>,
    M::Out: Batch,
    T: Task,
    S: Sequence,
{
    let mut adam = Adam::new(options.learn_rate);
    let mut print = |evaluation: &Evaluation| println!("{evaluation}");
    let settings = settings(options);
    train(
        model,
        &mut adam,
        task,
        &data.train,
        &data.dev,
        &settings,
        &mut print,
    )?;
    if let Some(test) = &data.test {
        println!("test acc {:.4}", evaluate(model, task, test)?.accuracy);
    }
    Ok(())
}
