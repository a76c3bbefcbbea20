//! Checks a network and works out what flows between its layers: the kind of data (token ids,
//! sequences of vectors, one vector per example) and its width. Every error is spanned at the
//! layer, argument or operator at fault and says what the layer before it outputs.

use crate::args::{self, Args};
use crate::ast::{Layer, Node, User, ValueKind};
use crate::catalog::{Outputs, Takes, Width as OutWidth};
use crate::error::Error;
use crate::flow::{Data, Flow};
use crate::message;
use crate::net::{ArgValue, Bindings, Built, Checked, Eager, FromData, Net, UserOutput};
use crate::width::{Sym, Width};

mod shapes;

use shapes::one_side_at_a_time;

/// Checks a whole network, from its input.
pub fn check<S: Copy>(node: Node<S>) -> Result<Checked<S>, Error<S>> {
    let mut checker = Checker::default();
    let (net, _) = checker.check(node, Flow::start())?;
    Ok(Checked {
        net,
        bindings: checker.bindings,
    })
}

/// The state of a check: what has been bound so far.
#[derive(Default)]
pub(crate) struct Checker {
    pub(crate) bindings: Bindings,
    /// Inside `** n` or `clone(...)`: layers of the user's stay inline, to be built once per
    /// copy.
    in_clone: bool,
    /// Inside `sentences(...)`: the network reads one sentence's tokens.
    in_sentences: bool,
}

/// A checked node and what flows out of it.
type Outcome<S> = Result<(Net<S>, Flow), Error<S>>;

impl Checker {
    fn check<S: Copy>(&mut self, node: Node<S>, input: Flow) -> Outcome<S> {
        match node {
            Node::Chain(nodes) => {
                let mut flow = input;
                let mut nets = Vec::with_capacity(nodes.len());
                for node in nodes {
                    let (net, out) = self.check(node, flow)?;
                    nets.push(net);
                    flow = out;
                }
                Ok((Net::Chain(nets), flow))
            }
            Node::Concat(nodes, span) => self.concat(nodes, span, input),
            Node::Add(nodes, span) => self.add(nodes, span, input),
            Node::Clone(inner, count) => {
                let count_span = count.span;
                if matches!(count.kind, ValueKind::Int(n) if n < 1) {
                    return Err(Error::new(count_span, "`** n` needs at least one copy"));
                }
                let count = args::count(&count, "`** n`")?;
                let was = std::mem::replace(&mut self.in_clone, true);
                let span = inner.span().unwrap_or(count_span);
                let result = self.same_shape(
                    *inner,
                    span,
                    input,
                    "`** n` chains copies of one layer, so the layer",
                );
                self.in_clone = was;
                let (net, out) = result?;
                Ok((Net::Clone(Box::new(net), count), out))
            }
            Node::Residual(inner, span) => {
                let span = inner.span().unwrap_or(span);
                let (net, out) = self.same_shape(
                    *inner,
                    span,
                    input,
                    "`residual` adds a network's output to its input, so the network",
                )?;
                Ok((Net::Residual(Box::new(net)), out))
            }
            Node::WithArray(inner, span) => self.with_array(*inner, span, input),
            Node::Sentences(inner, span) => self.sentences(*inner, span, input),
            Node::Both(inner, span) => self.both(*inner, span, input),
            Node::AttentionBy(inner, span) => self.attention_by(*inner, span, input),
            Node::Layer(layer) => self.layer(layer, input),
            Node::User(user) => Ok(self.user(user)),
        }
    }

    fn branches<S: Copy>(
        &mut self,
        nodes: Vec<Node<S>>,
        input: &Flow,
    ) -> Result<(Vec<Net<S>>, Vec<Flow>), Error<S>> {
        let mut nets = Vec::new();
        let mut outs = Vec::new();
        for node in nodes {
            let (net, out) = self.check(node, input.clone())?;
            nets.push(net);
            outs.push(out);
        }
        Ok((nets, outs))
    }

