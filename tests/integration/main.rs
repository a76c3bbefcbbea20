//! weft's integration tests: one test binary, one module per topic.

mod boxed;
mod model_macro;
mod saving;
mod training;
mod ui;
