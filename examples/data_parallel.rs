//! Data-parallel training over MPI, checked and measured (feature `mpi`):
//!
//!     cargo build --release --features mpi --example data_parallel
//!     mpirun -np 2 target/release/examples/data_parallel [STEPS [BATCH [WORDS_PER_SECOND]]]
//!
//! For the networks of `configs/textcat.toml` and `configs/tagger.toml` (which have no
//! dropout) on the shipped data, from the same start:
//! 1. STEPS steps (50) of batches of N×BATCH examples (BATCH = 16), shared among the N
//!    processes: words per second, bytes sent and seconds in the exchange per step;
//! 2. the alternative the exchange avoids: an allreduce of the whole gradient, timed;
//! 3. process 0 trains the same steps alone, with the whole batches: the largest difference of
//!    its weights from the shared run's must be below `TOLERANCE`, and every process must hold
//!    process 0's weights, bit for bit. An error (exit code 1) otherwise;
//! 4. a model of the scaling to 8, 32 and 128 nodes of BATCH examples each (`Link`): the
//!    compute time per step measured alone, the bytes an exchange sends (the table's rows that
//!    the nodes' batches touch, drawn from the corpus, and every other parameter), and a
//!    network's bandwidth and latency (the compute time from WORDS_PER_SECOND when given).

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use weft::pipeline::Corpus;
use weft::training::{
    Alone, BatchSize, Begin, Data, Examples, Exchange, Mpi, Settings, Tagging, Task,
    TextClassification, train_data_parallel,
};
use weft::{Adam, Boxed, Floats2, Ids, Network, Params, Ragged, Truths};

/// The largest difference allowed between the weights of the shared run and of one process:
/// the rounding of sums taken in another order, carried through 50 steps of Adam.
const TOLERANCE: f32 = 1e-5;

fn main() {
    let mut mpi = Mpi::initialize().unwrap_or_else(|error| {
        eprintln!("error: {error}");
        std::process::exit(1)
    });
    if let Err(error) = run(&mut mpi) {
        eprintln!("error in process {}: {error}", mpi.rank());
        mpi.abort(1)
    }
}

fn run(mpi: &mut Mpi) -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let steps = args.next().transpose()?.unwrap_or(50);
    let batch = args.next().transpose()?.unwrap_or(16);
    let speed = args.next().transpose()?;
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    let texts = Corpus::texts(
        &data.join("rt_polarity.train.tsv"),
        &data.join("rt_polarity.dev.tsv"),
        None,
    )?;
    let task = TextClassification::new(texts.labels.names().to_vec());
    let network = "embed(width = 64) >> bilstm(hidden = 64) >> attention >> softmax";
    let sizes = Sizes {
        steps,
        batch,
        speed,
    };
    check::<_, Floats2>("textcat", network, &task, &texts, mpi, sizes)?;
    let tagged = Corpus::tagged(
        &data.join("twt_upos.train.conll"),
        &data.join("twt_upos.dev.conll"),
        None,
    )?;
    let task = Tagging::new(tagged.labels.names().to_vec());
    let network = "embed(width = 64) >> bilstm(hidden = 64) >> softmax";
    check::<_, Ragged<Floats2>>("tagger", network, &task, &tagged, mpi, sizes)
}

/// The command's numbers: steps, examples per process and step, and the words per second of
/// one process to model the scaling from (by default, as measured).
#[derive(Clone, Copy)]
struct Sizes {
    steps: usize,
    batch: usize,
    speed: Option<usize>,
}

