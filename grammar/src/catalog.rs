//! The one table of built-in layers, and the combinators.
//!
//! Adding a built-in layer to the grammar is one [`LayerSpec`] in [`LAYERS`]: its name, its
//! arguments with their kinds and defaults, what it reads and outputs, its output width, and
//! the code that builds it. The checks, the messages and the code generation of `model!` all
//! read this table; nothing else names a layer.
//!
//! # Code templates
//!
//! [`LayerSpec::value`] and [`LayerSpec::ty`] are Rust, the code `model!` writes. In them `$x` stands for the value of `x` and `#x` for its type, where `x` is `in`
//! (the input width), `out` (the output width) or one of the layer's arguments. A width's
//! value is `Const::<64>` or a `usize` expression, its type `Const<64>` or `usize` (`_` where
//! only rustc can tell). Layers that take vectors run token by token over sequences: the
//! generated code wraps them in `with_array` itself.

mod layers;

pub use layers::LAYERS;

/// What a layer reads.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Takes {
    /// Token ids (`Ragged<Ids>`): the layer comes first in a network.
    Ids,
    /// Hash keys (`Ragged<Keys>`): the layer comes first in a network.
    Keys,
    /// Sequences of vectors (`Ragged<Floats2<W>>`).
    Sequences,
    /// Vectors (`Floats2<W>`): one per example, or, over sequences, one per token.
    Vectors,
    /// Pairs of sequences of vectors (`Pairs<Ragged<Floats2<W>>>`).
    PairedSequences,
    /// Pairs of vectors, one per side (`Pairs<Floats2<W>>`).
    PairedVectors,
}

/// What a layer outputs.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Outputs {
    /// A vector per token (`Ragged<Floats2<W>>`).
    Sequences,
    /// One vector per sequence (`Floats2<W>`).
    Pooled,
    /// What it takes: vectors per example, or per token.
    Same,
    /// Pairs of sequences, a vector per token (`Pairs<Ragged<Floats2<W>>>`).
    PairedSequences,
}

/// The kind of an argument: how its value is checked, and what type it has in Rust.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum ArgKind {
    /// A width, at least 1: an integer, a constant (checked by rustc) or a run-time `usize`.
    Width,
    /// A size, at least 1 (`usize`), such as a table's rows.
    Size,
    /// A count, at least 1 (`usize`), such as a depth.
    Count,
    /// Any `u32` (Thinc's seeds are 32-bit).
    Seed,
    /// An index, from 0 (`usize`), such as a column of keys.
    Index,
    /// A probability, at least 0 and below 1 (`f32`).
    Rate,
    /// A [`Rate`](ArgKind::Rate) applied between stacked layers, which the count argument
    /// named here counts: not above 0 when that count is 1, where there is nothing between.
    Between(&'static str),
    /// `true` or `false` (`bool`), written as such: an option that may change the output
    /// width, which the grammar works out.
    Flag,
    /// A table of word vectors: in `model!` an expression of a `weft::text::Vectors` (or an
    /// `Arc` of one), in a network written as text a string, the file or spaCy vocabulary
    /// folder to read it from.
    Table,
}

impl ArgKind {
    /// Whether it is a probability.
    pub fn is_rate(self) -> bool {
        matches!(self, ArgKind::Rate | ArgKind::Between(_))
    }
}

