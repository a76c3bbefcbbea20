//! The names `model!` knows: built-in layers with their arguments, and combinators.

/// A built-in layer.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Kind {
    Embed,
    HashEmbed,
    BiLstm,
    Lstm,
    Attention,
    ReduceSum,
    ReduceMean,
    ReduceMax,
    Linear,
    Relu,
    Mish,
    Maxout,
    Softmax,
    LayerNorm,
    Dropout,
}

/// A layer's name in `model!` and the arguments it takes.
pub struct Spec {
    pub kind: Kind,
    pub name: &'static str,
    pub args: &'static [&'static str],
}

const LAYERS: &[Spec] = &[
    spec(Kind::Embed, "embed", &["rows", "width"]),
    spec(Kind::HashEmbed, "hash_embed", &["rows", "width", "seed"]),
    spec(Kind::BiLstm, "bilstm", &["hidden", "depth", "input"]),
    spec(Kind::Lstm, "lstm", &["hidden", "depth", "input"]),
    spec(Kind::Attention, "attention", &["input"]),
    spec(Kind::ReduceSum, "reduce_sum", &["input"]),
    spec(Kind::ReduceMean, "reduce_mean", &["input"]),
    spec(Kind::ReduceMax, "reduce_max", &["input"]),
    spec(Kind::Linear, "linear", &["width", "input"]),
    spec(Kind::Relu, "relu", &["width", "input"]),
    spec(Kind::Mish, "mish", &["width", "input"]),
    spec(Kind::Maxout, "maxout", &["width", "pieces", "input"]),
    spec(Kind::Softmax, "softmax", &["classes", "input"]),
    spec(Kind::LayerNorm, "layer_norm", &["input"]),
    spec(Kind::Dropout, "dropout", &["rate", "input"]),
];

const fn spec(kind: Kind, name: &'static str, args: &'static [&'static str]) -> Spec {
    Spec { kind, name, args }
}

/// The built-in layer called `name`.
pub fn layer(name: &str) -> Option<&'static Spec> {
    LAYERS.iter().find(|s| s.name == name)
}

/// A combinator written as a call.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Combinator {
    Chain,
    Concat,
    Add,
    Clone,
    Residual,
    WithArray,
}

/// The combinator called `name`.
pub fn combinator(name: &str) -> Option<Combinator> {
    Some(match name {
        "chain" => Combinator::Chain,
        "concat" => Combinator::Concat,
        "add" => Combinator::Add,
        "clone" => Combinator::Clone,
        "residual" => Combinator::Residual,
        "with_array" => Combinator::WithArray,
        _ => return None,
    })
}

/// The message for a call of an unknown layer.
pub fn unknown_layer(name: &str) -> String {
    let names: Vec<&str> = LAYERS.iter().map(|s| s.name).collect();
    format!(
        "unknown layer `{name}`{}; the layers are {}",
        did_you_mean(name, &names),
        names.join(", ")
    )
}

/// The message for an argument `arg` that `spec` does not take.
pub fn unknown_argument(spec: &Spec, arg: &str) -> String {
    let list = spec
        .args
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "`{}` has no argument `{arg}`{}; it takes {list}",
        spec.name,
        did_you_mean(arg, spec.args)
    )
}

/// `; did you mean `x`?` for the closest of `names` within two edits, else nothing.
fn did_you_mean(word: &str, names: &[&str]) -> String {
    names
        .iter()
        .map(|n| (edit_distance(word, n), *n))
        .filter(|&(d, _)| d <= 2)
        .min()
        .map(|(_, n)| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default()
}

/// Levenshtein distance, counting a swap of two neighbours as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}
