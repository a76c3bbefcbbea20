//! The speed benchmark: trains and evaluates the textcat, the tagger or spaCy's CNN tagger
//! network with the settings of the Thinc, PyTorch and spaCy baselines in `bench/`, and prints one
//! JSON line with the same fields.
//!
//!     cargo run --release --example bench -- --task textcat|tagger|spacy_tagger [--epochs N]
//!         [--threads N] [--data DIR]
//!
//! Training words per second count the time spent in training steps only; inference words per
//! second come from `predict_parallel` in batches of 128 over dev (and test, when its file
//! exists), in passes until `--infer-seconds` have gone. With more than one thread, prediction is
//! then also timed by turns, pass after pass, at one thread, at the run's threads, and as that
//! many one-thread predictors at once (the `infer_words_per_sec_alternating*` and `_independent`
//! fields), and so is training, 20 steps at a time at one thread and at the run's threads
//! (`train_words_per_sec_alternating*`): ratios within one window, free of the drift of a shared
//! machine between two runs.
//! The per-epoch lines go to standard error. `bench/run.sh` runs this beside the baselines and
//! prints the comparison table.

mod common;
#[path = "common/spacy.rs"]
mod spacy;
#[path = "common/spacy_tagger.rs"]
mod spacy_tagger;
#[path = "common/tagger.rs"]
mod tagger;
#[path = "common/textcat.rs"]
mod textcat;

use std::alloc::{GlobalAlloc, Layout, System};
use std::error::Error;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use common::Options;
use weft::pipeline::Corpus;
use weft::training::{Examples, Sequence, Tagging, Task, TextClassification, evaluate};
use weft::{Adam, Batch, Model, Ragged};

const USAGE: &str = "usage: bench --task textcat|tagger|spacy_tagger [--epochs N] [--threads N]
  [--data DIR] [--infer-seconds S] [--train FILE] [--dev FILE] [--test FILE] [--batch-size N]
  [--lr RATE] [--seed N]
Trains with Adam (lr 0.001, batch 32, seed 0) on the train split in DIR (default: the shipped
examples/data), scores dev after every epoch, times prediction over dev (and test, when DIR
has it: one untimed pass, then passes until S seconds have gone, 3 by default), and prints one
JSON line. With more than one thread it also times training and prediction by turns at one
thread and at N, S seconds each. `--epochs 0 --infer-seconds 30` times prediction alone, for
profiling.";

/// Texts or sentences per batch when timing prediction.
const INFER_BATCH: usize = 128;

/// The system allocator, counting allocations: the run reports allocations per batch.
struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Allocations made so far.
fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::Relaxed)
}
/// Seconds of passes over the inference data when timing prediction (and of each side of the
/// timing by turns), unless `--infer-seconds` says. Passes of a fixed count took 0.1 s for
/// weft's tagger: too short a window to be steady.
const INFER_SECONDS: f64 = 3.0;

/// The rows of spaCy's CNN tagger's four hash tables (`common/spacy_tagger.rs`), its
/// `vocab_rows` as its baseline's.
const SPACY_TAGGER_ROWS: usize = 5000 + 1000 + 2500 + 2500;

/// The networks.
#[derive(Clone, Copy)]
enum Job {
    TextCat,
    Tagger,
    SpacyTagger,
}

impl Job {
    /// The name of `--task` and of the JSON field `task`.
    fn name(self) -> &'static str {
        match self {
            Job::TextCat => "textcat",
            Job::Tagger => "tagger",
            Job::SpacyTagger => "spacy_tagger",
        }
    }
}

/// What to run: the task, the thread count, and the training options.
struct BenchOptions {
    task: Job,
    /// `--threads`: how many threads weft may use.
    threads: usize,
    /// `--infer-seconds`: how long to time prediction, and each side of the timing by turns.
    infer_seconds: f64,
    training: Options,
}

