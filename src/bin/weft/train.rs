//! `weft train`: the run shown as it goes (a progress bar on a terminal, a line per
//! evaluation), drawn into OUTPUT/training.svg, and its result. Built with the feature `mpi`,
//! the processes `mpirun` started train together: process 0 shows the run, the others are
//! silent, and an error in any of them ends them all.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use weft::pipeline::{Config, Progress, ScoreName, Start, Trained};
use weft::training::{Begin, Evaluation, Exchange};

use crate::plot;

/// Trains the pipeline of `config` into `output` (from its checkpoint when `resume`), among
/// the processes `mpirun` started: an error in one of them is printed there and ends them all.
#[cfg(feature = "mpi")]
pub fn train(config: &Config, output: &Path, resume: bool) -> weft::Result<()> {
    let mut mpi = weft::training::Mpi::initialize()?;
    let trained = train_among(config, output, resume, &mut mpi);
    if let Err(error) = &trained
        && mpi.processes() > 1
    {
        let (rank, processes) = (mpi.rank(), mpi.processes());
        eprintln!("error in process {rank} of {processes}, which ends them all: {error}");
        mpi.abort(1)
    }
    trained
}

/// Trains the pipeline of `config` into `output` (from its checkpoint when `resume`).
#[cfg(not(feature = "mpi"))]
pub fn train(config: &Config, output: &Path, resume: bool) -> weft::Result<()> {
    train_among(config, output, resume, &mut weft::training::Alone)
}

/// Trains among the processes of `exchange`; the first shows the run, and prints the best
/// evaluation and the test scores.
fn train_among(
    config: &Config,
    output: &Path,
    resume: bool,
    exchange: &mut dyn Exchange,
) -> weft::Result<()> {
    if exchange.rank() != 0 {
        return go(config, output, resume, &mut (), exchange).map(|_| ());
    }
    let mut shown = Shown {
        bar: ProgressBar::new(0),
        plot: output.join("training.svg"),
        score: match config.training.score {
            ScoreName::Accuracy => "accuracy",
            ScoreName::MacroF1 => "macro_f1",
        }
        .to_owned(),
    };
    shown.bar.set_style(
        ProgressStyle::with_template("epoch {prefix} {bar:30} {pos}/{len} steps, loss {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    println!("network: {}", config.model.network);
    let trained = go(config, output, resume, &mut shown, exchange)?;
    shown.bar.finish_and_clear();
    let best = trained.outcome.best().ok_or_else(|| weft::Error::Config {
        place: "training".into(),
        message: "no evaluation was made".into(),
    })?;
    let stopped = match trained.outcome.stopped_early {
        true => " (stopped early: dev stopped improving)",
        false => "",
    };
    println!(
        "best: epoch {} step {}, dev {} {:.4}{stopped}; saved in {}",
        best.epoch,
        best.step,
        shown.score,
        best.score,
        output.join("model-best").display()
    );
    if let Some(test) = &trained.test {
        print!("test: {test}");
    }
    Ok(())
}

/// The run, afresh or resumed.
fn go(
    config: &Config,
    output: &Path,
    resume: bool,
    progress: &mut (impl Progress + Send),
    exchange: &mut dyn Exchange,
) -> weft::Result<Trained> {
    let begin = match resume {
        true => Begin::FromCheckpoint,
        false => Begin::Afresh,
    };
    weft::pipeline::train_data_parallel(config, output, progress, exchange, begin)
}

/// Shows the run: a progress bar of the epoch's steps (drawn only on a terminal), a line per
/// evaluation, and the SVG redrawn after each.
struct Shown {
    bar: ProgressBar,
    plot: PathBuf,
    score: String,
}

impl Progress for Shown {
    fn start(&mut self, start: &Start) {
        let inputs = match start.vocab_rows {
            Some(rows) => format!("{rows} vocabulary rows"),
            None => "the keys of token attributes".into(),
        };
        println!(
            "data: {} training examples ({} tokens), {} dev ({} tokens); {inputs}; {} labels; \
             {} parameters",
            start.train.0,
            start.train.1,
            start.dev.0,
            start.dev.1,
            start.labels.len(),
            start.params
        );
    }

    fn step(&mut self, epoch: usize, step: usize, steps: usize, loss: f64) {
        self.bar.set_length(steps as u64);
        self.bar.set_position(step as u64);
        self.bar.set_prefix(epoch.to_string());
        self.bar.set_message(format!("{loss:.4}"));
    }

    fn evaluation(&mut self, evaluation: &Evaluation, log: &[Evaluation]) -> weft::Result<()> {
        self.bar.suspend(|| println!("{evaluation}"));
        plot::draw(&self.plot, log, &self.score)
    }
}
