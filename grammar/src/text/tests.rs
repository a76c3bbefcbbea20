//! The run-time front end against hand-checked expectations.

use super::*;
use crate::catalog::layer_spec;
use crate::{ArgValue, Net, Width};

/// The network's shape, as nested names: `chain(embed, bilstm)`.
fn shape(node: &Node<Pos>) -> String {
    let list = |name: &str, nodes: &[Node<Pos>]| {
        let inner: Vec<String> = nodes.iter().map(shape).collect();
        format!("{name}({})", inner.join(", "))
    };
    match node {
        Node::Chain(nodes) => list("chain", nodes),
        Node::Concat(nodes, _) => list("concat", nodes),
        Node::Add(nodes, _) => list("add", nodes),
        Node::Clone(inner, count) => format!("clone({}, {})", shape(inner), count.text),
        Node::Residual(inner, _) => format!("residual({})", shape(inner)),
        Node::WithArray(inner, _) => format!("with_array({})", shape(inner)),
        Node::Sentences(inner, _) => format!("sentences({})", shape(inner)),
        Node::Both(inner, _) => format!("both({})", shape(inner)),
        Node::AttentionBy(inner, _) => format!("attention_by({})", shape(inner)),
        Node::Layer(layer) => layer.source(),
        Node::User(user) => format!("user {}", user.text),
    }
}

fn read(text: &str) -> String {
    shape(&parse(text).unwrap())
}

fn fails(text: &str) -> (String, &str) {
    let err = parse(text).and_then(checker::check).unwrap_err();
    (err.message, &text[err.span.start..err.span.end])
}

#[test]
fn operators_bind_as_in_rust() {
    assert_eq!(
        read("a >> b | c >> d"),
        "concat(chain(user a, user b), chain(user c, user d))"
    );
    assert_eq!(read("a + b >> c"), "chain(add(user a, user b), user c)");
    assert_eq!(
        read("a >> b ** 3 + c"),
        "chain(user a, add(clone(user b, 3), user c))"
    );
    assert_eq!(
        read("a >> (b >> c) >> d"),
        "chain(user a, user b, user c, user d)"
    );
    assert_eq!(read("(a | b) | c"), "concat(user a, user b, user c)");
    assert_eq!(
        read("concat(a, b) | c"),
        "concat(concat(user a, user b), user c)"
    );
}

#[test]
fn layers_take_named_numbers_and_combinators_take_networks() {
    assert_eq!(
        read("embed(width = 1_024) >> dropout(rate = 0.25) >> hash_embed(seed = 7)"),
        "chain(embed(width = 1_024), dropout(rate = 0.25), hash_embed(seed = 7))"
    );
    assert_eq!(
        read("clone(relu(width = 8,), 2) >> residual(relu >> relu)"),
        "chain(clone(relu(width = 8), 2), residual(chain(relu, relu)))"
    );
    assert_eq!(
        read("my_layer(3) >> with_array(relu)"),
        "chain(user my_layer(3), with_array(relu))"
    );
}

#[test]
fn checking_resolves_every_width_and_argument() {
    let checked =
        check("embed(width = 48) >> bilstm(hidden = 32, depth = 2) >> attention >> softmax")
            .unwrap();
    let Net::Chain(nets) = &checked.net else {
        panic!("a chain")
    };
    let Net::Layer(bilstm) = &nets[1] else {
        panic!("a layer")
    };
    assert_eq!(bilstm.spec.name, "bilstm");
    assert_eq!(bilstm.input, Width::Lit(48));
    assert_eq!(bilstm.output, Width::Lit(64));
    assert!(matches!(bilstm.arg("depth"), Some(ArgValue::Int(2))));
    let Net::Layer(softmax) = &nets[3] else {
        panic!("a layer")
    };
    assert!(!softmax.per_token && softmax.input == Width::Lit(64));
    // The vocabulary rows and the classes come from the data.
    let from_data: Vec<_> = checked
        .bindings
        .from_data
        .iter()
        .map(|f| (f.method, f.layer.as_str()))
        .collect();
    assert_eq!(
        from_data,
        [("vocab_rows", "embed(width = 48)"), ("classes", "softmax")]
    );
    assert!(std::ptr::eq(softmax.spec, layer_spec("softmax").unwrap()));
}

