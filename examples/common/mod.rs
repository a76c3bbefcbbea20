//! What the example programs share: command-line options.
//!
//! The tasks themselves (files, network, loss, predictions) are `textcat.rs` and `tagger.rs`
//! next to this file. A program includes the ones it runs with
//! `#[path = "common/textcat.rs"] mod textcat;`, so that none carries code it does not use.

use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Options of the example trainers: `--train`, `--dev`, `--test` paths and numbers.
pub struct Options {
    /// The training file.
    pub train: PathBuf,
    /// The file scored after every epoch.
    pub dev: PathBuf,
    /// The file scored once at the end, if any.
    pub test: Option<PathBuf>,
    /// Passes over the training data.
    pub epochs: usize,
    /// Examples per training step.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learn_rate: f32,
    /// Seeds the initialization and the shuffling.
    pub seed: u64,
}

impl Options {
    /// Training on the `train` split in folder `dir`, scored on its `dev` split, for `epochs`
    /// epochs; `file` names a split's file. No test split, batches of 32, learning rate 0.001,
    /// seed 0.
    pub fn new(dir: &Path, file: fn(&str) -> String, epochs: usize) -> Options {
        Options {
            train: dir.join(file("train")),
            dev: dir.join(file("dev")),
            test: None,
            epochs,
            batch_size: 32,
            learn_rate: 0.001,
            seed: 0,
        }
    }

    /// Applies `args`, the `--flag value` pairs from [`args`]. Prints `usage` and exits on an
    /// unknown flag or a bad value.
    pub fn apply(&mut self, usage: &str, args: Vec<(String, String)>) {
        for (flag, value) in args {
            let (flag, value) = (flag.as_str(), value.as_str());
            match flag {
                "--train" => self.train = value.into(),
                "--dev" => self.dev = value.into(),
                "--test" => self.test = Some(value.into()),
                "--epochs" => self.epochs = number(usage, flag, value),
                "--batch-size" => self.batch_size = number::<usize>(usage, flag, value).max(1),
                "--seed" => self.seed = number(usage, flag, value),
                "--lr" => self.learn_rate = number(usage, flag, value),
                _ => fail(usage, &format!("unknown option {flag}")),
            }
        }
    }
}

/// The folder of the shipped data, `examples/data`.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data")
}

/// The `--flag value` pairs of the command line. Prints `usage` and exits on `--help` or on a
/// flag without a value.
pub fn args(usage: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            println!("{usage}");
            std::process::exit(0);
        }
        let Some(value) = args.next() else {
            fail(usage, &format!("{flag} needs a value"));
        };
        pairs.push((flag, value));
    }
    pairs
}

/// `value` of option `flag` as a number. Prints `usage` and exits when it is not one.
pub fn number<N: FromStr>(usage: &str, flag: &str, value: &str) -> N {
    value
        .parse()
        .unwrap_or_else(|_| fail(usage, &format!("{flag} takes a number, not `{value}`")))
}

/// Prints `message` and `usage` on standard error, and exits with status 2.
pub fn fail(usage: &str, message: &str) -> ! {
    eprintln!("error: {message}\n\n{usage}");
    std::process::exit(2);
}
