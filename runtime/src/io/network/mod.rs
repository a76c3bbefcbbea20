//! [`Network`]: a network written as text, as in a config file, read and checked by the
//! grammar of `model!` (the same checks and messages, with the place in the text) and built at
//! run time into a [`Boxed`] model.
//!
//! The layers are the same as `model!`'s, put together in the same way, so the parameters and
//! the architecture signature of a network built from text are those of `model!`'s network of
//! the same expression: each loads the other's weights. Widths and depths come from the text, so
//! a change needs no rebuild; sizes left to the data (`embed`'s `rows`, `softmax`'s `classes`)
//! are read off it, as [`Uninitialized::initialize`] does, or given ([`DataSizes::given`]).
//! Layers of your own cannot be named in text (yet): a name that is no built-in layer is an
//! error, with the built-in layer it most likely misspells.

mod layers;
mod stage;

use std::any::{Any, type_name};

use weft_grammar::text::{self, Pos};
use weft_grammar::{ArgValue, Built, Checked, Net, Sym, Width};

use crate::data::Data;
use crate::error::{Error, Result};
use crate::model::{Boxed, DataSizes, Inputs, Truths, Uninitialized};
use crate::text::Vectors;
use stage::Stage;

/// A network read from text and checked, ready to be built.
///
/// ```
/// use weft_runtime::{Boxed, Floats2, Ids, Model, Network, Params, Ragged};
/// let network = Network::parse("embed(width = 8) >> bilstm(hidden = 4) >> attention >> softmax")?;
/// let x = Ragged::from_sequences([vec![1, 2, 3], vec![4, 5]]);
/// let model: Boxed<Ragged<Ids>, Floats2> = network.initialize(&x, &vec![0, 1])?;
/// assert_eq!(model.param_names()[0], "0.embed.E");
/// assert_eq!(model.predict(x).view().shape(), &[2, 2]);
///
/// let err = Network::parse("embed >> bilsm").unwrap_err();
/// assert!(err.to_string().contains("unknown layer `bilsm` (did you mean `bilstm`?)"));
/// # Ok::<(), weft_runtime::Error>(())
/// ```
#[derive(Debug)]
pub struct Network {
    text: String,
    checked: Checked<Pos>,
}

impl Network {
    /// Reads and checks `text`. An error names what is wrong and shows where, under the line.
    pub fn parse(text: &str) -> Result<Network> {
        let checked = text::check(text)
            .and_then(|checked| built_in_only(&checked.net).map(|()| checked))
            .map_err(|err| network_error(text, &err))?;
        Ok(Network {
            text: text.to_string(),
            checked,
        })
    }

    /// The text it was read from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Builds the model, reading the sizes the text leaves open off the training inputs `x`
    /// and truths `y` (see [`Uninitialized::initialize`]). `In` and `Out` are what the model
    /// takes and outputs: `Ragged<Ids>` or `Ragged<Keys>` for a network that starts with an
    /// embedding, [`Documents`](crate::Documents) (of `Ids` or `Keys`) for one that starts with
    /// `sentences`, `Ragged<Floats2>` for a vector per token (or per sentence), `Floats2` for
    /// one per example.
    pub fn initialize<In, Out, Y>(&self, x: &In, y: &Y) -> Result<Boxed<In, Out>>
    where
        In: Data + Inputs,
        Out: Data,
        Y: Truths + ?Sized,
    {
        Uninitialized::new(|sizes: &DataSizes| self.build(sizes)).initialize(x, y)
    }

    /// Builds the model with the sizes in `sizes` (see [`initialize`](Self::initialize) for
    /// `In` and `Out`).
    pub fn build<In: Data, Out: Data>(&self, sizes: &DataSizes) -> Result<Boxed<In, Out>> {
        let built = Builder {
            network: self,
            sizes,
        }
        .net(&self.checked.net)?;
        let ends = built.ends();
        let model: Box<dyn Any> = built.into_any();
        model
            .downcast::<Boxed<In, Out>>()
            .map(|m| *m)
            .map_err(|_| Error::Network {
                message: format!(
                    "`{}` {ends}, not `{}` to `{}`",
                    self.text,
                    short_type_name::<In>(),
                    short_type_name::<Out>()
                ),
            })
    }
}

/// Refuses a layer of the user's: text names built-in layers only (a name that is none is
/// most likely a misspelled one).
fn built_in_only(net: &Net<Pos>) -> std::result::Result<(), weft_grammar::Error<Pos>> {
    match net {
        Net::Chain(nets) | Net::Add(nets) | Net::Concat(nets, _) => {
            nets.iter().try_for_each(built_in_only)
        }
        Net::Clone(inner, _)
        | Net::Residual(inner)
        | Net::WithArray(inner)
        | Net::Sentences(inner)
        | Net::Both(inner)
        | Net::AttentionBy(inner) => built_in_only(inner),
        Net::Layer(_) => Ok(()),
        Net::User { user, .. } => {
            let name = user.text.split('(').next().unwrap_or(&user.text);
            Err(weft_grammar::Error::new(
                user.span,
                weft_grammar::unknown_layer(name),
            ))
        }
    }
}

