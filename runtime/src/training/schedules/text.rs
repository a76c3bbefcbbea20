//! The text form of a [`Schedule`], as a config file writes it: `name(key = number, ...)`.

use std::fmt;
use std::str::FromStr;

use super::Schedule::{Compounding, Constant, Decaying, SlantedTriangular, WarmupLinear};
use super::{SCHEDULES, Schedule};
use crate::error::{Error, Result};

/// Writes the text form, `name(key = value, ...)`, every key given (defaults too); `str::parse`
/// reads it back to the same schedule.
impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, keys) = SCHEDULES[self.index()];
        write!(f, "{name}(")?;
        for (i, (key, value)) in keys.iter().zip(self.settings()).enumerate() {
            let comma = if i == 0 { "" } else { ", " };
            write!(f, "{comma}{key} = {value}")?;
        }
        write!(f, ")")
    }
}

/// Reads the text form `name(key = number, ...)`: Thinc's name of a schedule and its keys, in
/// any order, those with a default optional. Returns the schedule, or an
/// [`Error::OutOfRange`] naming what is wrong: the text's form, an unknown name or key (with
/// the ones there are), a key given twice or not at all, a value that is not a number (or not
/// a whole number of steps), or out of its range.
///
/// ```
/// use weft_runtime::training::Schedule;
/// let schedule: Schedule = "slanted_triangular(max_rate = 0.01, num_steps = 1000)".parse()?;
/// assert_eq!(
///     schedule,
///     Schedule::SlantedTriangular { max_rate: 0.01, num_steps: 1000, cut_frac: 0.1, ratio: 32.0, t: 0.0 },
/// );
/// let error = "decaying(base_rate = 0.001, decy = 1e-4)".parse::<Schedule>().unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "a key of decaying must be one of base_rate, decay, t, found `decy`",
/// );
/// # Ok::<(), weft_runtime::Error>(())
/// ```
impl FromStr for Schedule {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let args = Args::read(text)?;
        let schedule = match args.name {
            "constant" => Constant {
                rate: args.number("rate", None)?,
            },
            "warmup_linear" => WarmupLinear {
                initial_rate: args.number("initial_rate", None)?,
                warmup_steps: args.steps("warmup_steps")?,
                total_steps: args.steps("total_steps")?,
            },
            "decaying" => Decaying {
                base_rate: args.number("base_rate", None)?,
                decay: args.number("decay", None)?,
                t: args.number("t", Some(0.0))?,
            },
            "slanted_triangular" => SlantedTriangular {
                max_rate: args.number("max_rate", None)?,
                num_steps: args.steps("num_steps")?,
                cut_frac: args.number("cut_frac", Some(0.1))?,
                ratio: args.number("ratio", Some(32.0))?,
                t: args.number("t", Some(0.0))?,
            },
            // The last of the names `Args::read` accepts.
            _ => Compounding {
                start: args.number("start", None)?,
                stop: args.number("stop", None)?,
                compound: args.number("compound", None)?,
                t: args.number("t", Some(0.0))?,
            },
        };
        schedule.validate()?;
        Ok(schedule)
    }
}

impl Schedule {
    /// Reads a schedule of learning rates written without its rate (the first key of
    /// [`Display`](fmt::Display)'s), and gives it `rate`: how a config's `schedule` takes its
    /// rate from `learn_rate`. A rate written in `text` too, or `compounding` (a schedule of
    /// batch sizes), is an error.
    ///
    /// ```
    /// use weft_runtime::training::Schedule;
    /// let schedule = Schedule::with_rate("warmup_linear(warmup_steps = 250, total_steps = 5000)", 0.002)?;
    /// assert_eq!(
    ///     schedule,
    ///     Schedule::WarmupLinear { initial_rate: 0.002, warmup_steps: 250, total_steps: 5000 },
    /// );
    /// let error = Schedule::with_rate("decaying(base_rate = 0.1, decay = 1e-4)", 0.002).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "decaying's base_rate must be left out (the rate is learn_rate), found 0.1",
    /// );
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    pub fn with_rate(text: &str, rate: f64) -> Result<Schedule> {
        let args = Args::read(text)?;
        if args.name == "compounding" {
            return Err(Error::out_of_range(
                "a schedule of learning rates",
                "constant, warmup_linear, decaying or slanted_triangular",
                "compounding, a schedule of batch sizes",
            ));
        }
        let (_, keys) = SCHEDULES[SCHEDULES
            .iter()
            .position(|(n, _)| *n == args.name)
            .unwrap_or(0)];
        if let Some((key, value)) = args.given.iter().find(|(key, _)| *key == keys[0]) {
            return Err(Error::out_of_range(
                format!("{}'s {key}", args.name),
                "left out (the rate is learn_rate)",
                value,
            ));
        }
        let mut written = format!("{}({} = {rate}", args.name, keys[0]);
        for (key, value) in &args.given {
            written.push_str(&format!(", {key} = {value}"));
        }
        written.push(')');
        written.parse()
    }
}

