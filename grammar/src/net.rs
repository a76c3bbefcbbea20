//! The typed description of a checked network: every layer with its widths and arguments
//! resolved, ready for a front end to build (as code in `model!`, as values at run time).

use crate::ast::{ExprId, User};
use crate::catalog::LayerSpec;
use crate::width::Width;

/// A checked network.
#[derive(Debug)]
pub enum Net<S> {
    /// Each feeds the next.
    Chain(Vec<Net<S>>),
    /// Side by side, with the width of the whole.
    Concat(Vec<Net<S>>, Width),
    /// Summed.
    Add(Vec<Net<S>>),
    /// `count` fresh copies, chained.
    Clone(Box<Net<S>>, Count),
    /// `x + inner(x)`.
    Residual(Box<Net<S>>),
    /// `inner` on every token's vector.
    WithArray(Box<Net<S>>),
    /// `inner` over every sentence of documents, one vector per sentence.
    Sentences(Box<Net<S>>),
    /// `inner` on both sides of pairs.
    Both(Box<Net<S>>),
    /// Attention pooling against the queries `inner` gives.
    AttentionBy(Box<Net<S>>),
    /// A built-in layer.
    Layer(Built<S>),
    /// A layer of the user's, evaluated once into entry `binding` of
    /// [`Bindings::eager`] unless it is inside a clone (then once per copy).
    User {
        /// The layer as written.
        user: User<S>,
        /// Its entry in [`Bindings::eager`].
        binding: Option<usize>,
    },
}

/// How many copies a clone makes.
#[derive(Clone, Debug)]
pub enum Count {
    /// This many.
    Int(u64),
    /// As many as this expression says when the network is built.
    Expr(ExprId),
}

/// A built-in layer with every width and argument resolved.
#[derive(Debug)]
pub struct Built<S> {
    /// Its entry in the catalog.
    pub spec: &'static LayerSpec,
    /// Where its name was written.
    pub span: S,
    /// Its input width.
    pub input: Width,
    /// Its output width.
    pub output: Width,
    /// It takes vectors and runs on every token of sequences (wrapped in `with_array`).
    pub per_token: bool,
    /// The layer of the user's whose output it reads, when its input width is that layer's
    /// (then read off the layer when the network is built) or its input's kind is unknown.
    pub after: Option<UserOutput>,
    /// It takes vectors of a layer of the user's, which may output one per example or one
    /// per token: it runs on every token if they are sequences (`after` tells when built).
    pub lift: bool,
    /// Every argument of its spec but `input`, given or defaulted, in the spec's order.
    pub args: Vec<(&'static str, ArgValue)>,
}

/// A layer of the user's whose output a built-in layer reads.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct UserOutput {
    /// The layer's entry in [`Bindings::eager`].
    pub binding: usize,
    /// The layer as written.
    pub expr: ExprId,
}

/// The value of a layer's argument.
#[derive(Clone, Debug)]
pub enum ArgValue {
    /// A width.
    Width(Width),
    /// An integer.
    Int(u64),
    /// A number with a fraction.
    Float(f64),
    /// A flag.
    Bool(bool),
    /// An expression, written where the layer is built.
    Expr(ExprId),
    /// A string, as written between its quotes.
    Text(String),
    /// A size evaluated once when the network is built: entry `i` of [`Bindings::eager`].
    Bound(usize),
    /// A size read off the data: entry `i` of [`Bindings::from_data`].
    FromData(usize),
}

impl<S> Built<S> {
    /// The value of the argument `name`.
    pub fn arg(&self, name: &str) -> Option<&ArgValue> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// What the network needs evaluated before its layers are built, in the order written.
#[derive(Default, Debug)]
pub struct Bindings {
    /// Run-time sizes and layers of the user's, evaluated once, in order, when the network is
    /// built.
    pub eager: Vec<Eager>,
    /// Sizes read off the data when the network is initialized.
    pub from_data: Vec<FromData>,
}

/// Something evaluated once when the network is built.
#[derive(Clone, Debug)]
pub enum Eager {
    /// A `usize` size.
    Size(ExprId),
    /// A layer of the user's.
    Layer(ExprId),
}

/// A size read off the data.
#[derive(Clone, Debug)]
pub struct FromData {
    /// The method of `DataSizes` that reads it (`vocab_rows`, `classes`).
    pub method: &'static str,
    /// The layer that needs it, as written, for the error when the data lacks it.
    pub layer: String,
}

/// A checked network and what it needs evaluated.
#[derive(Debug)]
pub struct Checked<S> {
    /// The network.
    pub net: Net<S>,
    /// What it needs evaluated, referred to by its widths and arguments.
    pub bindings: Bindings,
}

impl<S> Net<S> {
    /// Its output width, as far as the grammar knows it.
    pub fn output_width(&self) -> Width {
        match self {
            Net::Chain(nets) => nets.last().map_or(Width::Infer(None), Net::output_width),
            Net::Add(nets) => nets.first().map_or(Width::Infer(None), Net::output_width),
            Net::Concat(_, width) => width.clone(),
            Net::Clone(inner, _)
            | Net::Residual(inner)
            | Net::WithArray(inner)
            | Net::Sentences(inner)
            | Net::Both(inner)
            | Net::AttentionBy(inner) => inner.output_width(),
            Net::Layer(built) => built.output.clone(),
            Net::User { .. } => Width::Infer(None),
        }
    }
}