    fn add<S: Copy>(&mut self, nodes: Vec<Node<S>>, span: S, input: Flow) -> Outcome<S> {
        let (nets, outs) = self.branches(nodes, &input)?;
        let first = outs[0].clone();
        for out in &outs[1..] {
            let kinds_differ =
                out.data != first.data && ![out.data, first.data].contains(&Data::Unknown);
            let message = if kinds_differ || out.paired != first.paired {
                format!(
                    "`+` adds outputs of one kind, but {} and {}",
                    first.says(),
                    out.says()
                )
            } else if out.width.differs(&first.width) {
                format!(
                    "`+` adds outputs of one width, but `{}` outputs {} and `{}` outputs {}",
                    first.source,
                    first.width.describe(),
                    out.source,
                    out.width.describe()
                )
            } else {
                continue;
            };
            return Err(Error::new(span, message));
        }
        // A layer of the user's fits any kind; what the others output is what flows on.
        let out = outs.into_iter().find(|o| o.data != Data::Unknown);
        Ok((Net::Add(nets), out.unwrap_or(first)))
    }

    /// `a | b`: outputs of one kind (a vector per token, or one per example) side by side.
    fn concat<S: Copy>(&mut self, nodes: Vec<Node<S>>, span: S, input: Flow) -> Outcome<S> {
        if input.paired {
            return Err(Error::new(
                span,
                format!(
                    "`|` puts vectors side by side, one per example, but {}: `concat_sides` puts the \
                     two sides' vectors side by side",
                    input.says()
                ),
            ));
        }
        let (nets, outs) = self.branches(nodes, &input)?;
        if let Some(out) = outs
            .iter()
            .find(|o| !matches!(o.data, Data::Tokens | Data::Rows | Data::Unknown))
        {
            return Err(Error::new(
                span,
                format!("`|` puts vectors side by side, but {}", out.says()),
            ));
        }
        let mut known = outs.iter().filter(|o| o.data != Data::Unknown);
        let data = match known.next() {
            Some(first) => {
                if let Some(other) = known.find(|o| o.data != first.data) {
                    return Err(Error::new(
                        span,
                        format!(
                            "`|` puts outputs of one kind side by side, but {} and {}",
                            first.says(),
                            other.says()
                        ),
                    ));
                }
                first.data
            }
            None => Data::Unknown,
        };
        let widths: Vec<Width> = outs.iter().map(|o| o.width.clone()).collect();
        let width = Width::sum(&widths);
        let source = outs
            .iter()
            .map(|o| o.source.as_str())
            .collect::<Vec<_>>()
            .join(" | ");
        let flow = Flow {
            data,
            width: width.clone(),
            source,
            token_by_token: input.token_by_token && data == Data::Rows,
            // Branches of one kind: the first tells the kind of all.
            after: outs[0].after.filter(|_| data == Data::Unknown),
            paired: false,
        };
        Ok((Net::Concat(nets, width), flow))
    }

    /// A network that must output what it takes (for `** n` and `residual`).
    fn same_shape<S: Copy>(
        &mut self,
        node: Node<S>,
        span: S,
        input: Flow,
        why: &str,
    ) -> Outcome<S> {
        let (net, out) = self.check(node, input.clone())?;
        let kind_differs = out.data != input.data || out.paired != input.paired;
        let message = if input.data != Data::Start && kind_differs {
            format!("{why} must output what it takes, but {}", out.says())
        } else if out.width.differs(&input.width) {
            format!(
                "{why} must output what it takes, but `{}` takes width {} and outputs {}",
                out.source,
                input.width.describe(),
                out.width.describe()
            )
        } else {
            return Ok((net, out));
        };
        Err(Error::new(span, message))
    }