/// A schedule as written: its name, one of [`SCHEDULES`], and its arguments' keys (each one of
/// the schedule's, once) and values, as text.
struct Args<'t> {
    name: &'static str,
    given: Vec<(&'t str, &'t str)>,
}

impl<'t> Args<'t> {
    /// Reads `name(key = value, ...)`, checking the form, the name and the keys.
    fn read(text: &'t str) -> Result<Self> {
        let malformed = || {
            Error::out_of_range(
                "a schedule",
                "written name(key = number, ...), such as \
                 warmup_linear(initial_rate = 0.001, warmup_steps = 250, total_steps = 20000)",
                format!("`{text}`"),
            )
        };
        let (name, rest) = text.trim().split_once('(').ok_or_else(malformed)?;
        let inner = rest.strip_suffix(')').ok_or_else(malformed)?;
        let Some(&(name, keys)) = SCHEDULES.iter().find(|(n, _)| *n == name.trim()) else {
            let names: Vec<&str> = SCHEDULES.iter().map(|(n, _)| *n).collect();
            let found = format!("`{}`", name.trim());
            return Err(Error::out_of_range(
                "a schedule's name",
                format!("one of {}", names.join(", ")),
                found,
            ));
        };
        let mut given: Vec<(&str, &str)> = Vec::new();
        let pieces = match inner.trim() {
            "" => Vec::new(),
            inner => inner.split(',').collect(),
        };
        for piece in pieces {
            let (key, value) = piece.split_once('=').ok_or_else(malformed)?;
            let (key, value) = (key.trim(), value.trim());
            if !keys.contains(&key) {
                let expected = format!("one of {}", keys.join(", "));
                return Err(Error::out_of_range(
                    format!("a key of {name}"),
                    expected,
                    format!("`{key}`"),
                ));
            }
            if given.iter().any(|(k, _)| *k == key) {
                return Err(Error::out_of_range(
                    format!("{name}'s {key}"),
                    "given once",
                    "it twice",
                ));
            }
            given.push((key, value));
        }
        Ok(Args { name, given })
    }

    /// The number given for `key`, or its `default`: an error when it is not a number, or is
    /// missing without a default.
    fn number(&self, key: &str, default: Option<f64>) -> Result<f64> {
        let what = || format!("{}'s {key}", self.name);
        match self.given.iter().find(|(k, _)| *k == key) {
            Some((_, text)) => text
                .parse()
                .map_err(|_| Error::out_of_range(what(), "a number", format!("`{text}`"))),
            None => default.ok_or_else(|| Error::out_of_range(what(), "given", "nothing")),
        }
    }

    /// The whole number of steps given for `key` (written `250`, or `2.5e2`): an error when it
    /// is missing, or not a whole number from 0 to 2^53.
    fn steps(&self, key: &str) -> Result<usize> {
        let value = self.number(key, None)?;
        let whole = value >= 0.0 && value.fract() == 0.0 && value <= 2f64.powi(53);
        let steps = whole.then(|| usize::try_from(value as u64).ok()).flatten();
        let what = format!("{}'s {key}", self.name);
        steps.ok_or_else(|| Error::out_of_range(what, "a whole number of steps, at least 0", value))
    }
}
