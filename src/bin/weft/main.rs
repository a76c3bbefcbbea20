//! `weft`: train a pipeline from a config, evaluate it, predict with it.
//!
//! ```text
//! weft init-config --task textcat > textcat.toml
//! weft train textcat.toml --output training [--set training.epochs=3 ...]
//! weft evaluate training/model-best examples/data/rt_polarity.dev.tsv [--json]
//! weft predict training/model-best [FILE]
//! ```

mod plot;
mod predict;
mod train;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use weft::pipeline::{Config, Pipeline, Task};

/// Train, evaluate and run weft pipelines.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train the pipeline a config describes; keep the best evaluation's in OUTPUT/model-best.
    Train {
        /// The config file (TOML; `weft init-config` writes one).
        config: PathBuf,
        /// The folder of the run: model-best/ (the pipeline), log.jsonl (every evaluation),
        /// training.svg (loss and dev score per evaluation) and checkpoint.weft.
        #[arg(long, short)]
        output: PathBuf,
        /// Change a key of the config: `--set training.epochs=3`, `--set model.network="..."`.
        #[arg(long = "set", value_name = "SECTION.KEY=VALUE")]
        sets: Vec<String>,
        /// Go on from OUTPUT/checkpoint.weft (written after every evaluation) where a run
        /// stopped; the config may change its epochs and patience only.
        #[arg(long)]
        resume: bool,
    },
    /// Score a saved pipeline on a data file of its format; prints every score.
    Evaluate {
        /// The pipeline's folder (a training run's folder means its model-best).
        pipeline: PathBuf,
        /// The data file.
        data: PathBuf,
        /// Print one line of JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// Predict each line of FILE (or of standard input): one line of JSON per line.
    Predict {
        /// The pipeline's folder (a training run's folder means its model-best).
        pipeline: PathBuf,
        /// Tokens separated by spaces, a text (or a sentence, for a tagger) per line.
        file: Option<PathBuf>,
    },
    /// Print a commented starter config whose data are the shipped examples.
    InitConfig {
        /// What the pipeline predicts.
        #[arg(long, value_enum)]
        task: TaskArg,
    },
}

/// `--task`'s values.
#[derive(Clone, Copy, ValueEnum)]
enum TaskArg {
    /// A class per text.
    Textcat,
    /// A tag per token.
    Tagger,
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> weft::Result<()> {
    match command {
        Command::Train {
            config,
            output,
            sets,
            resume,
        } => {
            let config = sets
                .iter()
                .try_fold(Config::from_file(&config)?, |config, set| config.with(set))?;
            train::train(&config, &output, resume)
        }
        Command::Evaluate {
            pipeline,
            data,
            json,
        } => {
            let scores = load(pipeline)?.evaluate(&data)?;
            match json {
                true => println!("{}", scores.to_json()),
                false => print!("{scores}"),
            }
            Ok(())
        }
        Command::Predict { pipeline, file } => predict::predict(&load(pipeline)?, file.as_deref()),
        Command::InitConfig { task } => {
            let task = match task {
                TaskArg::Textcat => Task::Textcat,
                TaskArg::Tagger => Task::Tagger,
            };
            print!("{}", Config::starter(task));
            Ok(())
        }
    }
}

/// The pipeline saved in `dir`, or in its `model-best` when `dir` is a training run's folder.
fn load(dir: PathBuf) -> weft::Result<Pipeline> {
    let best = dir.join("model-best");
    let dir = match !dir.join("meta.json").exists() && best.join("meta.json").exists() {
        true => best,
        false => dir,
    };
    Pipeline::from_disk(dir)
}
