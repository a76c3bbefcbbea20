//! Checks a parsed network and works out what flows between its layers: the kind of data (token
//! ids, sequences of vectors, one vector per example) and its width. Every error is spanned at
//! the layer or argument at fault and says what the layer before it outputs.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit};

use super::ast::{self, Arg, Layer, Node};
use super::catalog::{self, Kind};

/// A width as the macro knows it.
#[derive(Clone)]
pub enum Width {
    /// An integer literal.
    Lit(usize),
    /// A constant expression (a `CONST` name or a `{ block }`), checked by rustc.
    Const(TokenStream),
    /// A run-time `usize` expression over the macro's bindings.
    Run(TokenStream),
    /// Not known to the macro: rustc infers it; `Some(ty)` is its type when it can be named.
    Infer(Option<TokenStream>),
}

impl Width {
    fn describe(&self) -> Option<String> {
        match self {
            Width::Lit(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn times_two(&self) -> Width {
        match self {
            Width::Lit(n) => Width::Lit(2 * n),
            Width::Const(e) => Width::Const(quote!(2 * (#e))),
            Width::Run(e) => Width::Run(quote!(2 * (#e))),
            Width::Infer(_) => Width::Infer(None),
        }
    }

    fn sum(widths: &[Width]) -> Width {
        if widths.iter().any(|w| matches!(w, Width::Infer(_))) {
            return Width::Infer(None);
        }
        if let Some(total) = widths
            .iter()
            .map(|w| w.describe()?.parse::<usize>().ok())
            .sum()
        {
            return Width::Lit(total);
        }
        let parts = widths.iter().map(|w| match w {
            Width::Lit(n) => quote!(#n),
            Width::Const(e) | Width::Run(e) => quote!((#e)),
            Width::Infer(_) => unreachable!("handled above"),
        });
        let sum = quote!(0 #(+ #parts)*);
        if widths.iter().any(|w| matches!(w, Width::Run(_))) {
            Width::Run(sum)
        } else {
            Width::Const(sum)
        }
    }

    /// True when both are known to the macro and differ.
    fn differs(&self, other: &Width) -> bool {
        match (self, other) {
            (Width::Lit(a), Width::Lit(b)) => a != b,
            _ => false,
        }
    }
}

/// What flows between two layers.
#[derive(Copy, Clone, PartialEq, Eq)]
pub enum Data {
    /// Nothing yet: the network's input, fixed by its first layer.
    Start,
    /// Sequences of token ids (`Ragged<Ids>`).
    Ids,
    /// Sequences of hash keys (`Ragged<Keys>`).
    Keys,
    /// Sequences of vectors (`Ragged<Floats2<W>>`).
    Tokens,
    /// One vector per example (`Floats2<W>`).
    Rows,
    /// The output of a user's layer: unknown to the macro.
    Unknown,
}

/// The data between two layers: its kind, width, and the layer that made it (for messages).
#[derive(Clone)]
pub struct Flow {
    pub data: Data,
    pub width: Width,
    pub source: String,
    /// Inside `with_array` (or `|` over sequences): rows are single tokens' vectors.
    pub token_by_token: bool,
}

impl Flow {
    fn start() -> Flow {
        Flow {
            data: Data::Start,
            width: Width::Infer(None),
            source: "the input".into(),
            token_by_token: false,
        }
    }

    fn says(&self) -> String {
        match self.data {
            Data::Start => "the network starts here".into(),
            Data::Ids => format!("`{}` outputs token ids", self.source),
            Data::Keys => format!("`{}` outputs hash keys", self.source),
            Data::Tokens => format!("`{}` outputs a vector per token", self.source),
            Data::Rows if self.token_by_token => {
                "here layers see one token's vector at a time (inside `with_array`, or `|` over \
                 sequences)"
                    .into()
            }
            Data::Rows => format!("`{}` outputs one vector per example", self.source),
            Data::Unknown => format!("`{}` outputs a type the macro cannot see", self.source),
        }
    }
}

/// A checked network, ready to expand.
pub enum Net {
    Chain(Vec<Net>),
    Concat(Vec<Net>, Width),
    Add(Vec<Net>),
    Clone(Box<Net>, Expr),
    Residual(Box<Net>),
    WithArray(Box<Net>),
    Layer(Built),
    /// A user's layer: its expression (bound to a local in `model!`), and in `model_type!` its
    /// type.
    User {
        expr: Expr,
        binding: Option<Ident>,
    },
}

/// A built-in layer with every width and argument resolved.
pub struct Built {
    pub kind: Kind,
    pub span: Span,
    pub input: Width,
    pub output: Width,
    /// The hidden width of an LSTM.
    pub hidden: Option<Width>,
    /// Applied to every token of ragged sequences (wrapped in `with_array`).
    pub per_token: bool,
    /// Resolved plain arguments: rows, depth, pieces, rate, seed.
    pub values: Vec<(&'static str, TokenStream)>,
}

impl Built {
    pub fn value(&self, name: &str) -> &TokenStream {
        &self
            .values
            .iter()
            .find(|(n, _)| *n == name)
            .expect("resolved in valid.rs")
            .1
    }
}

/// Locals the expansion binds: run-time arguments and user layers (evaluated once, in order,
/// when `model!` runs) and sizes read from the data (when the model is initialized).
#[derive(Default)]
pub struct Bindings {
    pub eager: Vec<(Ident, TokenStream)>,
    pub from_data: Vec<(Ident, TokenStream)>,
}

/// Whether the expansion is a value (`model!`) or a type (`model_type!`).
#[derive(Copy, Clone, PartialEq, Eq)]
pub enum Mode {
    Value,
    Type,
}

pub struct Checker {
    pub mode: Mode,
    pub bindings: Bindings,
    /// Inside `** n` or `clone(...)`: user layers stay inline, to be built once per copy.
    in_clone: bool,
}

impl Checker {
    pub fn new(mode: Mode) -> Self {
        Checker {
            mode,
            bindings: Bindings::default(),
            in_clone: false,
        }
    }

    /// Checks the whole network, from its input.
    pub fn network(&mut self, node: Node) -> syn::Result<Net> {
        Ok(self.check(node, Flow::start())?.0)
    }

    fn check(&mut self, node: Node, input: Flow) -> syn::Result<(Net, Flow)> {
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
            Node::Add(nodes, span) => {
                let (nets, outs) = self.branches(nodes, &input)?;
                let first = outs[0].clone();
                for out in &outs[1..] {
                    let message = if out.data != first.data {
                        format!(
                            "`+` adds outputs of one kind, but {} and {}",
                            first.says(),
                            out.says()
                        )
                    } else if out.width.differs(&first.width) {
                        format!(
                            "`+` adds outputs of one width, but `{}` outputs {} and `{}` outputs {}",
                            first.source,
                            width_text(&first.width),
                            out.source,
                            width_text(&out.width)
                        )
                    } else {
                        continue;
                    };
                    return Err(syn::Error::new(span, message));
                }
                Ok((Net::Add(nets), first))
            }
            Node::Clone(inner, count) => {
                check_count(&count, "`** n` needs at least one copy")?;
                let was = std::mem::replace(&mut self.in_clone, true);
                let result = self.same_shape(
                    *inner,
                    input,
                    "`** n` chains copies of one layer, so the layer",
                );
                self.in_clone = was;
                let (net, out) = result?;
                Ok((Net::Clone(Box::new(net), count), out))
            }
            Node::Residual(inner, _) => {
                let (net, out) = self.same_shape(
                    *inner,
                    input,
                    "`residual` adds a network's output to its input, so the network",
                )?;
                Ok((Net::Residual(Box::new(net)), out))
            }
            Node::WithArray(inner, span) => self.with_array(*inner, span, input),
            Node::Layer(layer) => self.layer(layer, input),
            Node::User(expr) => self.user(expr),
        }
    }

    fn branches(&mut self, nodes: Vec<Node>, input: &Flow) -> syn::Result<(Vec<Net>, Vec<Flow>)> {
        let mut nets = Vec::new();
        let mut outs = Vec::new();
        for node in nodes {
            let (net, out) = self.check(node, input.clone())?;
            nets.push(net);
            outs.push(out);
        }
        Ok((nets, outs))
    }

    fn concat(&mut self, nodes: Vec<Node>, span: Span, input: Flow) -> syn::Result<(Net, Flow)> {
        if input.data == Data::Tokens {
            // Over sequences, per-token branches are joined token by token, inside `with_array`.
            let rows = Flow {
                data: Data::Rows,
                token_by_token: true,
                ..input
            };
            let (net, out) = self.concat(nodes, span, rows).map_err(|inner| {
                syn::Error::new(
                    span,
                    format!("`|` over sequences joins layers that work token by token: {inner}"),
                )
            })?;
            let out = Flow {
                data: Data::Tokens,
                token_by_token: false,
                ..out
            };
            return Ok((Net::WithArray(Box::new(net)), out));
        }
        let (nets, outs) = self.branches(nodes, &input)?;
        for out in &outs {
            if !matches!(out.data, Data::Rows | Data::Unknown) {
                return Err(syn::Error::new(
                    span,
                    format!(
                        "`|` puts vectors side by side, one per example, but {}",
                        out.says()
                    ),
                ));
            }
        }
        let widths: Vec<Width> = outs.iter().map(|o| o.width.clone()).collect();
        let width = Width::sum(&widths);
        let source = outs
            .iter()
            .map(|o| o.source.clone())
            .collect::<Vec<_>>()
            .join(" | ");
        let flow = Flow {
            data: Data::Rows,
            width: width.clone(),
            source,
            token_by_token: input.token_by_token,
        };
        Ok((Net::Concat(nets, width), flow))
    }

    /// A network that must output what it takes (for `** n` and `residual`).
    fn same_shape(&mut self, node: Node, input: Flow, why: &str) -> syn::Result<(Net, Flow)> {
        let span = node_span(&node);
        let (net, out) = self.check(node, input.clone())?;
        if input.data != Data::Start && out.data != input.data {
            return Err(syn::Error::new(
                span,
                format!("{why} must output what it takes, but {}", out.says()),
            ));
        }
        if out.width.differs(&input.width) {
            return Err(syn::Error::new(
                span,
                format!(
                    "{why} must output what it takes, but `{}` takes width {} and outputs {}",
                    out.source,
                    width_text(&input.width),
                    width_text(&out.width)
                ),
            ));
        }
        Ok((net, out))
    }

    fn with_array(&mut self, node: Node, span: Span, input: Flow) -> syn::Result<(Net, Flow)> {
        let inner_input = match input.data {
            Data::Tokens | Data::Start | Data::Unknown => Flow {
                data: if input.data == Data::Unknown {
                    Data::Unknown
                } else {
                    Data::Rows
                },
                token_by_token: true,
                ..input.clone()
            },
            _ => {
                return Err(syn::Error::new(
                    span,
                    format!(
                        "`with_array` applies a layer to every token's vector, but {}",
                        input.says()
                    ),
                ));
            }
        };
        let (net, out) = self.check(node, inner_input)?;
        if out.data != Data::Rows && out.data != Data::Unknown {
            return Err(syn::Error::new(
                span,
                format!(
                    "`with_array` needs layers that output vectors, but {}",
                    out.says()
                ),
            ));
        }
        Ok((
            Net::WithArray(Box::new(net)),
            Flow {
                data: Data::Tokens,
                token_by_token: false,
                ..out
            },
        ))
    }

    fn user(&mut self, expr: Expr) -> syn::Result<(Net, Flow)> {
        let source = ast::tidy(&expr);
        let width_type = match self.mode {
            Mode::Type => {
                let ty = user_type(&expr)?;
                Some(quote!(<<#ty as ::weft::Model>::Out as ::weft::Columns>::Width))
            }
            Mode::Value => None,
        };
        let binding = (self.mode == Mode::Value && !self.in_clone).then(|| {
            let ident = format_ident!(
                "__weft_layer{}",
                self.bindings.eager.len(),
                span = Span::mixed_site()
            );
            self.bindings.eager.push((ident.clone(), quote!(#expr)));
            ident
        });
        let flow = Flow {
            data: Data::Unknown,
            width: Width::Infer(width_type),
            source,
            token_by_token: false,
        };
        Ok((Net::User { expr, binding }, flow))
    }

    fn layer(&mut self, layer: Layer, input: Flow) -> syn::Result<(Net, Flow)> {
        let spec = catalog::layer(&layer.name.to_string()).expect("parsed as a built-in layer");
        let args = Args::new(spec, &layer)?;
        let source = layer.source();
        let span = layer.name.span();
        let mut values = Vec::new();
        let mut lstm_hidden = None;
        let in_width = self.input_width(&args, &input, spec.name)?;
        let (data, output, per_token) = match spec.kind {
            Kind::Embed | Kind::HashEmbed => {
                let wanted = if spec.kind == Kind::Embed {
                    Data::Ids
                } else {
                    Data::Keys
                };
                if !matches!(input.data, Data::Start | Data::Unknown) && input.data != wanted {
                    return Err(syn::Error::new(
                        span,
                        format!(
                            "`{}` takes {}, so it comes first in a network; but {}",
                            spec.name,
                            if wanted == Data::Ids {
                                "token ids"
                            } else {
                                "hash keys"
                            },
                            input.says()
                        ),
                    ));
                }
                let rows = match args.get("rows") {
                    Some(rows) => self.plain(rows, "rows", "at least one row")?,
                    None if spec.kind == Kind::HashEmbed => quote!(5000usize),
                    None => self.bind_from_data("rows", quote!(vocab_rows(#source))),
                };
                values.push(("rows", rows));
                if spec.kind == Kind::HashEmbed {
                    let seed = args.get("seed").map_or(quote!(0u64), |e| quote!(#e));
                    values.push(("seed", seed));
                }
                let width = match args.get("width") {
                    Some(w) => self.width(w)?,
                    None => Width::Lit(64),
                };
                (Data::Tokens, width, false)
            }
            Kind::BiLstm | Kind::Lstm => {
                self.expect_tokens(&input, spec.name, span)?;
                let hidden = match args.get("hidden") {
                    Some(h) => self.width(h)?,
                    None => match &in_width {
                        Width::Infer(_) => {
                            return Err(syn::Error::new(
                                span,
                                format!(
                                    "`{}` needs `hidden`: the width before it is not known here ({})",
                                    spec.name,
                                    input.says()
                                ),
                            ));
                        }
                        known => known.clone(),
                    },
                };
                values.push(("depth", self.count(args.get("depth"), "depth", 1)?));
                let out = if spec.kind == Kind::BiLstm {
                    hidden.times_two()
                } else {
                    hidden.clone()
                };
                lstm_hidden = Some(hidden);
                (Data::Tokens, out, false)
            }
            Kind::Attention | Kind::ReduceSum | Kind::ReduceMean | Kind::ReduceMax => {
                self.expect_tokens(&input, spec.name, span)?;
                (Data::Rows, in_width.clone(), false)
            }
            Kind::Linear
            | Kind::Relu
            | Kind::Mish
            | Kind::Maxout
            | Kind::Softmax
            | Kind::LayerNorm
            | Kind::Dropout => {
                let per_token = match input.data {
                    Data::Tokens => true,
                    Data::Rows | Data::Start | Data::Unknown => false,
                    Data::Ids | Data::Keys => {
                        return Err(syn::Error::new(
                            span,
                            format!(
                                "`{}` takes vectors, but {}: put `embed` first",
                                spec.name,
                                input.says()
                            ),
                        ));
                    }
                };
                let out = match spec.kind {
                    Kind::Softmax => match args.get("classes") {
                        Some(c) => self.width(c)?,
                        None => {
                            Width::Run(self.bind_from_data("classes", quote!(classes(#source))))
                        }
                    },
                    Kind::LayerNorm | Kind::Dropout => in_width.clone(),
                    _ => match args.get("width") {
                        Some(w) => self.width(w)?,
                        None => in_width.clone(),
                    },
                };
                if spec.kind == Kind::Maxout {
                    values.push(("pieces", self.count(args.get("pieces"), "pieces", 3)?));
                }
                if spec.kind == Kind::Dropout {
                    values.push(("rate", rate(args.get("rate"))?));
                }
                let data = if per_token { Data::Tokens } else { Data::Rows };
                (data, out, per_token)
            }
        };
        let built = Built {
            kind: spec.kind,
            span,
            input: in_width,
            output: output.clone(),
            hidden: lstm_hidden,
            per_token,
            values,
        };
        let flow = Flow {
            data,
            width: output,
            source,
            token_by_token: input.token_by_token && data == Data::Rows,
        };
        Ok((Net::Layer(built), flow))
    }

    /// The layer's input width: the flowing one, checked against an `input = N` argument.
    fn input_width(&mut self, args: &Args, input: &Flow, name: &str) -> syn::Result<Width> {
        let Some(given) = args.get("input") else {
            return Ok(input.width.clone());
        };
        let width = self.width(given)?;
        if matches!(width, Width::Run(_)) {
            return Err(syn::Error::new(
                given.span(),
                "`input` states the width a layer expects, checked when the program is built: \
                 give an integer or a constant (an UPPER_CASE name or a `{ block }`)",
            ));
        }
        if width.differs(&input.width) {
            return Err(syn::Error::new(
                given.span(),
                format!(
                    "`{name}` expects width {}, but `{}` outputs {}",
                    width_text(&width),
                    input.source,
                    width_text(&input.width)
                ),
            ));
        }
        // Widths the macro cannot compare (constants, run-time values) are compared by rustc,
        // or when the model is built.
        Ok(width)
    }

    fn expect_tokens(&self, input: &Flow, name: &str, span: Span) -> syn::Result<()> {
        match input.data {
            Data::Tokens | Data::Start | Data::Unknown => Ok(()),
            Data::Rows => Err(syn::Error::new(
                span,
                format!("`{name}` reads sequences, but {}", input.says()),
            )),
            Data::Ids | Data::Keys => Err(syn::Error::new(
                span,
                format!(
                    "`{name}` reads sequences of vectors, but {}: put `embed` first",
                    input.says()
                ),
            )),
        }
    }

    /// A width argument: a literal, a constant, or a run-time `usize` expression.
    fn width(&mut self, expr: &Expr) -> syn::Result<Width> {
        if let Some(n) = int_literal(expr)? {
            if n == 0 {
                return Err(syn::Error::new(expr.span(), "a width must be at least 1"));
            }
            return Ok(Width::Lit(n));
        }
        if is_const(expr) {
            return Ok(Width::Const(quote!(#expr)));
        }
        if self.mode == Mode::Type {
            return Ok(Width::Run(quote!(0usize)));
        }
        Ok(Width::Run(self.bind(quote!(#expr))))
    }

    /// A plain `usize` argument (rows): a literal checked to be at least 1, or any expression.
    fn plain(&mut self, expr: &Expr, _name: &str, minimum: &str) -> syn::Result<TokenStream> {
        if let Some(n) = int_literal(expr)? {
            if n == 0 {
                return Err(syn::Error::new(
                    expr.span(),
                    format!("there must be {minimum}"),
                ));
            }
            return Ok(quote!(#n));
        }
        Ok(self.bind(quote!(#expr)))
    }

    fn count(
        &mut self,
        expr: Option<&Expr>,
        name: &str,
        default: usize,
    ) -> syn::Result<TokenStream> {
        match expr {
            None => Ok(quote!(#default)),
            Some(expr) => {
                check_count(expr, &format!("`{name}` must be at least 1"))?;
                Ok(quote!(#expr))
            }
        }
    }

    fn bind(&mut self, value: TokenStream) -> TokenStream {
        let ident = format_ident!(
            "__weft_size{}",
            self.bindings.eager.len(),
            span = Span::mixed_site()
        );
        self.bindings
            .eager
            .push((ident.clone(), quote!({ let size: usize = #value; size })));
        quote!(#ident)
    }

    fn bind_from_data(&mut self, what: &str, call: TokenStream) -> TokenStream {
        let ident = format_ident!(
            "__weft_{}{}",
            what,
            self.bindings.from_data.len(),
            span = Span::mixed_site()
        );
        let sizes = Ident::new("__weft_sizes", Span::mixed_site());
        self.bindings
            .from_data
            .push((ident.clone(), quote!(#sizes.#call?)));
        quote!(#ident)
    }
}

/// The named arguments of one layer, checked against its spec.
struct Args<'a> {
    args: &'a [Arg],
}

impl<'a> Args<'a> {
    fn new(spec: &catalog::Spec, layer: &'a Layer) -> syn::Result<Self> {
        for (i, arg) in layer.args.iter().enumerate() {
            let name = arg.name.to_string();
            if !spec.args.contains(&name.as_str()) {
                return Err(syn::Error::new(
                    arg.name.span(),
                    catalog::unknown_argument(spec, &name),
                ));
            }
            if layer.args[..i].iter().any(|a| a.name == arg.name) {
                return Err(syn::Error::new(
                    arg.name.span(),
                    format!("`{name}` is given twice"),
                ));
            }
        }
        Ok(Args { args: &layer.args })
    }

    fn get(&self, name: &str) -> Option<&'a Expr> {
        self.args.iter().find(|a| a.name == name).map(|a| &a.value)
    }
}

fn width_text(width: &Width) -> String {
    match width {
        Width::Lit(n) => n.to_string(),
        Width::Const(e) => format!("`{e}`"),
        Width::Run(_) => "a run-time width".into(),
        Width::Infer(_) => "an inferred width".into(),
    }
}

fn int_literal(expr: &Expr) -> syn::Result<Option<usize>> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_parse().map(Some),
        Expr::Lit(syn::ExprLit { lit, .. }) => Err(syn::Error::new(
            lit.span(),
            "expected a width: an integer, a constant, or a `usize` expression",
        )),
        _ => Ok(None),
    }
}

/// A constant expression: a path whose last segment is in UPPER_CASE, or a `{ block }`.
fn is_const(expr: &Expr) -> bool {
    match expr {
        Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            name.chars().any(|c| c.is_ascii_uppercase())
                && !name.chars().any(|c| c.is_ascii_lowercase())
        }),
        Expr::Block(_) | Expr::Const(_) => true,
        _ => false,
    }
}

fn check_count(expr: &Expr, message: &str) -> syn::Result<()> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(int), ..
        }) if int.base10_parse::<usize>()? == 0 => Err(syn::Error::new(expr.span(), message)),
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(_), ..
        }) => Ok(()),
        Expr::Lit(syn::ExprLit { lit, .. }) => Err(syn::Error::new(
            lit.span(),
            "expected a count: an integer or a `usize` expression",
        )),
        _ => Ok(()),
    }
}

fn rate(expr: Option<&Expr>) -> syn::Result<TokenStream> {
    let Some(expr) = expr else {
        return Ok(quote!(0.1f32));
    };
    if let Expr::Lit(syn::ExprLit { lit, .. }) = expr {
        let value: f64 = match lit {
            Lit::Float(f) => f.base10_parse()?,
            Lit::Int(i) => i.base10_parse()?,
            _ => {
                return Err(syn::Error::new(
                    lit.span(),
                    "expected a rate between 0 and 1",
                ));
            }
        };
        if !(0.0..1.0).contains(&value) {
            return Err(syn::Error::new(
                lit.span(),
                format!("a dropout rate is at least 0 and below 1, not {value}"),
            ));
        }
    }
    Ok(quote!((#expr) as f32))
}

fn node_span(node: &Node) -> Span {
    match node {
        Node::Layer(l) => l.name.span(),
        Node::User(e) => e.span(),
        Node::Concat(_, s) | Node::Add(_, s) | Node::Residual(_, s) | Node::WithArray(_, s) => *s,
        Node::Chain(nodes) => nodes.first().map_or_else(Span::call_site, node_span),
        Node::Clone(inner, _) => node_span(inner),
    }
}

/// In `model_type!`, a user's layer is written as its type: a path such as `MyLayer` or
/// `MyLayer::<Const<8>>`.
pub fn user_type(expr: &Expr) -> syn::Result<syn::Type> {
    match expr {
        Expr::Path(p) if p.qself.is_none() => {
            let mut path = p.path.clone();
            for segment in &mut path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    args.colon2_token = None;
                }
            }
            Ok(syn::Type::Path(syn::TypePath { qself: None, path }))
        }
        other => Err(syn::Error::new(
            other.span(),
            "in `model_type!`, a layer of your own is written as its type, such as `MyLayer`",
        )),
    }
}