/// What an argument is when it is not given.
#[derive(Copy, Clone, PartialEq, Debug)]
pub enum ArgDefault {
    /// This integer.
    Int(u64),
    /// This number.
    Float(f64),
    /// This truth value.
    Bool(bool),
    /// The width of the layer's input; left to rustc where the macro cannot see it.
    Input,
    /// The width of the layer's input, which must then be known.
    KnownInput,
    /// Read off the training data when the network is initialized, by this method of
    /// `DataSizes` (`vocab_rows`, `classes`).
    FromData(&'static str),
    /// None: the argument must be given.
    Required,
}

/// One argument of a layer.
#[derive(Copy, Clone, Debug)]
pub struct ArgSpec {
    /// Its name, as written in `layer(name = value)`.
    pub name: &'static str,
    /// How its value is checked.
    pub kind: ArgKind,
    /// Its value when it is not given.
    pub default: ArgDefault,
}

/// The output width of a layer.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Width {
    /// The input width.
    Input,
    /// The value of this width argument.
    Arg(&'static str),
    /// Twice the value of this width argument.
    Twice(&'static str),
    /// The input width once for each token of a window of this count argument's tokens on
    /// each side: `2n + 1` times.
    Window(&'static str),
    /// The input width once for each of `base` parts, and once more for each of these flag
    /// arguments that is `true` (a comparison's parts, side by side).
    Parts {
        /// The parts always there.
        base: usize,
        /// The flags that add a part each.
        flags: &'static [&'static str],
    },
}

/// A built-in layer: everything the grammar and the code generation know of it.
#[derive(Debug)]
pub struct LayerSpec {
    /// Its name in a network expression.
    pub name: &'static str,
    /// What it reads.
    pub takes: Takes,
    /// What it outputs.
    pub outputs: Outputs,
    /// Its arguments, in the order messages list them. A layer that takes vectors or sequences
    /// also takes `input`, the width it expects (see [`LayerSpec::arg_names`]).
    pub args: &'static [ArgSpec],
    /// Its output width.
    pub width: Width,
    /// The expression that builds it (see the [module docs](self)).
    pub value: &'static str,
    /// Its type (see the [module docs](self)).
    pub ty: &'static str,
}

/// The widest a width may be (2^24): wider is surely a typo, and its tables could not be held.
pub const MAX_WIDTH: u64 = 1 << 24;

/// The most a count may be (2^16): stacked layers, copies, maxout pieces.
pub const MAX_COUNT: u64 = 1 << 16;

/// What a value of an [`ArgKind::Table`] argument is, for messages.
pub const EXPECTED_TABLE: &str = "a table of word vectors: in `model!`, a `weft::text::Vectors` \
    (or an `Arc` of one) read before (`let vectors = Vectors::read(path)?`); in a network written \
    as text, the file or spaCy vocabulary folder to read it from, as a string";

/// The argument every layer reading vectors or sequences takes: the width it expects.
pub const INPUT: &str = "input";

/// The built-in layer called `name`.
pub fn layer_spec(name: &str) -> Option<&'static LayerSpec> {
    LAYERS.iter().find(|s| s.name == name)
}

impl LayerSpec {
    /// The names of the arguments it takes, in order, `input` last where it applies.
    pub fn arg_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&str> = self.args.iter().map(|a| a.name).collect();
        if self.takes_input() {
            names.push(INPUT);
        }
        names
    }

    /// The argument called `name`.
    pub fn arg(&self, name: &str) -> Option<&ArgSpec> {
        self.args.iter().find(|a| a.name == name)
    }

    /// Whether it reads vectors (per example or per token), and so takes `input`.
    pub fn takes_input(&self) -> bool {
        !matches!(self.takes, Takes::Ids | Takes::Keys)
    }

    /// Whether it reads pairs: it relates the two sides of each pair.
    pub fn takes_pairs(&self) -> bool {
        matches!(self.takes, Takes::PairedSequences | Takes::PairedVectors)
    }
}

/// A combinator written as a call.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Combinator {
    /// `chain(a, b, ..)`: `a >> b >> ..`.
    Chain,
    /// `concat(a, b, ..)`: `a | b | ..`.
    Concat,
    /// `add(a, b, ..)`: `a + b + ..`.
    Add,
    /// `clone(a, n)`: `a ** n`.
    Clone,
    /// `residual(a)`: `x + a(x)`.
    Residual,
    /// `with_array(a)`: `a` on every token's vector.
    WithArray,
    /// `sentences(a)`: `a` over every sentence of documents, one vector per sentence.
    Sentences,
    /// `both(a)`: `a` on both sides of pairs, one set of weights.
    Both,
    /// `attention_by(q)`: attention pooling of each sequence against the query `q` gives it.
    AttentionBy,
}

/// Every combinator written as a call, by name.
pub const COMBINATORS: &[(&str, Combinator)] = &[
    ("chain", Combinator::Chain),
    ("concat", Combinator::Concat),
    ("add", Combinator::Add),
    ("clone", Combinator::Clone),
    ("residual", Combinator::Residual),
    ("with_array", Combinator::WithArray),
    ("sentences", Combinator::Sentences),
    ("both", Combinator::Both),
    ("attention_by", Combinator::AttentionBy),
];

/// The combinator called `name`.
pub fn combinator(name: &str) -> Option<Combinator> {
    COMBINATORS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, c)| c)
}

#[cfg(test)]
mod tests;
