//! weft's integration tests: one test binary, one module per topic.

mod boxed;
mod cli;
mod derive;
mod grammar;
mod model_macro;
mod network;
mod pairs;
mod parallel;
mod saving;
mod saving_disk;
mod saving_mutations;
mod training;
mod ui;
