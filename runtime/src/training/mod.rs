//! Training: the loop ([`train()`]) over [`Examples`] for a [`Task`] (text classification,
//! tagging), as [`Settings`] say, with its [`Evaluation`]s, its checkpoints and [`resume()`],
//! which goes on from one; learning-rate and batch-size schedules ([`Schedule`]); parameter
//! averaging ([`ParamAverages`]); evaluation metrics ([`Scores`]); the optimizers ([`Sgd`],
//! [`Adam`]) and their saved states; the losses; [`gradcheck()`], which checks a layer's
//! gradients against finite differences; and data-parallel training ([`train_data_parallel`]),
//! whose processes share their gradients through an [`Exchange`] (one process: [`Alone`], which
//! sends nothing; with the feature `mpi`, `Mpi`).
//!
//! What it may use: `model/`, `data/` and `kernels/`; and `io/` for checkpoints and optimizer
//! states: their sealed form (`io::envelope`), the saved form of their parameters
//! (`io::serialize`), the checksum of their examples and their files (`io::disk`).

mod averages;
mod examples;
mod exchange;
mod gradcheck;
pub mod losses;
mod metrics;
#[cfg(feature = "mpi")]
mod mpi;
mod named_settings;
mod optimizers;
mod schedules;
mod task;
#[cfg(test)]
pub(crate) mod testing;
mod train;

pub use averages::{Averaged, ParamAverages};
pub use examples::{BatchSize, Examples, Sequence};
pub use exchange::{Alone, Exchange};
pub use gradcheck::{GradEntry, GradcheckOptions, GradcheckReport, gradcheck};
pub use metrics::{ClassScores, Scores};
#[cfg(feature = "mpi")]
pub use mpi::Mpi;
pub use optimizers::{Adam, Sgd, WeightDecay};
pub use schedules::Schedule;
pub use task::{Tagging, Task, TextClassification};
pub use train::{
    Begin, Data, Evaluation, Observer, Outcome, Score, Settings, evaluate, predict, resume, train,
    train_data_parallel,
};
