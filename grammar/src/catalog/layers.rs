//! [`LAYERS`]: every built-in layer, one [`LayerSpec`] each (see the [catalog](super)).

use super::{ArgDefault, ArgKind, ArgSpec, LayerSpec, Outputs, Takes, Width};

const fn arg(name: &'static str, kind: ArgKind, default: ArgDefault) -> ArgSpec {
    ArgSpec {
        name,
        kind,
        default,
    }
}

const fn layer(
    name: &'static str,
    (takes, outputs): (Takes, Outputs),
    args: &'static [ArgSpec],
    width: Width,
    (value, ty): (&'static str, &'static str),
) -> LayerSpec {
    LayerSpec {
        name,
        takes,
        outputs,
        args,
        width,
        value,
        ty,
    }
}

use ArgDefault::{FromData, Input, Int, KnownInput};
use ArgKind::{Count, Index, Rate, Seed, Size};

const TOKENS: (Takes, Outputs) = (Takes::Sequences, Outputs::Sequences);
const POOLING: (Takes, Outputs) = (Takes::Sequences, Outputs::Pooled);
const VECTORS: (Takes, Outputs) = (Takes::Vectors, Outputs::Same);
const PAIRED: (Takes, Outputs) = (Takes::PairedSequences, Outputs::PairedSequences);
const WIDTH: ArgSpec = arg("width", ArgKind::Width, Input);
const EMBEDDING_WIDTH: ArgSpec = arg("width", ArgKind::Width, Int(64));
const RECURRENT: &[ArgSpec] = &[
    arg("hidden", ArgKind::Width, KnownInput),
    arg("depth", Count, Int(1)),
    arg("dropout", ArgKind::Between("depth"), ArgDefault::Float(0.0)),
];