/// The name of `T` without the paths of its parts: `Ragged<Keys>`.
fn short_type_name<T>() -> String {
    let name = type_name::<T>();
    let mut short = String::with_capacity(name.len());
    for part in name.split_inclusive(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')) {
        short.push_str(part.rsplit("::").next().unwrap_or(part));
    }
    short
}

/// A grammar error as weft's, with the text and a caret under the place.
fn network_error(text: &str, err: &weft_grammar::Error<Pos>) -> Error {
    Error::Network {
        message: text::render(err, text),
    }
}

/// Builds the parts of a network with the sizes given.
struct Builder<'a> {
    network: &'a Network,
    sizes: &'a DataSizes,
}

impl Builder<'_> {
    fn net(&self, net: &Net<Pos>) -> Result<Stage> {
        match net {
            Net::Chain(nets) => self.fold(nets, Stage::chain),
            Net::Add(nets) => self.fold(nets, Stage::add),
            Net::Concat(nets, _) => self.fold(nets, Stage::concat),
            Net::Clone(inner, count) => {
                let count = match count {
                    weft_grammar::Count::Int(n) => *n as usize,
                    weft_grammar::Count::Expr(_) => return Err(self.no_expressions()),
                };
                Stage::clones(count, || self.net(inner))
            }
            Net::Residual(inner) => self.net(inner)?.residual(),
            Net::WithArray(inner) => self.net(inner)?.with_array(),
            Net::Sentences(inner) => self.net(inner)?.sentences(),
            Net::Both(inner) => self.net(inner)?.both(),
            Net::AttentionBy(inner) => self.net(inner)?.attention_by(),
            Net::Layer(built) => layers::layer(self, built),
            Net::User { .. } => Err(Error::Network {
                message: "internal error: a layer of the user's in text".into(),
            }),
        }
    }

    /// `nets` joined, in order, by `join`.
    fn fold(&self, nets: &[Net<Pos>], join: fn(Stage, Stage) -> Result<Stage>) -> Result<Stage> {
        let mut parts = nets.iter().map(|net| self.net(net));
        let first = parts.next().ok_or_else(|| Error::Network {
            message: "internal error: a combinator of no parts".into(),
        })??;
        parts.try_fold(first, |whole, part| join(whole, part?))
    }

    /// The value of a width.
    fn width(&self, width: &Width) -> Result<usize> {
        match width {
            Width::Lit(n) => Ok(*n),
            Width::Run(sym) => self.sym(sym),
            Width::Const(_) | Width::Infer(_) => Err(self.no_expressions()),
        }
    }

    fn sym(&self, sym: &Sym) -> Result<usize> {
        match sym {
            Sym::Lit(n) => Ok(*n),
            Sym::FromData(i) => self.data_size(*i),
            Sym::Twice(inner) => Ok(2 * self.sym(inner)?),
            Sym::Sum(parts) => parts.iter().map(|p| self.sym(p)).sum(),
            Sym::Window(n, width) => Ok((2 * self.sym(n)? + 1) * self.sym(width)?),
            Sym::Expr(..) | Sym::Bound(_) => Err(self.no_expressions()),
        }
    }

    /// Size `i` of those the network reads off the data.
    fn data_size(&self, i: usize) -> Result<usize> {
        let size = &self.network.checked.bindings.from_data[i];
        match size.method {
            "vocab_rows" => self.sizes.vocab_rows(&size.layer),
            "classes" => self.sizes.classes(&size.layer),
            other => Err(Error::Network {
                message: format!("internal error: no size `{other}` is read off the data"),
            }),
        }
    }

    /// The value of a layer's argument `name`, as an integer.
    fn int(&self, built: &Built<Pos>, name: &str) -> Result<u64> {
        match built.arg(name) {
            Some(ArgValue::Int(n)) => Ok(*n),
            Some(ArgValue::Width(width)) => Ok(self.width(width)? as u64),
            Some(ArgValue::FromData(i)) => Ok(self.data_size(*i)? as u64),
            _ => Err(self.no_expressions()),
        }
    }

    /// The value of a layer's argument `name`, as a number.
    fn float(&self, built: &Built<Pos>, name: &str) -> Result<f64> {
        match built.arg(name) {
            Some(ArgValue::Float(x)) => Ok(*x),
            _ => Ok(self.int(built, name)? as f64),
        }
    }

    /// The table of vectors of a layer's argument `name`: read from the file or spaCy
    /// vocabulary folder it names ([`Vectors::read`]).
    fn vectors(&self, built: &Built<Pos>, name: &str) -> Result<Vectors> {
        match built.arg(name) {
            Some(ArgValue::Text(path)) => Vectors::read(path),
            _ => Err(self.no_expressions()),
        }
    }

    /// The value of a layer's flag `name`.
    fn flag(&self, built: &Built<Pos>, name: &str) -> Result<bool> {
        match built.arg(name) {
            Some(ArgValue::Bool(b)) => Ok(*b),
            _ => Err(self.no_expressions()),
        }
    }

    /// What text cannot hold: Rust expressions, which only `model!` reads.
    fn no_expressions(&self) -> Error {
        Error::Network {
            message: format!(
                "internal error: `{}` holds an expression, which text cannot",
                self.network.text
            ),
        }
    }
}