impl BenchOptions {
    /// Parses `std::env::args`: `--task`, `--threads` and `--data` here, the rest (`--epochs`,
    /// and the other options of the examples) by [`Options::apply`]. Prints the usage and exits
    /// on `--help` or a bad option.
    fn parse() -> BenchOptions {
        let (mut task, mut data, mut rest) = (None, common::data_dir(), vec![]);
        let (mut threads, mut infer_seconds) = (1, INFER_SECONDS);
        for (flag, value) in common::args(USAGE) {
            match flag.as_str() {
                "--task" if value == "textcat" => task = Some(Job::TextCat),
                "--task" if value == "tagger" => task = Some(Job::Tagger),
                "--task" if value == "spacy_tagger" => task = Some(Job::SpacyTagger),
                "--task" => common::fail(USAGE, &format!("no task `{value}`")),
                "--data" => data = PathBuf::from(value),
                "--threads" => threads = common::number::<usize>(USAGE, &flag, &value).max(1),
                "--infer-seconds" => infer_seconds = common::number(USAGE, &flag, &value),
                _ => rest.push((flag, value)),
            }
        }
        let task = task.unwrap_or_else(|| common::fail(USAGE, "--task is needed"));
        let (file, epochs): (fn(&str) -> String, usize) = match task {
            Job::TextCat => (textcat::file, textcat::EPOCHS),
            Job::Tagger => (tagger::file, tagger::EPOCHS),
            Job::SpacyTagger => (spacy_tagger::file, spacy_tagger::EPOCHS),
        };
        let mut training = Options::new(&data, file, epochs);
        training.test = Some(data.join(file("test"))).filter(|path| path.exists());
        training.apply(USAGE, rest);
        BenchOptions {
            task,
            threads,
            infer_seconds,
            training,
        }
    }
}