    fn with_array<S: Copy>(&mut self, node: Node<S>, span: S, input: Flow) -> Outcome<S> {
        let data = match input.data {
            _ if input.paired => {
                return Err(Error::new(span, one_side_at_a_time("with_array", &input)));
            }
            Data::Tokens | Data::Start => Data::Rows,
            Data::Unknown => Data::Unknown,
            _ => {
                return Err(Error::new(
                    span,
                    format!(
                        "`with_array` applies a layer to every token's vector, but {}",
                        input.says()
                    ),
                ));
            }
        };
        let inner_input = Flow {
            data,
            token_by_token: true,
            ..input
        };
        let (net, out) = self.check(node, inner_input)?;
        if !matches!(out.data, Data::Rows | Data::Unknown) {
            return Err(Error::new(
                span,
                format!(
                    "`with_array` needs layers that output vectors, but {}",
                    out.says()
                ),
            ));
        }
        let out = Flow {
            data: Data::Tokens,
            token_by_token: false,
            ..out
        };
        Ok((Net::WithArray(Box::new(net)), out))
    }

    fn user<S: Copy>(&mut self, user: User<S>) -> (Net<S>, Flow) {
        let binding = (!self.in_clone).then(|| self.bind(Eager::Layer(user.expr)));
        let flow = Flow {
            data: Data::Unknown,
            width: Width::Infer(Some(user.expr)),
            source: user.text.clone(),
            token_by_token: false,
            after: binding.map(|binding| UserOutput {
                binding,
                expr: user.expr,
            }),
            paired: false,
        };
        (Net::User { user, binding }, flow)
    }

    fn layer<S: Copy>(&mut self, layer: Layer<S>, input: Flow) -> Outcome<S> {
        let spec = layer.spec;
        let mut args = Args::new(self, &layer)?;
        let source = layer.source();
        let span = layer.span;
        let in_width = args.input_width(&input)?;
        let per_token = takes(&layer, &input)?;
        let mut values = Vec::with_capacity(spec.args.len());
        for arg in spec.args {
            values.push((arg.name, args.resolve(arg, &in_width, &input, &source)?));
        }
        args.check_between(&values)?;
        let window = match spec.width {
            OutWidth::Window(name) => Some(self.count_width(&layer, name, &mut values)),
            _ => None,
        };
        let width_of = |name: &str| match values.iter().find(|(n, _)| *n == name) {
            Some((_, ArgValue::Width(w))) => w.clone(),
            _ => unreachable!("the catalog's width rules name width arguments"),
        };
        let output = match spec.width {
            OutWidth::Input => in_width.clone(),
            OutWidth::Arg(name) => width_of(name),
            OutWidth::Twice(name) => width_of(name).twice(),
            OutWidth::Window(_) => in_width.window(window.as_ref().expect("a window's count")),
            OutWidth::Parts { base, flags } => {
                let set = |name: &str| {
                    let value = values.iter().find(|(n, _)| *n == name);
                    matches!(value, Some((_, ArgValue::Bool(true))))
                };
                let parts = base + flags.iter().filter(|name| set(name)).count();
                Width::sum(&vec![in_width.clone(); parts])
            }
        };
        let data = match spec.outputs {
            Outputs::Sequences | Outputs::PairedSequences => Data::Tokens,
            Outputs::Pooled => Data::Rows,
            Outputs::Same if per_token => Data::Tokens,
            Outputs::Same => Data::Rows,
        };
        // After a layer of the user's, a layer that takes vectors takes them of whatever kind
        // that layer outputs, and outputs the same kind.
        let lift =
            input.after.is_some() && spec.takes == Takes::Vectors && input.data == Data::Unknown;
        let data = if lift && spec.outputs == Outputs::Same {
            Data::Unknown
        } else {
            data
        };
        let after = input
            .after
            .filter(|_| lift || args::user_width(&in_width, &input));
        let flow = Flow {
            data,
            width: output.clone(),
            source,
            token_by_token: input.token_by_token && data == Data::Rows,
            after: after.filter(|_| data == Data::Unknown || output.is_inferred()),
            paired: spec.outputs == Outputs::PairedSequences,
        };
        let built = Built {
            spec,
            span,
            input: in_width,
            output,
            per_token,
            after,
            lift,
            args: values,
        };
        Ok((Net::Layer(built), flow))
    }

