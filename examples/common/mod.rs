//! What the example programs share: command-line options, datasets, the training loop, accuracy
//! and a progress bar.
//!
//! The tasks themselves (files, network, loss, predictions) are `textcat.rs` and `tagger.rs`
//! next to this file. A program includes the ones it runs with
//! `#[path = "common/textcat.rs"] mod textcat;`, so that none carries code it does not use.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use weft::corpus::{Labels, Vocab};
use weft::{Adam, Grad, Ids, Model, Ragged};

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

/// The classes an example is scored on: one for a text, one per token for a sentence.
pub trait Classes: Clone {
    /// The class indices.
    fn classes(&self) -> &[usize];
}

impl Classes for usize {
    fn classes(&self) -> &[usize] {
        std::slice::from_ref(self)
    }
}

impl Classes for Vec<usize> {
    fn classes(&self) -> &[usize] {
        self
    }
}

/// Examples as token ids, each with its truth `T`: a class, or a tag per token.
pub struct Dataset<T> {
    /// The token ids of each example.
    pub ids: Vec<Vec<u32>>,
    /// The truth of each example.
    pub truths: Vec<T>,
}

impl<T: Classes> Dataset<T> {
    /// The examples at `indices`, packed, with their truths.
    pub fn batch(&self, indices: &[usize]) -> (Ragged<Ids>, Vec<T>) {
        let x = Ragged::from_sequences(indices.iter().map(|&i| &self.ids[i]));
        (x, indices.iter().map(|&i| self.truths[i].clone()).collect())
    }

    /// Every example, packed.
    pub fn inputs(&self) -> Ragged<Ids> {
        Ragged::from_sequences(&self.ids)
    }
}

/// A task's data: the vocabulary and labels read off the training split, and every split as ids.
pub struct Data<T> {
    /// The token ids.
    pub vocab: Vocab,
    /// The classes, or the tags.
    pub labels: Labels,
    /// The training split.
    pub train: Dataset<T>,
    /// The dev split.
    pub dev: Dataset<T>,
    /// The test split, when there is a test file.
    pub test: Option<Dataset<T>>,
}

/// The share of `data`'s classes that `predict` gets right, predicting in batches of 128.
/// `predict` returns the predicted classes of a batch, in the order of [`Classes::classes`].
pub fn accuracy<M, T: Classes>(
    model: &M,
    data: &Dataset<T>,
    predict: impl Fn(&M, Ragged<Ids>) -> weft::Result<Vec<usize>>,
) -> weft::Result<f64> {
    let (mut correct, mut total) = (0, 0);
    for (ids, truths) in data.ids.chunks(128).zip(data.truths.chunks(128)) {
        let predicted = predict(model, Ragged::from_sequences(ids))?;
        let truths = truths.iter().flat_map(Classes::classes);
        correct += predicted.iter().zip(truths).filter(|(p, t)| p == t).count();
        total += predicted.len();
    }
    Ok(correct as f64 / total.max(1) as f64)
}

/// A one-line progress bar on standard error, drawn only when it is a terminal.
pub struct Progress {
    total: usize,
    started: Instant,
    visible: bool,
}

impl Progress {
    /// A bar for `total` steps, started now.
    pub fn new(total: usize) -> Progress {
        Progress {
            total,
            started: Instant::now(),
            visible: std::io::stderr().is_terminal(),
        }
    }

    /// Shows `done` of `total`, with a note such as the running loss.
    pub fn show(&self, done: usize, note: &str) {
        if !self.visible {
            return;
        }
        let width = 30;
        let filled = width * done / self.total.max(1);
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = if done > 0 {
            elapsed * (self.total - done.min(self.total)) as f64 / done as f64
        } else {
            0.0
        };
        eprint!(
            "\r[{}{}] {done}/{} {note} eta {eta:.0}s  ",
            "=".repeat(filled),
            " ".repeat(width - filled),
            self.total
        );
        let _ = std::io::stderr().flush();
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if self.visible {
            eprint!("\r{}\r", " ".repeat(100));
        }
    }
}

/// What [`train`] reports after each epoch. Displays as the line the examples print.
pub struct Epoch {
    /// The epoch, from 1.
    pub number: usize,
    /// The mean training loss of the epoch, per example.
    pub loss: f64,
    /// The dev score after the epoch.
    pub dev_score: f64,
    /// Training words read so far.
    pub words: usize,
    /// Seconds spent in training steps so far.
    pub seconds: f64,
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "epoch {}: loss {:.4}  dev acc {:.4}  train {:.0} words/s",
            self.number,
            self.loss,
            self.dev_score,
            self.words as f64 / self.seconds
        )
    }
}

/// Trains `model` with Adam for `options.epochs` epochs over `data` in shuffled batches. Each
/// step runs the batch forward, takes the output's gradient and mean loss from `loss`,
/// backpropagates and updates; only steps are timed. After each epoch `evaluate` scores the
/// model on dev, and `report` gets the [`Epoch`].
pub fn train<M, T: Classes + Sync>(
    model: &mut M,
    options: &Options,
    data: &Dataset<T>,
    loss: impl Fn(&M::Out, &[T]) -> weft::Result<(Grad<M::Out>, f32)> + Sync,
    mut evaluate: impl FnMut(&M) -> weft::Result<f64>,
    mut report: impl FnMut(&Epoch),
) -> weft::Result<()>
where
    M: Model<In = Ragged<Ids>>,
{
    let mut adam = Adam::new(options.learn_rate);
    let mut rng = weft::Rng::new(options.seed);
    let mut order: Vec<usize> = (0..data.ids.len()).collect();
    let (mut words, mut seconds) = (0usize, 0.0f64);
    for number in 1..=options.epochs {
        rng.shuffle(&mut order);
        let progress = Progress::new(order.len());
        let (mut loss_sum, mut seen) = (0.0f64, 0usize);
        for batch in order.chunks(options.batch_size) {
            let started = Instant::now();
            let (x, truths) = data.batch(batch);
            words += x.data().0.len();
            let batch_loss = weft::on_pool(|| {
                let (probs, backprop) = model.begin_update(x);
                let (d_probs, batch_loss) = loss(&probs, &truths)?;
                backprop(d_probs);
                model.finish_update(&mut adam).map(|()| batch_loss)
            })?;
            seconds += started.elapsed().as_secs_f64();
            loss_sum += f64::from(batch_loss) * batch.len() as f64;
            seen += batch.len();
            progress.show(seen, &format!("loss {:.4}", loss_sum / seen as f64));
        }
        progress.finish();
        report(&Epoch {
            number,
            loss: loss_sum / seen.max(1) as f64,
            dev_score: evaluate(model)?,
            words,
            seconds,
        });
    }
    Ok(())
}
