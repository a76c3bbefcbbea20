//! weft's integration tests: one test binary, one module per topic.

mod boxed;
mod saving;
mod training;