#[test]
fn what_text_cannot_say_is_an_error_at_its_place() {
    assert_eq!(
        fails("embed(width = n) >> bilstm"),
        (
            "expected a value, such as `width = 64`, found `n`".into(),
            "n"
        )
    );
    assert_eq!(
        fails("embed >> \"relu\""),
        (
            "expected a layer, found `\"relu\"`: a layer is a name such as `relu`, or a value of \
             yours implementing `Model`"
                .into(),
            "\"relu\""
        )
    );
    assert_eq!(
        fails("embed >> (bilstm"),
        ("expected `)`, but the network ends here".into(), "")
    );
    assert_eq!(
        fails("embed >> bilstm $"),
        ("`$` has no meaning in a network".into(), "$")
    );
    assert_eq!(
        fails("embed(width = 64 32)"),
        ("expected `,`, found `32`".into(), "32")
    );
    assert_eq!(
        fails("  "),
        (
            "the network is empty: write one, such as `embed >> bilstm >> attention >> softmax`"
                .into(),
            ""
        )
    );
    assert_eq!(
        fails("relu >> clone(relu, many)"),
        (
            "expected a count: an integer or a `usize` expression".into(),
            "many"
        )
    );
}

#[test]
fn sentences_read_documents_and_hand_on_a_vector_per_sentence() {
    let text = "sentences(embed(width = 8) >> bilstm(hidden = 4) >> attention) \
                >> bilstm(hidden = 3) >> attention >> softmax(classes = 2)";
    let checked = check(text).unwrap();
    let Net::Chain(nets) = &checked.net else {
        panic!("a chain")
    };
    assert!(matches!(&nets[0], Net::Sentences(_)));
    assert_eq!(nets[0].output_width(), Width::Lit(8));
    let Net::Layer(bilstm) = &nets[1] else {
        panic!("a layer")
    };
    assert_eq!(
        (&bilstm.input, &bilstm.output),
        (&Width::Lit(8), &Width::Lit(6))
    );
    // After `sentences`, vector layers run on every sentence's vector.
    let Net::Chain(nets) = check("sentences(embed >> reduce_mean) >> relu")
        .unwrap()
        .net
    else {
        panic!("a chain")
    };
    assert!(matches!(&nets[1], Net::Layer(relu) if relu.per_token));
}

#[test]
fn sentences_come_first_pool_each_sentence_and_do_not_nest() {
    let pool = "`sentences` hands on one vector per sentence, but `bilstm` outputs a vector per \
                token: end the sentence's network with a pooling layer, such as `attention`";
    assert_eq!(
        fails("sentences(embed >> bilstm) >> bilstm"),
        (pool.into(), "sentences")
    );
    assert_eq!(
        fails("embed >> sentences(bilstm >> attention)"),
        (
            "`sentences` reads documents, so it comes first in a network; but `embed` outputs \
             a vector per token"
                .into(),
            "sentences"
        )
    );
    assert_eq!(
        fails("sentences(sentences(embed >> attention) >> attention)"),
        (
            "`sentences` inside `sentences`: documents are sentences of tokens, one level deep"
                .into(),
            "sentences"
        )
    );
    assert_eq!(
        fails("sentences(embed >> attention, relu)"),
        (
            "`sentences` takes one network, found 2 arguments".into(),
            "sentences"
        )
    );
}

#[test]
fn an_error_is_shown_under_its_line_and_column() {
    let text = "embed\n  >> bilstm(size = 3)";
    let err = check(text).unwrap_err();
    assert_eq!(
        render(&err, text),
        "`bilstm` has no argument `size`; it takes `hidden`, `depth`, `dropout`, `input`\n  \
         at line 2, column 13:\n    >> bilstm(size = 3)\n              ^^^^"
    );
}

