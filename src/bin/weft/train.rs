//! `weft train`: the run shown as it goes (a progress bar on a terminal, a line per
//! evaluation), drawn into OUTPUT/training.svg, and its result.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use weft::pipeline::{Config, Progress, ScoreName, Start};
use weft::training::Evaluation;

use crate::plot;

/// Trains the pipeline of `config` into `output` (from its checkpoint when `resume`), showing
/// the run, and prints the best evaluation and the test scores.
pub fn train(config: &Config, output: &Path, resume: bool) -> weft::Result<()> {
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
    let trained = match resume {
        true => weft::pipeline::resume(config, output, &mut shown)?,
        false => weft::pipeline::train(config, output, &mut shown)?,
    };
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

/// Shows the run: a progress bar of the epoch's steps (drawn only on a terminal), a line per
/// evaluation, and the SVG redrawn after each.
struct Shown {
    bar: ProgressBar,
    plot: PathBuf,
    score: String,
}

impl Progress for Shown {
    fn start(&mut self, start: &Start) {
        println!(
            "data: {} training examples ({} tokens), {} dev ({} tokens); {} vocabulary rows; \
             {} labels; {} parameters",
            start.train.0,
            start.train.1,
            start.dev.0,
            start.dev.1,
            start.vocab_rows,
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