/// Trains `network` for `task` on the first `steps` batches of `corpus`, shared and alone,
/// and prints and checks what the module doc says.
fn check<T, Out>(
    name: &str,
    network: &str,
    task: &T,
    corpus: &Corpus<T::Truth>,
    mpi: &mut Mpi,
    sizes: Sizes,
) -> Result<(), Box<dyn Error>>
where
    T: Task<Out = Out>,
    Out: weft::Data + weft::Batch,
    [T::Truth]: Truths,
{
    let Sizes {
        steps,
        batch,
        speed,
    } = sizes;
    let whole = batch * mpi.processes();
    let examples = |corpus: &Examples<T::Truth>, n: usize| {
        let n = n.min(corpus.len());
        Examples::new(
            corpus.sequences()[..n].to_vec(),
            corpus.truths()[..n].to_vec(),
        )
    };
    let train = examples(&corpus.train, steps * whole)?;
    let dev = examples(&corpus.dev, 64)?;
    let network = Network::parse(network)?;
    let new = || -> weft::Result<Boxed<Ragged<Ids>, Out>> {
        weft::set_seed(0);
        network.initialize(&corpus.train.inputs(), corpus.train.truths())
    };
    let settings = Settings {
        epochs: 1,
        batch_size: BatchSize::examples(whole),
        ..Settings::default()
    };
    let fit = |exchange: &mut dyn Exchange| -> Result<(Vec<f32>, f64, usize), Box<dyn Error>> {
        let mut model = new()?;
        let data = Data {
            task,
            train: &train,
            dev: &dev,
        };
        let mut adam = Adam::new(0.001);
        let outcome = train_data_parallel(
            exchange,
            Begin::Afresh,
            &mut model,
            &mut adam,
            data,
            &settings,
            &mut (),
        )?;
        let last = outcome.evaluations.last().ok_or("no evaluation")?;
        let mut weights = Vec::new();
        model.for_each_param(&mut |_, p| weights.extend_from_slice(p.value()));
        Ok((weights, last.seconds, last.words))
    };

    let (bytes, exchanged) = (mpi.bytes_sent(), mpi.seconds());
    let (shared, seconds, words) = fit(mpi)?;
    let bytes = (mpi.bytes_sent() - bytes) as f64 / steps as f64;
    let exchanged = (mpi.seconds() - exchanged) / steps as f64;

    // Every process sent as many floats to the sum, and its own rows to the gather: the mean.
    let mut mean = [bytes as f32 / mpi.processes() as f32];
    mpi.sum(&mut mean)?;
    let bytes = f64::from(mean[0]);
    // Both sums timed with the processes in step (the exchange's time above also holds the wait
    // for the slowest process's batch): the rows-touched buffer a step sent, and the dense one.
    let mut timed_sum = |floats: usize| -> Result<f64, Box<dyn Error>> {
        let mut values = vec![0.0f32; floats];
        let started = Instant::now();
        for _ in 0..5 {
            mpi.sum(&mut values)?;
        }
        Ok(started.elapsed().as_secs_f64() / 5.0)
    };
    let sparse_seconds = timed_sum((bytes / 4.0) as usize)?;
    let dense_seconds = timed_sum(shared.len())?;

    let bits: Vec<u32> = shared.iter().map(|w| w.to_bits()).collect();
    let everyone = mpi.gather(&bits)?;
    if everyone.chunks(bits.len()).any(|theirs| theirs != bits) {
        return Err(format!("{name}: the processes' weights differ").into());
    }
    if mpi.rank() != 0 {
        return Ok(());
    }
    println!(
        "{name}, {} process(es), {steps} steps of {whole} examples: {:.0} words/s; per step \
         {:.2} ms of which {:.2} ms in the exchange, {:.0} bytes sent (a sum of as many takes \
         {:.2} ms in step; a dense sum of the whole gradient, {} parameters, {:.2} ms)",
        mpi.processes(),
        words as f64 / seconds,
        1e3 * seconds / steps as f64,
        1e3 * exchanged,
        bytes,
        1e3 * sparse_seconds,
        shared.len(),
        1e3 * dense_seconds,
    );
    let (alone, seconds, words) = fit(&mut Alone)?;
    let largest = (alone.iter().zip(&shared))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    println!(
        "{name}, 1 process alone, the same batches: {:.0} words/s; the largest difference of \
         the weights: {largest:.3e} (tolerance {TOLERANCE:.0e})",
        words as f64 / seconds
    );
    let mut table = (0, 0);
    new()?.for_each_param(&mut |path, p| {
        if path.ends_with("embed.E") {
            table = p.matrix().dim();
        }
    });
    let words = words as f64 / steps as f64 * batch as f64 / whole as f64;
    let step = Step {
        compute: match speed {
            Some(speed) => words / speed as f64,
            None => seconds / steps as f64 * batch as f64 / whole as f64,
        },
        words,
        table,
        dense: shared.len() - table.0 * table.1,
    };
    for link in [Link::ETHERNET, Link::INFINIBAND] {
        let model = [8, 32, 128].map(|nodes| {
            let (seconds, bytes) = step.among(nodes, batch, &corpus.train, &link);
            format!(
                "{nodes} nodes {:.0} words/s ({:.1}x, {:.1} MB a step)",
                nodes as f64 * step.words / seconds,
                nodes as f64 * step.compute / seconds,
                bytes / 1e6
            )
        });
        println!("{name}, {}: {}", link.name, model.join(", "));
    }
    match largest < TOLERANCE {
        true => Ok(()),
        false => Err(format!("{name}: the weights differ by {largest:e}").into()),
    }
}

/// A cluster's network links, as the scaling model sees it.
struct Link {
    name: &'static str,
    /// Bytes per second, each way, per node.
    bandwidth: f64,
    /// Seconds a message takes to start.
    latency: f64,
}

impl Link {
    const ETHERNET: Link = Link {
        name: "10 Gb/s Ethernet, 25 µs",
        bandwidth: 1.25e9,
        latency: 25e-6,
    };
    const INFINIBAND: Link = Link {
        name: "100 Gb/s InfiniBand, 2 µs",
        bandwidth: 12.5e9,
        latency: 2e-6,
    };
}

/// One node's step, measured alone: its compute seconds and words, and the network's lookup
/// table (rows, width) and other parameters.
struct Step {
    compute: f64,
    words: f64,
    table: (usize, usize),
    dense: usize,
}

impl Step {
    /// The seconds of a step among `nodes` of `batch` examples of `train` each, and the bytes
    /// each sends in the sum: the compute, then the gather of the rows touched (each node's
    /// rows to every other, `log₂ n` rounds) and the sum of the table's rows any node touched
    /// and of every other parameter (Rabenseifner's allreduce: `2 log₂ n` rounds, and twice
    /// the buffer over the wire, less a node's share).
    fn among<T: Clone>(
        &self,
        nodes: usize,
        batch: usize,
        train: &Examples<T>,
        link: &Link,
    ) -> (f64, f64) {
        let mut rng = weft::Rng::new(nodes as u64);
        let mut order: Vec<usize> = (0..train.len()).collect();
        rng.shuffle(&mut order);
        let mut rows = std::collections::HashSet::new();
        let mut touched_by_one = 0;
        for (i, &example) in order.iter().cycle().take(nodes * batch).enumerate() {
            rows.extend(train.sequences()[example].iter().copied());
            if i + 1 == batch {
                touched_by_one = rows.len();
            }
        }
        let rounds = (nodes as f64).log2().ceil();
        let gathered = 4.0 * touched_by_one as f64 * (nodes - 1) as f64;
        let summed = 4.0 * (rows.len().min(self.table.0) * self.table.1 + self.dense) as f64;
        let wire = 2.0 * (nodes - 1) as f64 / nodes as f64 * summed + gathered;
        let seconds = self.compute + 3.0 * rounds * link.latency + wire / link.bandwidth;
        (seconds, summed)
    }
}