fn main() {
    if let Err(err) = run() {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let options = BenchOptions::parse();
    weft::set_threads(options.threads)?;
    weft::set_seed(options.training.seed);
    let line = match options.task {
        Job::TextCat => {
            let data = textcat::load(&options.training)?;
            let model = textcat::new_model(&data.train)?;
            let task = TextClassification::new(data.labels.names());
            measure(&options, &data, data.vocab.rows(), model, &task)?
        }
        Job::Tagger => {
            let data = tagger::load(&options.training)?;
            let model = tagger::new_model(&data.train)?;
            let task = Tagging::new(data.labels.names());
            measure(&options, &data, data.vocab.rows(), model, &task)?
        }
        Job::SpacyTagger => {
            let data = spacy_tagger::load(&options.training, &spacy::ATTRS)?;
            let model = spacy_tagger::new_model(&data.train)?;
            let task = Tagging::new(data.labels.names());
            measure(&options, &data, SPACY_TAGGER_ROWS, model, &task)?
        }
    };
    println!("{line}");
    Ok(())
}

/// One training step on the examples `batch` of `train`; returns the words of the batch and
/// its mean loss.
fn train_step<M, T: Task, S: Sequence>(
    model: &mut M,
    adam: &mut Adam,
    train: &Examples<T::Truth, S>,
    batch: &[usize],
    task: &T,
) -> weft::Result<(usize, f32)>
where
    M: Model<In = Ragged<S::Rows>, Out = T::Out>,
{
    let (x, truths) = train.batch(batch);
    let words = x.lengths().iter().sum();
    let loss = weft::on_pool(|| {
        let (out, backprop) = model.begin_update(x);
        let (d_out, loss) = task.loss(&out, &truths)?;
        backprop(d_out);
        model.finish_update(adam).map(|()| loss)
    })?;
    Ok((words, loss))
}

/// The benchmark's own training loop, as the baselines': `options.epochs` epochs of shuffled
/// batches with Adam, only the steps timed, dev accuracy after each epoch. The model is the
/// last epoch's. `weft::training::train` is measured against it.
fn train_epochs<M, T: Task, S: Sequence>(
    model: &mut M,
    options: &Options,
    data: &Corpus<T::Truth, S>,
    task: &T,
) -> weft::Result<Training>
where
    M: Model<In = Ragged<S::Rows>, Out = T::Out>,
    M::Out: Batch,
{
    let mut adam = Adam::new(options.learn_rate);
    let mut rng = weft::Rng::new(options.seed);
    let mut order: Vec<usize> = (0..data.train.len()).collect();
    let mut training = Training::default();
    for epoch in 1..=options.epochs {
        rng.shuffle(&mut order);
        let (mut loss_sum, mut seen) = (0.0f64, 0usize);
        for batch in order.chunks(options.batch_size) {
            let started = Instant::now();
            let (words, loss) = train_step(model, &mut adam, &data.train, batch, task)?;
            training.seconds += started.elapsed().as_secs_f64();
            training.words += words;
            loss_sum += f64::from(loss) * batch.len() as f64;
            seen += batch.len();
        }
        training.losses.push(loss_sum / seen.max(1) as f64);
        training
            .dev_accs
            .push(evaluate(model, task, &data.dev)?.accuracy);
        eprintln!(
            "epoch {epoch}: loss {:.4}  dev acc {:.4}  train {:.0} words/s",
            training.losses[epoch - 1],
            training.dev_accs[epoch - 1],
            training.words as f64 / training.seconds
        );
    }
    Ok(training)
}

/// Heap allocations per training step, over a few steps on the first batch of `data`.
fn training_allocations<M, T: Task, S: Sequence>(
    model: &mut M,
    data: &Corpus<T::Truth, S>,
    options: &BenchOptions,
    task: &T,
) -> weft::Result<usize>
where
    M: Model<In = Ragged<S::Rows>, Out = T::Out>,
{
    const STEPS: usize = 10;
    let first: Vec<usize> = (0..options.training.batch_size.min(data.train.len())).collect();
    let mut adam = Adam::new(options.training.learn_rate);
    let before = allocations();
    for _ in 0..STEPS {
        train_step(model, &mut adam, &data.train, &first, task)?;
    }
    Ok((allocations() - before) / STEPS)
}

/// Training words per second at one thread and at the run's threads (`[one, all]`), timed by
/// turns: the same training steps at one thread (a pool of its own), then at all, over and over,
/// until each has had `seconds`. It goes on training `model`, on its training data in order.
fn training_by_turns<M, T: Task, S: Sequence>(
    model: &mut M,
    data: &Corpus<T::Truth, S>,
    options: &BenchOptions,
    task: &T,
) -> Result<[f64; 2], Box<dyn Error>>
where
    M: Model<In = Ragged<S::Rows>, Out = T::Out>,
{
    /// Steps per turn: about a tenth of a second of training.
    const STEPS: usize = 20;
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let mut adam = Adam::new(options.training.learn_rate);
    let order: Vec<usize> = (0..data.train.len()).collect();
    let mut batches = order.chunks(options.training.batch_size.max(1)).cycle();
    let (mut time, mut words) = ([0.0f64; 2], 0);
    while words == 0 || time.iter().any(|&t| t < options.infer_seconds) {
        let turn: Vec<&[usize]> = batches.by_ref().take(STEPS).collect();
        for (pool, time) in [Some(&single), None].into_iter().zip(&mut time) {
            let mut steps = || -> weft::Result<usize> {
                let mut words = 0;
                for batch in &turn {
                    words += train_step(model, &mut adam, &data.train, batch, task)?.0;
                }
                Ok(words)
            };
            let started = Instant::now();
            words += match pool {
                Some(pool) => pool.install(steps)?,
                None => steps()?,
            };
            *time += started.elapsed().as_secs_f64();
        }
    }
    let words = words as f64 / 2.0;
    Ok([words / time[0], words / time[1]])
}

/// Trains `model` on `data`, times prediction, and returns the JSON line of the run, which
/// gives `vocab_rows` as the rows of the network's embedding tables.
fn measure<M, T: Task, S: Sequence>(
    options: &BenchOptions,
    data: &Corpus<T::Truth, S>,
    vocab_rows: usize,
    mut model: M,
    task: &T,
) -> Result<String, Box<dyn Error>>
where
    M: Model<In = Ragged<S::Rows>, Out = T::Out>,
    M::Out: Batch,
{
    let training = train_epochs(&mut model, &options.training, data, task)?;

    let test_inputs = data.test.iter().flat_map(|test| test.sequences());
    let inputs: Vec<&S> = data.dev.sequences().iter().chain(test_inputs).collect();
    let pass = || {
        for batch in inputs.chunks(INFER_BATCH) {
            let out = model.predict_parallel(S::pack(batch.iter().copied()));
            std::hint::black_box(task.predict(&out).ok());
        }
    };
    let prediction = Prediction::time(&inputs, options.infer_seconds, pass);
    // Read before the timing by turns, whose threads and passes at once are the benchmark's own.
    let peak_rss = peak_rss_mb();
    let alternating = match options.threads {
        1 => None,
        threads => Some(alternating(
            threads,
            options.infer_seconds,
            prediction.words_per_pass,
            pass,
        )?),
    };
    let test_acc = data
        .test
        .as_ref()
        .map(|test| evaluate(&model, task, test).map(|scores| scores.accuracy))
        .transpose()?;
    // Both go on training the model: after every figure of the model trained as the baselines.
    let by_turns = match options.threads {
        1 => None,
        _ => Some(training_by_turns(&mut model, data, options, task)?),
    };
    let train_allocations = training_allocations(&mut model, data, options, task)?;

    let number = |value: Option<f64>, places| json_number(value.unwrap_or(f64::NAN), places);
    let infer = |pick: fn(&Alternating) -> f64| number(alternating.as_ref().map(pick), 1);
    Ok(json_object(&[
        ("script", "\"examples/bench.rs\"".into()),
        ("framework", "\"weft\"".into()),
        ("lstm", "\"weft\"".into()),
        ("task", format!("\"{}\"", options.task.name())),
        ("threads", options.threads.to_string()),
        ("epochs_run", training.losses.len().to_string()),
        ("batch_size", options.training.batch_size.to_string()),
        ("vocab_rows", vocab_rows.to_string()),
        ("classes", data.labels.len().to_string()),
        ("n_params", model.param_count().to_string()),
        ("train_words_seen", training.words.to_string()),
        ("train_seconds", json_number(training.seconds, 3)),
        (
            "train_words_per_sec",
            json_number(training.words as f64 / training.seconds, 1),
        ),
        (
            "train_words_per_sec_alternating_1t",
            number(by_turns.map(|[one, _]| one), 1),
        ),
        (
            "train_words_per_sec_alternating",
            number(by_turns.map(|[_, all]| all), 1),
        ),
        ("infer_passes", prediction.passes.to_string()),
        ("infer_words", prediction.words.to_string()),
        ("infer_seconds", json_number(prediction.seconds, 3)),
        (
            "infer_words_per_sec",
            json_number(prediction.words as f64 / prediction.seconds, 1),
        ),
        (
            "infer_words_per_sec_alternating_1t",
            infer(|a| a.one_thread),
        ),
        ("infer_words_per_sec_alternating", infer(|a| a.threads)),
        ("infer_words_per_sec_independent", infer(|a| a.independent)),
        ("train_allocations_per_batch", train_allocations.to_string()),
        (
            "infer_allocations_per_batch",
            prediction.allocations_per_batch.to_string(),
        ),
        ("train_loss_per_epoch", json_list(&training.losses)),
        ("dev_acc_per_epoch", json_list(&training.dev_accs)),
        ("dev_acc", number(training.dev_accs.last().copied(), 4)),
        (
            "best_dev_acc",
            number(training.dev_accs.iter().copied().reduce(f64::max), 4),
        ),
        ("test_acc", number(test_acc, 4)),
        ("peak_rss_mb", number(peak_rss, 1)),
    ]))
}

/// What training did, epoch by epoch, and in all.
#[derive(Default)]
struct Training {
    losses: Vec<f64>,
    dev_accs: Vec<f64>,
    words: usize,
    seconds: f64,
}

/// Prediction timed over the inference data.
struct Prediction {
    /// Passes over the data, and the words and seconds they took.
    passes: usize,
    words: usize,
    seconds: f64,
    words_per_pass: usize,
    allocations_per_batch: usize,
}

impl Prediction {
    /// Times `pass` over `inputs`: one untimed pass, then passes until `seconds` have gone.
    fn time<S: Sequence>(inputs: &[&S], seconds: f64, pass: impl Fn()) -> Prediction {
        pass(); // Untimed, as in the baselines: first-touch allocations, lazy set-up.
        let (started, allocations_before, mut passes) = (Instant::now(), allocations(), 0);
        while passes == 0 || started.elapsed().as_secs_f64() < seconds {
            pass();
            passes += 1;
        }
        let seconds = started.elapsed().as_secs_f64();
        let words_per_pass = inputs.iter().map(|sequence| sequence.len()).sum::<usize>();
        let batches = passes * inputs.len().div_ceil(INFER_BATCH);
        Prediction {
            passes,
            words: passes * words_per_pass,
            seconds,
            words_per_pass,
            allocations_per_batch: (allocations() - allocations_before) / batches.max(1),
        }
    }
}

/// Prediction words per second at one thread and at several, timed by turns in one window.
struct Alternating {
    /// One thread.
    one_thread: f64,
    /// The run's threads, all on each batch as in `infer_words_per_sec`.
    threads: f64,
    /// As many one-thread predictors as the run has threads, each on a whole pass of its own,
    /// all at once: what the cores give this work with no coordination between them.
    independent: f64,
}

/// Times `pass` (prediction over the inference data, `words` words) by turns on a pool of one
/// thread, on the global pool of `threads`, and as `threads` one-thread passes at once, until
/// each has had `seconds`. Two runs minutes apart meet a shared machine in different states
/// (the speed of one thread moved by up to 45% between rounds here); taking turns pass by pass puts
/// the three figures in the same states, so their ratios are the gain of the threads.
fn alternating(
    threads: usize,
    seconds: f64,
    words: usize,
    pass: impl Fn() + Sync,
) -> Result<Alternating, rayon::ThreadPoolBuildError> {
    let singles = (0..threads)
        .map(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build())
        .collect::<Result<Vec<_>, _>>()?;
    let timed = |f: &dyn Fn()| {
        let started = Instant::now();
        f();
        started.elapsed().as_secs_f64()
    };
    let independent = || {
        std::thread::scope(|scope| {
            for pool in &singles {
                scope.spawn(|| pool.install(&pass));
            }
        })
    };
    independent(); // Untimed: the new threads' first touch.
    let (mut time, mut passes) = ([0.0; 3], 0);
    while passes == 0 || time.iter().any(|&t| t < seconds) {
        time[0] += timed(&|| singles[0].install(&pass));
        time[1] += timed(&pass);
        time[2] += timed(&independent);
        passes += 1;
    }
    let rate = |t: f64, copies: usize| (copies * passes * words) as f64 / t;
    Ok(Alternating {
        one_thread: rate(time[0], 1),
        threads: rate(time[1], 1),
        independent: rate(time[2], threads),
    })
}

/// The peak resident set size of this process in MB: `VmHWM` in `/proc/self/status` (Linux).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// A JSON object of `(name, value)` fields, the values already written as JSON.
fn json_object(fields: &[(&str, String)]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("\"{name}\": {value}"))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

/// `x` with `decimals` decimals as a JSON number, or `null` when it is not finite (not known).
fn json_number(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        "null".into()
    }
}

/// A JSON list of numbers with 4 decimals.
fn json_list(xs: &[f64]) -> String {
    let xs: Vec<String> = xs.iter().map(|&x| json_number(x, 4)).collect();
    format!("[{}]", xs.join(", "))
}