#[test]
fn out_of_range_arguments_are_errors_never_clamped() {
    assert_eq!(
        fails("embed >> attention >> dropout(rate = -0.1)"),
        (
            "a dropout rate is at least 0 and below 1, not -0.1".into(),
            "-0.1"
        )
    );
    assert_eq!(
        fails("embed(width = -3)"),
        ("a width must be at least 1".into(), "-3")
    );
    assert_eq!(
        fails("embed(width = 18446744073709551615) >> bilstm"),
        (
            "a width is at most 16777216, not 18446744073709551615".into(),
            "18446744073709551615"
        )
    );
    assert_eq!(
        fails("embed >> bilstm(depth = 100000)"),
        ("`depth` is at most 65536, not 100000".into(), "100000")
    );
    assert_eq!(
        fails("embed >> lstm(depth = 2, dropout = -0.5)"),
        (
            "a dropout rate is at least 0 and below 1, not -0.5".into(),
            "-0.5"
        )
    );
    assert_eq!(
        fails("embed >> lstm(depth = 1, dropout = 0.5)"),
        (
            "`dropout` drops values between stacked layers, and `lstm` has one (`depth` is 1): \
             give `depth = 2` or more, or drop its output with a dropout layer after it"
                .into(),
            "0.5"
        )
    );
    assert!(check("embed >> lstm(dropout = 0)").is_ok());
    assert!(check("embed >> lstm(depth = 2, dropout = 0.5)").is_ok());
    assert_eq!(
        fails("embed >> attention >> relu ** 99999999999"),
        (
            "`** n` is at most 65536, not 99999999999".into(),
            "99999999999"
        )
    );
    assert_eq!(
        fails("hash_embed(seed = -1)"),
        ("a seed must be at least 0".into(), "-1")
    );
    assert_eq!(
        fails("hash_embed(seed = 4294967296)"),
        (
            "a seed is at most 4294967295, not 4294967296".into(),
            "4294967296"
        )
    );
    // The widest widths add up without overflow.
    let widest = "relu(input = 16777216) | relu(width = 16777216) | relu(width = 16777216)";
    let checked = check(widest).unwrap();
    assert_eq!(checked.net.output_width(), Width::Lit(3 << 24));
}

/// Pairs: `both` over the sides, `align` compared by its flags (two parts of the input width,
/// one more per flag set), `concat_sides` twice the width; flags are `true` or `false`.
#[test]
fn pairs_check_and_their_widths_follow_the_flags() {
    let text = "both(embed(width = 8)) >> align(product = true) >> both(attention_by(reduce_mean)) \
                >> concat_sides";
    assert_eq!(
        read(text),
        "chain(both(embed(width = 8)), align(product = true), both(attention_by(reduce_mean)), \
         concat_sides)"
    );
    let checked = check(text).unwrap();
    assert_eq!(checked.net.output_width(), Width::Lit(48));
    let Net::Chain(nets) = &checked.net else {
        panic!("a chain")
    };
    let Net::Layer(align) = &nets[1] else {
        panic!("align")
    };
    assert_eq!(align.output, Width::Lit(24));
    assert!(matches!(
        align.arg("difference"),
        Some(ArgValue::Bool(false))
    ));
    assert_eq!(
        fails("both(embed) >> align(difference = 1)").0,
        "`difference` is `true` or `false`, not `1`"
    );
    assert_eq!(
        fails("embed >> both(relu)"),
        (
            "`both` runs a network on both sides of pairs, but `embed` outputs a vector per token"
                .into(),
            "both"
        )
    );
    assert_eq!(
        fails("both(embed) >> align >> concat_sides").0,
        "`concat_sides` reads pairs of vectors, one per side, but `align` outputs pairs, a \
         vector per token on each side"
    );
    assert_eq!(
        fails("both(embed) >> attention_by(reduce_mean)").1,
        "attention_by"
    );
}
