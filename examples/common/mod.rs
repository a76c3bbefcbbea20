//! What the example programs share: command-line options and a progress bar.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

/// Options of the example trainers: `--train`, `--dev`, `--test` paths and numbers.
pub struct Options {
    pub train: PathBuf,
    pub dev: PathBuf,
    pub test: Option<PathBuf>,
    pub epochs: usize,
    pub batch_size: usize,
    pub learn_rate: f32,
    pub seed: u64,
}

impl Options {
    /// Parses `std::env::args`, with the shipped files as defaults. Prints `usage` and exits on
    /// `--help` or a bad option.
    pub fn parse(usage: &str, train: &str, dev: &str, epochs: usize) -> Options {
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data");
        let mut options = Options {
            train: data.join(train),
            dev: data.join(dev),
            test: None,
            epochs,
            batch_size: 32,
            learn_rate: 0.001,
            seed: 0,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            if flag == "--help" || flag == "-h" {
                println!("{usage}");
                std::process::exit(0);
            }
            let Some(value) = args.next() else {
                fail(usage, &format!("{flag} needs a value"));
            };
            let number = |what: &str| -> u64 {
                value.parse().unwrap_or_else(|_| {
                    fail(usage, &format!("{what} takes a number, not `{value}`"))
                })
            };
            match flag.as_str() {
                "--train" => options.train = value.into(),
                "--dev" => options.dev = value.into(),
                "--test" => options.test = Some(value.into()),
                "--epochs" => options.epochs = number("--epochs") as usize,
                "--batch-size" => options.batch_size = (number("--batch-size") as usize).max(1),
                "--seed" => options.seed = number("--seed"),
                "--lr" => {
                    options.learn_rate = value.parse().unwrap_or_else(|_| {
                        fail(usage, &format!("--lr takes a number, not `{value}`"))
                    })
                }
                _ => fail(usage, &format!("unknown option {flag}")),
            }
        }
        options
    }
}

fn fail(usage: &str, message: &str) -> ! {
    eprintln!("error: {message}\n\n{usage}");
    std::process::exit(2);
}

/// A one-line progress bar on standard error, drawn only when it is a terminal.
pub struct Progress {
    total: usize,
    started: Instant,
    visible: bool,
}

impl Progress {
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

/// What one training step reports: its mean loss, and the words it read.
pub struct Step {
    pub loss: f32,
    pub words: usize,
}

/// Trains for `options.epochs` epochs over `examples` examples in shuffled batches: `step` runs
/// one batch (given the example indices), `evaluate` scores the model on dev after each epoch.
/// Prints per epoch the mean loss, the dev score and the training words per second (time spent
/// in `step` only).
pub fn train<M>(
    model: &mut M,
    options: &Options,
    examples: usize,
    mut step: impl FnMut(&mut M, &[usize]) -> weft::Result<Step>,
    mut evaluate: impl FnMut(&M) -> f64,
) -> weft::Result<()> {
    let mut rng = weft::Rng::new(options.seed);
    let mut order: Vec<usize> = (0..examples).collect();
    let (mut words, mut seconds) = (0usize, 0.0f64);
    for epoch in 1..=options.epochs {
        rng.shuffle(&mut order);
        let progress = Progress::new(order.len());
        let (mut loss_sum, mut seen) = (0.0f64, 0usize);
        for batch in order.chunks(options.batch_size) {
            let started = Instant::now();
            let report = step(model, batch)?;
            seconds += started.elapsed().as_secs_f64();
            words += report.words;
            loss_sum += f64::from(report.loss) * batch.len() as f64;
            seen += batch.len();
            progress.show(seen, &format!("loss {:.4}", loss_sum / seen as f64));
        }
        progress.finish();
        println!(
            "epoch {epoch}: loss {:.4}  dev acc {:.4}  train {:.0} words/s",
            loss_sum / seen.max(1) as f64,
            evaluate(model),
            words as f64 / seconds
        );
    }
    Ok(())
}
