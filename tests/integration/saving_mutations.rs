//! A seeded mutation campaign against loading: the saved forms of several architectures, each
//! mutated at random (bits flipped, bytes changed, cut, inserted or deleted, parameters' paths,
//! values, blocks or whole parameters swapped, or random bytes instead). Every mutated input
//! must fail to load with a load error that leaves the model as it was, or load exactly the
//! values saved: never other values, never a panic.
//!
//! `cargo test` tries 20,000 inputs. The full campaign, a million inputs (or `WEFT_MUTATIONS`),
//! prints what refused each kind of mutation:
//! `cargo test --release --test integration mutation_campaign -- --ignored --nocapture`.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use weft::combinators::{chain, clones, with_array};
use weft::layers::{Embed, LayerNorm, Linear, Lstm, Mish, ReduceMean, Relu};
use weft::{Const as C, Error, LoadError, Params, Rng};

use crate::saving::{combinators_network, golden_network, linear, value_ranges};

/// A model to load into, and the saved form of the same architecture with other weights.
struct Subject {
    name: &'static str,
    model: Box<dyn Params>,
    /// The model's own saved form: what it must still be after a failed load.
    before: Vec<u8>,
    /// The saved form that is mutated.
    saved: Vec<u8>,
    /// Where each parameter's path stands in `saved`.
    paths: Vec<Range<usize>>,
    /// Where each parameter's map stands in `saved`.
    tensors: Vec<Range<usize>>,
    /// Where each parameter's values stand in `saved`.
    values: Vec<Range<usize>>,
}

impl Subject {
    /// `make` builds the architecture: once to load into, once with other weights to save.
    fn new<M: Params + 'static>(name: &'static str, make: impl Fn() -> M) -> Self {
        let model = make();
        let mut other = make();
        let mut rng = Rng::new(7);
        other
            .for_each_param_mut(&mut |_, param| {
                param.value_mut().fill_with(|| rng.uniform(-1.0, 1.0));
            })
            .unwrap();
        let saved = other.to_bytes().unwrap();
        let before = model.to_bytes().unwrap();
        assert_ne!(saved, before);
        let paths: Vec<Range<usize>> = (other.param_names().iter())
            .map(|path| string_at(&saved, path))
            .collect();
        // A parameter's map begins just before the `path` key that precedes its path, and ends
        // where the next begins, or where the checksum field does.
        let checksum = position(&saved, b"\xa8checksum");
        let starts: Vec<usize> = paths.iter().map(|path| path.start - 7).collect();
        let ends = starts.iter().skip(1).copied().chain([checksum]);
        let tensors = starts.iter().zip(ends).map(|(&s, e)| s..e).collect();
        let values = value_ranges(&saved);
        Subject {
            name,
            model: Box::new(model),
            before,
            saved,
            paths,
            tensors,
            values,
        }
    }
}

/// Where `part` first occurs in `bytes`.
fn position(bytes: &[u8], part: &[u8]) -> usize {
    let at = bytes.windows(part.len()).position(|w| w == part);
    at.expect("the part occurs")
}

/// Where the msgpack string `text` (a fixstr) stands in `bytes`, its header left out.
fn string_at(bytes: &[u8], text: &str) -> Range<usize> {
    let encoded = [&[0xa0 | text.len() as u8][..], text.as_bytes()].concat();
    let start = position(bytes, &encoded) + 1;
    start..start + text.len()
}

/// The architectures: most layers and every combinator, attributes of all kinds, parameters
/// of one shape (whose paths may be swapped), nested combinators and a layer that walks nothing.
fn subjects() -> Vec<Subject> {
    vec![
        Subject::new("golden", golden_network),
        Subject::new("combinators", combinators_network),
        Subject::new("linear >> linear", || chain(linear(), linear())),
        Subject::new("embed >> lstm >> mean >> norm >> linear", || {
            chain(
                with_array(Embed::new(6, C::<3>)),
                chain(
                    Lstm::new(C::<3>, C::<2>, 2),
                    chain(
                        ReduceMean::new(C::<2>),
                        chain(LayerNorm::new(C::<2>), Linear::new(C::<2>, C::<2>)),
                    ),
                ),
            )
        }),
        Subject::new("mish ** 3 >> relu", || {
            chain(
                clones(3, || Mish::new(C::<2>, C::<2>)),
                Relu::new(C::<2>, C::<3>),
            )
        }),
    ]
}

