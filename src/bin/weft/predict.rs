//! `weft predict`: a line of JSON per line of input, predicted in batches.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use weft::pipeline::{Pipeline, Task};

/// Lines predicted at once.
const BATCH: usize = 256;

/// Predicts each line of the file at `path` (or of standard input) with `pipeline`, writing a
/// line of JSON for each to standard output. A line that is not UTF-8 is an error at its line.
pub fn predict(pipeline: &Pipeline, path: Option<&Path>) -> weft::Result<()> {
    let name = path.map_or_else(|| PathBuf::from("<stdin>"), Path::to_owned);
    let io_error = |source| weft::Error::Io {
        path: name.clone(),
        source,
    };
    let input: Box<dyn BufRead> = match path {
        Some(path) => Box::new(BufReader::new(File::open(path).map_err(io_error)?)),
        None => Box::new(io::stdin().lock()),
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let mut lines = input.lines().enumerate().peekable();
    while lines.peek().is_some() {
        let mut batch = Vec::with_capacity(BATCH);
        for (i, line) in lines.by_ref().take(BATCH) {
            let line = line.map_err(|source| weft::Error::Parse {
                path: name.clone(),
                line: i + 1,
                message: source.to_string(),
            })?;
            batch.push((i + 1, line));
        }
        let texts: Vec<&str> = batch.iter().map(|(_, text)| text.as_str()).collect();
        let predictions =
            pipeline
                .predict(&texts)
                .map_err(|error| match pipeline.config().model.task {
                    Task::Textcat => at_line(error, &name, &batch),
                    Task::Tagger => error,
                })?;
        for prediction in predictions {
            writeln!(out, "{}", prediction.to_json()).map_err(io_error)?;
        }
    }
    out.flush().map_err(|source| weft::Error::Io {
        path: "<stdout>".into(),
        source,
    })
}

/// An error of a text classifier's prediction of `batch` (line numbers and texts), at the line
/// of the first text without tokens when there is one.
fn at_line(error: weft::Error, path: &Path, batch: &[(usize, String)]) -> weft::Error {
    match batch.iter().find(|(_, text)| text.trim().is_empty()) {
        Some(&(line, _)) => weft::Error::Parse {
            path: path.to_owned(),
            line,
            message: "no tokens: a text classifier predicts texts of one token or more".into(),
        },
        None => error,
    }
}