/// Every built-in layer.
pub const LAYERS: &[LayerSpec] = &[
    layer(
        "embed",
        (Takes::Ids, Outputs::Sequences),
        &[arg("rows", Size, FromData("vocab_rows")), EMBEDDING_WIDTH],
        Width::Arg("width"),
        (
            "::weft::combinators::with_array(::weft::layers::Embed::new($rows, $out))",
            "::weft::combinators::WithArray<::weft::layers::Embed<#out>>",
        ),
    ),
    layer(
        "hash_embed",
        (Takes::Keys, Outputs::Sequences),
        &[
            arg("rows", Size, Int(5000)),
            EMBEDDING_WIDTH,
            arg("seed", Seed, Int(0)),
            arg("column", Index, Int(0)),
        ],
        Width::Arg("width"),
        (
            "::weft::combinators::with_array(::weft::layers::HashEmbed::new($rows, $out, $seed).with_column($column))",
            "::weft::combinators::WithArray<::weft::layers::HashEmbed<#out>>",
        ),
    ),
    layer(
        "static_vectors",
        (Takes::Keys, Outputs::Sequences),
        &[
            arg("vectors", ArgKind::Table, ArgDefault::Required),
            EMBEDDING_WIDTH,
            arg("column", Index, Int(0)),
        ],
        Width::Arg("width"),
        (
            "::weft::combinators::with_array(::weft::layers::StaticVectors::new($vectors, $out).with_column($column))",
            "::weft::combinators::WithArray<::weft::layers::StaticVectors<#out>>",
        ),
    ),
    layer(
        "sparse_linear",
        (Takes::Keys, Outputs::Pooled),
        &[
            arg("classes", ArgKind::Width, FromData("classes")),
            arg("length", Size, Int(1 << 18)),
        ],
        Width::Arg("classes"),
        (
            "::weft::layers::SparseLinear::new($length, $out)",
            "::weft::layers::SparseLinear<#out>",
        ),
    ),
    layer(
        "bilstm",
        TOKENS,
        RECURRENT,
        Width::Twice("hidden"),
        (
            "::weft::layers::BiLstm::<_, _, #out>::new($in, $hidden, $depth).with_dropout($dropout)",
            "::weft::layers::BiLstm<#in, #hidden, #out>",
        ),
    ),
    layer(
        "lstm",
        TOKENS,
        RECURRENT,
        Width::Arg("hidden"),
        (
            "::weft::layers::Lstm::new($in, $hidden, $depth).with_dropout($dropout)",
            "::weft::layers::Lstm<#in, #out>",
        ),
    ),
    layer(
        "expand_window",
        TOKENS,
        &[arg("window", Count, Int(1))],
        Width::Window("window"),
        (
            "::weft::layers::ExpandWindow::<_, #out>::new($in, $window)",
            "::weft::layers::ExpandWindow<#in, #out>",
        ),
    ),
    layer(
        "maxout_window_encoder",
        TOKENS,
        &[
            arg("depth", Count, Int(4)),
            arg("window", Count, Int(1)),
            arg("pieces", Count, Int(3)),
        ],
        Width::Input,
        (
            "::weft::layers::MaxoutWindowEncoder::new($in, $depth, $window, $pieces)",
            "::weft::layers::MaxoutWindowEncoder<#in>",
        ),
    ),
    layer(
        "attention",
        POOLING,
        &[],
        Width::Input,
        (
            "::weft::layers::Attention::new($in)",
            "::weft::layers::Attention<#in>",
        ),
    ),
    layer(
        "align",
        PAIRED,
        &[
            arg("difference", ArgKind::Flag, ArgDefault::Bool(false)),
            arg("product", ArgKind::Flag, ArgDefault::Bool(false)),
        ],
        Width::Parts {
            base: 2,
            flags: &["difference", "product"],
        },
        (
            "::weft::layers::Align::<_, #out>::new($in, $difference, $product)",
            "::weft::layers::Align<#in, #out>",
        ),
    ),
    layer(
        "concat_sides",
        (Takes::PairedVectors, Outputs::Pooled),
        &[],
        Width::Parts {
            base: 2,
            flags: &[],
        },
        (
            "::weft::layers::ConcatSides::<_, #out>::new($in)",
            "::weft::layers::ConcatSides<#in, #out>",
        ),
    ),
    layer(
        "reduce_sum",
        POOLING,
        &[],
        Width::Input,
        (
            "::weft::layers::ReduceSum::new($in)",
            "::weft::layers::ReduceSum<#in>",
        ),
    ),
    layer(
        "reduce_mean",
        POOLING,
        &[],
        Width::Input,
        (
            "::weft::layers::ReduceMean::new($in)",
            "::weft::layers::ReduceMean<#in>",
        ),
    ),
    layer(
        "reduce_max",
        POOLING,
        &[],
        Width::Input,
        (
            "::weft::layers::ReduceMax::new($in)",
            "::weft::layers::ReduceMax<#in>",
        ),
    ),
    layer(
        "linear",
        VECTORS,
        &[WIDTH],
        Width::Arg("width"),
        (
            "::weft::layers::Linear::new($in, $out)",
            "::weft::layers::Linear<#in, #out>",
        ),
    ),
    layer(
        "relu",
        VECTORS,
        &[WIDTH],
        Width::Arg("width"),
        (
            "::weft::layers::Relu::new($in, $out)",
            "::weft::layers::Relu<#in, #out>",
        ),
    ),
    layer(
        "mish",
        VECTORS,
        &[WIDTH],
        Width::Arg("width"),
        (
            "::weft::layers::Mish::new($in, $out)",
            "::weft::layers::Mish<#in, #out>",
        ),
    ),
    layer(
        "maxout",
        VECTORS,
        &[WIDTH, arg("pieces", Count, Int(3))],
        Width::Arg("width"),
        (
            "::weft::layers::Maxout::new($in, $out, $pieces)",
            "::weft::layers::Maxout<#in, #out>",
        ),
    ),
    layer(
        "softmax",
        VECTORS,
        &[arg("classes", ArgKind::Width, FromData("classes"))],
        Width::Arg("classes"),
        (
            "::weft::layers::Softmax::new($in, $out)",
            "::weft::layers::Softmax<#in, #out>",
        ),
    ),
    layer(
        "sigmoid",
        VECTORS,
        &[arg("classes", ArgKind::Width, FromData("classes"))],
        Width::Arg("classes"),
        (
            "::weft::layers::Sigmoid::new($in, $out)",
            "::weft::layers::Sigmoid<#in, #out>",
        ),
    ),
    layer(
        "layer_norm",
        VECTORS,
        &[],
        Width::Input,
        (
            "::weft::layers::LayerNorm::new($in)",
            "::weft::layers::LayerNorm<#in>",
        ),
    ),
    layer(
        "dropout",
        VECTORS,
        &[arg("rate", Rate, ArgDefault::Float(0.1))],
        Width::Input,
        (
            "::weft::layers::Dropout::<#in>::new($rate)",
            "::weft::layers::Dropout<#in>",
        ),
    ),
];