/// A way to change a saved model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mutation {
    /// One to four bits flipped.
    FlipBits,
    /// One to four bytes set to random values.
    ChangeBytes,
    /// The bytes cut short.
    Truncate,
    /// One to sixteen random bytes inserted.
    Insert,
    /// One to sixteen bytes deleted.
    Delete,
    /// The paths of two parameters swapped.
    SwapPaths,
    /// Two values of the parameters swapped.
    SwapValues,
    /// Two blocks of one to 32 bytes swapped.
    SwapBlocks,
    /// Two parameters' maps swapped whole.
    SwapParams,
    /// Up to 64 random bytes, no model at all.
    Random,
}

const MUTATIONS: [Mutation; 10] = [
    Mutation::FlipBits,
    Mutation::ChangeBytes,
    Mutation::Truncate,
    Mutation::Insert,
    Mutation::Delete,
    Mutation::SwapPaths,
    Mutation::SwapValues,
    Mutation::SwapBlocks,
    Mutation::SwapParams,
    Mutation::Random,
];

impl Mutation {
    /// `subject`'s saved form, changed this way.
    fn apply(self, subject: &Subject, rng: &mut Rng) -> Vec<u8> {
        let mut bytes = subject.saved.clone();
        let n = bytes.len();
        match self {
            Mutation::FlipBits => {
                for _ in 0..1 + rng.below(4) {
                    bytes[rng.below(n)] ^= 1 << rng.below(8);
                }
            }
            Mutation::ChangeBytes => {
                for _ in 0..1 + rng.below(4) {
                    bytes[rng.below(n)] = rng.below(256) as u8;
                }
            }
            Mutation::Truncate => bytes.truncate(rng.below(n)),
            Mutation::Insert => {
                let noise: Vec<u8> = (0..1 + rng.below(16))
                    .map(|_| rng.below(256) as u8)
                    .collect();
                let at = rng.below(n + 1);
                bytes.splice(at..at, noise);
            }
            Mutation::Delete => {
                let at = rng.below(n);
                bytes.drain(at..(at + 1 + rng.below(16)).min(n));
            }
            Mutation::SwapPaths => return swap(&bytes, &subject.paths, rng),
            Mutation::SwapParams => return swap(&bytes, &subject.tensors, rng),
            Mutation::SwapValues => {
                let values: Vec<Range<usize>> = (subject.values.iter())
                    .flat_map(|range| range.clone().step_by(4).map(|at| at..at + 4))
                    .collect();
                return swap(&bytes, &values, rng);
            }
            Mutation::SwapBlocks => {
                let len = 1 + rng.below(32);
                let first = rng.below(n - 2 * len);
                let second = first + len + rng.below(n - first - 2 * len + 1);
                return swap(&bytes, &[first..first + len, second..second + len], rng);
            }
            Mutation::Random => {
                bytes = (0..rng.below(65)).map(|_| rng.below(256) as u8).collect();
            }
        }
        bytes
    }
}

/// `bytes` with two of the non-overlapping `ranges`, in order, swapped (of any lengths).
fn swap(bytes: &[u8], ranges: &[Range<usize>], rng: &mut Rng) -> Vec<u8> {
    let i = rng.below(ranges.len());
    let j = (i + 1 + rng.below(ranges.len() - 1)) % ranges.len();
    let (a, b) = (&ranges[i.min(j)], &ranges[i.max(j)]);
    [
        &bytes[..a.start],
        &bytes[b.clone()],
        &bytes[a.end..b.start],
        &bytes[a.clone()],
        &bytes[b.end..],
    ]
    .concat()
}