    /// The count argument `name` of `layer` as a width, for a width rule that counts with it.
    /// A run-time expression is bound, to be evaluated once for the argument and the width.
    fn count_width<S: Copy>(
        &mut self,
        layer: &Layer<S>,
        name: &str,
        values: &mut [(&'static str, ArgValue)],
    ) -> Width {
        let (_, value) = values
            .iter_mut()
            .find(|(n, _)| *n == name)
            .expect("the catalog's width rules name arguments");
        match (&*value, layer.arg(name)) {
            (ArgValue::Int(n), _) => Width::Lit(*n as usize),
            (ArgValue::Expr(e), Some(given)) if matches!(given.kind, ValueKind::Const(_)) => {
                Width::Const(Sym::Expr(*e, given.text.clone()))
            }
            (ArgValue::Expr(e), _) => {
                let bound = self.bind(Eager::Size(*e));
                *value = ArgValue::Bound(bound);
                Width::Run(Sym::Bound(bound))
            }
            _ => unreachable!("a count is an integer or an expression"),
        }
    }

    /// Binds `value` to be evaluated once when the network is built; its index.
    pub(crate) fn bind(&mut self, value: Eager) -> usize {
        self.bindings.eager.push(value);
        self.bindings.eager.len() - 1
    }

    /// A size read off the data by `method` for `layer`; its index.
    pub(crate) fn bind_from_data(&mut self, method: &'static str, layer: &str) -> usize {
        self.bindings.from_data.push(FromData {
            method,
            layer: layer.to_string(),
        });
        self.bindings.from_data.len() - 1
    }
}

/// Whether `layer` can read what flows in; `true` when it runs on every token of sequences.
fn takes<S: Copy>(layer: &Layer<S>, input: &Flow) -> Result<bool, Error<S>> {
    let (name, span) = (layer.spec.name, layer.span);
    let refuse = |message: String| Err(Error::new(span, message));
    if input.paired && !layer.spec.takes_pairs() {
        return refuse(one_side_at_a_time(name, input));
    }
    match layer.spec.takes {
        Takes::PairedSequences | Takes::PairedVectors => {
            let (wanted, what) = match layer.spec.takes {
                Takes::PairedSequences => (Data::Tokens, "pairs of sequences of vectors"),
                _ => (Data::Rows, "pairs of vectors, one per side"),
            };
            match input.data {
                Data::Start | Data::Unknown => Ok(false),
                data if data == wanted && input.paired => Ok(false),
                _ if input.paired => refuse(format!("`{name}` reads {what}, but {}", input.says())),
                _ => refuse(format!(
                    "`{name}` reads {what}, but {}: `both(...)` runs a network on both sides of \
                     pairs",
                    input.says()
                )),
            }
        }
        Takes::Ids | Takes::Keys => {
            let (wanted, what) = match layer.spec.takes {
                Takes::Ids => (Data::Ids, "token ids"),
                _ => (Data::Keys, "hash keys"),
            };
            if matches!(input.data, Data::Start | Data::Unknown) || input.data == wanted {
                return Ok(false);
            }
            refuse(format!(
                "`{name}` takes {what}, so it comes first in a network; but {}",
                input.says()
            ))
        }
        Takes::Sequences => match input.data {
            Data::Tokens | Data::Start | Data::Unknown => Ok(false),
            Data::Rows => refuse(format!("`{name}` reads sequences, but {}", input.says())),
            Data::Ids | Data::Keys => refuse(format!(
                "`{name}` reads sequences of vectors, but {}: {}",
                input.says(),
                message::put_embedding_first()
            )),
        },
        Takes::Vectors => match input.data {
            Data::Tokens => Ok(true),
            Data::Rows | Data::Start | Data::Unknown => Ok(false),
            Data::Ids | Data::Keys => refuse(format!(
                "`{name}` takes vectors, but {}: {}",
                input.says(),
                message::put_embedding_first()
            )),
        },
    }
}
