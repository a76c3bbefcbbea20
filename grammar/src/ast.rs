//! The two forms of a network before it is checked: [`Syntax`], what a front end reads
//! (operators and calls, no meaning yet), and [`Node`], what the grammar makes of it (layers
//! and combinators, operators flattened).
//!
//! `S` is the front end's span: where a piece was written, for messages.

use crate::catalog::LayerSpec;

/// An expression of the front end's own language (a layer of the user's, a constant or
/// run-time value), kept by the front end; the grammar refers to it by this index.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct ExprId(pub usize);

/// An argument's value as written.
#[derive(Clone, Debug)]
pub struct Value<S> {
    /// What kind of value it is.
    pub kind: ValueKind,
    /// Its source text, for messages.
    pub text: String,
    /// Where it was written.
    pub span: S,
}

/// What kind of value an argument is.
#[derive(Clone, Debug)]
pub enum ValueKind {
    /// An integer literal, with its sign.
    Int(i128),
    /// A number with a fraction.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// Another literal: a string.
    Literal,
    /// A constant expression (an UPPER_CASE name, a `{ block }`), checked by rustc.
    Const(ExprId),
    /// Any other expression, evaluated when the network is built.
    Expr(ExprId),
}

impl<S> Value<S> {
    /// `-self`, written as `text` at `span`: a negative number.
    pub fn negated(self, text: String, span: S) -> Self {
        let kind = match self.kind {
            ValueKind::Int(n) => ValueKind::Int(-n),
            ValueKind::Float(x) => ValueKind::Float(-x),
            other => other,
        };
        Value { kind, text, span }
    }
}

/// A layer of the user's: an expression whose value implements `Model`.
#[derive(Clone, Debug)]
pub struct User<S> {
    /// The expression.
    pub expr: ExprId,
    /// Its source text, for messages.
    pub text: String,
    /// Where it was written.
    pub span: S,
}

/// An expression as a front end reads it: operators, names and calls, without meaning yet.
#[derive(Clone, Debug)]
pub enum Syntax<S> {
    /// `left op right`, with the operator as written (`>>`, `|`, `+`, `-`, ...).
    Binary {
        /// The operator.
        op: String,
        /// Where the operator was written.
        span: S,
        /// The left operand.
        left: Box<Syntax<S>>,
        /// The right operand.
        right: Box<Syntax<S>>,
    },
    /// `left ** count`.
    Clone {
        /// What is copied.
        left: Box<Syntax<S>>,
        /// How many copies.
        count: Value<S>,
    },
    /// `(inner)`.
    Paren(Box<Syntax<S>>),
    /// A plain name: a layer with its defaults, a combinator, or a value of the user's.
    Name {
        /// The name.
        name: String,
        /// Where it was written.
        span: S,
        /// The name as a user's layer, should it be one.
        user: User<S>,
    },
    /// `name(args)`: a layer, a combinator, or a call of the user's.
    Call {
        /// The name called.
        name: String,
        /// Where the name was written.
        span: S,
        /// The arguments.
        args: Vec<CallArg<S>>,
        /// The whole call as a user's layer, should it be one.
        user: User<S>,
    },
    /// A literal where a layer goes: no layer.
    Literal(Value<S>),
    /// Any other expression: a layer of the user's.
    Other(User<S>),
}

/// One argument of a call.
#[derive(Clone, Debug)]
pub enum CallArg<S> {
    /// `name = value`; `name` is `None` when the left side is not a plain name.
    Named {
        /// The argument's name.
        name: Option<String>,
        /// Where the left side was written.
        span: S,
        /// The value.
        value: Value<S>,
    },
    /// An argument without a name: a network (for a combinator), or a count (`clone(a, 3)`).
    Positional {
        /// The argument as a network.
        syntax: Syntax<S>,
        /// The argument as a value, where the front end allows it as one.
        value: Option<Value<S>>,
        /// Where it was written.
        span: S,
    },
}

/// A node of a network, as the grammar reads it.
#[derive(Debug)]
pub enum Node<S> {
    /// `a >> b >> c`, or `chain(a, b, c)`.
    Chain(Vec<Node<S>>),
    /// `a | b | c`, or `concat(a, b, c)`, with the span of its operator or name.
    Concat(Vec<Node<S>>, S),
    /// `a + b + c`, or `add(a, b, c)`.
    Add(Vec<Node<S>>, S),
    /// `a ** n`, or `clone(a, n)`: `n` fresh copies of `a`, chained.
    Clone(Box<Node<S>>, Value<S>),
    /// `residual(a)`: `x + a(x)`.
    Residual(Box<Node<S>>, S),
    /// `with_array(a)`: a per-row network applied to every token.
    WithArray(Box<Node<S>>, S),
    /// `sentences(a)`: a network from a sentence's tokens to one vector, run over every
    /// sentence of documents.
    Sentences(Box<Node<S>>, S),
    /// `both(a)`: a network on both sides of pairs, one set of weights.
    Both(Box<Node<S>>, S),
    /// `attention_by(q)`: attention pooling of each sequence against the query `q` gives it.
    AttentionBy(Box<Node<S>>, S),
    /// A built-in layer, with its named arguments.
    Layer(Layer<S>),
    /// A layer of the user's.
    User(User<S>),
}

/// A built-in layer as written: `name` or `name(arg = value, ...)`.
#[derive(Debug)]
pub struct Layer<S> {
    /// Its entry in the catalog.
    pub spec: &'static LayerSpec,
    /// Where its name was written.
    pub span: S,
    /// Its arguments, as written.
    pub args: Vec<Arg<S>>,
}

/// One `name = value` argument of a layer.
#[derive(Debug)]
pub struct Arg<S> {
    /// The argument's name.
    pub name: String,
    /// Where the name was written.
    pub span: S,
    /// Its value.
    pub value: Value<S>,
}

impl<S> Layer<S> {
    /// The layer as the user wrote it, for messages: `embed(width = 64)`.
    pub fn source(&self) -> String {
        if self.args.is_empty() {
            return self.spec.name.to_string();
        }
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| format!("{} = {}", a.name, a.value.text))
            .collect();
        format!("{}({})", self.spec.name, args.join(", "))
    }

    /// The value given for the argument `name`.
    pub fn arg(&self, name: &str) -> Option<&Value<S>> {
        self.args.iter().find(|a| a.name == name).map(|a| &a.value)
    }
}

impl<S: Copy> Node<S> {
    /// Where the node was written: its first layer, or its operator.
    pub fn span(&self) -> Option<S> {
        match self {
            Node::Layer(l) => Some(l.span),
            Node::User(u) => Some(u.span),
            Node::Concat(_, s)
            | Node::Add(_, s)
            | Node::Residual(_, s)
            | Node::WithArray(_, s)
            | Node::Sentences(_, s)
            | Node::Both(_, s)
            | Node::AttentionBy(_, s) => Some(*s),
            Node::Chain(nodes) => nodes.first().and_then(Node::span),
            Node::Clone(inner, _) => inner.span(),
        }
    }
}