/// What became of the inputs of one kind of mutation.
#[derive(Default)]
struct Outcomes {
    /// Inputs that loaded, being the saved bytes themselves (a swap of two equal values).
    unchanged: usize,
    /// Inputs that differed from the saved bytes and loaded the values saved.
    same_values: usize,
    /// Inputs refused, by the kind of error.
    refused: BTreeMap<&'static str, usize>,
}

/// The kind of a load error.
fn kind(error: &LoadError) -> &'static str {
    match error {
        LoadError::Malformed { .. } => "malformed",
        LoadError::Version { .. } => "version",
        LoadError::Damaged { .. } => "damaged",
        LoadError::Architecture { .. } => "architecture",
        LoadError::MissingParam { .. } => "missing parameter",
        LoadError::UnexpectedParam { .. } => "unexpected parameter",
        LoadError::Dtype { .. } => "dtype",
        LoadError::Shape { .. } => "shape",
        LoadError::DataLength { .. } => "data length",
        LoadError::NonFinite { .. } => "non-finite",
        _ => "other",
    }
}

/// The outcomes of `inputs` mutated inputs from `seed`, by mutation; panics at the first input
/// that loads other values than those saved, or fails and changes the model.
fn campaign(inputs: usize, seed: u64) -> BTreeMap<Mutation, Outcomes> {
    let mut subjects = subjects();
    let mut rng = Rng::new(seed);
    let mut outcomes: BTreeMap<Mutation, Outcomes> = BTreeMap::new();
    for input in 0..inputs {
        let count = subjects.len();
        let subject = &mut subjects[input % count];
        let mutation = MUTATIONS[rng.below(MUTATIONS.len())];
        let bytes = mutation.apply(subject, &mut rng);
        let what = format!(
            "input {input} of seed {seed}, {mutation:?} of {}",
            subject.name
        );
        let outcome = outcomes.entry(mutation).or_default();
        match subject.model.from_bytes(&bytes) {
            Ok(()) => {
                let loaded = subject.model.to_bytes().unwrap();
                assert!(loaded == subject.saved, "{what} loaded other values");
                match bytes == subject.saved {
                    true => outcome.unchanged += 1,
                    false => outcome.same_values += 1,
                }
                subject.model.from_bytes(&subject.before).unwrap();
            }
            Err(Error::Load { path: None, error }) => {
                let after = subject.model.to_bytes().unwrap();
                assert!(
                    after == subject.before,
                    "{what} failed and changed the model"
                );
                *outcome.refused.entry(kind(&error)).or_default() += 1;
            }
            Err(other) => panic!("{what}: not a load error: {other}"),
        }
    }
    outcomes
}

/// One line per mutation: how many inputs, and what became of them.
struct Table<'a>(&'a BTreeMap<Mutation, Outcomes>);

impl fmt::Display for Table<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (mutation, outcome) in self.0 {
            let refused: usize = outcome.refused.values().sum();
            let total = refused + outcome.unchanged + outcome.same_values;
            write!(f, "{:<12} {total:>8} inputs:", format!("{mutation:?}"))?;
            for (kind, count) in &outcome.refused {
                write!(f, " {count} {kind},")?;
            }
            writeln!(
                f,
                " {} unchanged loaded, {} changed loaded the saved values",
                outcome.unchanged, outcome.same_values
            )?;
        }
        Ok(())
    }
}

#[test]
fn twenty_thousand_mutations_load_nothing_altered() {
    let outcomes = campaign(20_000, 1);
    println!("{}", Table(&outcomes));
    assert_eq!(outcomes.len(), MUTATIONS.len());
}

#[test]
#[ignore = "a million inputs: run with --release"]
fn mutation_campaign() {
    let inputs = std::env::var("WEFT_MUTATIONS").map_or(1_000_000, |n| n.parse().unwrap());
    let start = std::time::Instant::now();
    let outcomes = campaign(inputs, 2);
    println!(
        "{inputs} inputs in {:.1?}\n{}",
        start.elapsed(),
        Table(&outcomes)
    );
}
