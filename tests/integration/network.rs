//! Networks written as text and built at run time are `model!`'s networks of the same
//! expression: the same parameter names and signature, each loads the other's weights and then
//! predicts the same; and a mistake in the text gets the macro's message, under its place.

use weft::{
    Boxed, Data, DataSizes, Documents, Floats2, Ids, Keys, Model, Network, Params, Ragged, model,
};

/// The text of a network, and `model!`'s network of it sized from `x` and `y`.
macro_rules! both {
    ($x:expr, $y:expr, $($net:tt)*) => {
        (stringify!($($net)*), model!($($net)*).initialize($x, $y).unwrap())
    };
}

fn texts() -> (Ragged<Ids>, Vec<usize>) {
    (
        Ragged::from_sequences([vec![1, 2, 3], vec![4, 5], vec![6]]),
        vec![0, 1, 2],
    )
}

/// Checks `run_time`, built from `text`, against `built`, `model!`'s network of it.
fn same_as_the_macros<In, Out, M>(text: &str, mut run_time: Boxed<In, Out>, mut built: M, x: &In)
where
    In: Data + Clone,
    Out: Data + PartialEq + std::fmt::Debug,
    M: Model<In = In, Out = Out>,
{
    assert_eq!(run_time.param_names(), built.param_names(), "{text}");
    assert_eq!(run_time.signature(), built.signature(), "{text}");
    run_time.from_bytes(&built.to_bytes().unwrap()).unwrap();
    assert_eq!(
        run_time.predict(x.clone()),
        built.predict(x.clone()),
        "{text}"
    );
    built.from_bytes(&run_time.to_bytes().unwrap()).unwrap();
}

#[test]
fn text_builds_the_networks_model_builds() {
    let (x, y) = texts();
    let from_text = |text: &str| Network::parse(text).unwrap().initialize(&x, &y).unwrap();
    let (text, textcat) = both!(
        &x,
        &y,
        embed(width = 8) >> bilstm(hidden = 4) >> attention >> softmax
    );
    same_as_the_macros(text, from_text(text), textcat, &x);

    let tags: Vec<Vec<usize>> = vec![vec![0, 1, 2], vec![1, 0], vec![2]];
    let (text, tagger) = both!(
        &x,
        &tags,
        embed(width = 8) >> bilstm(hidden = 4, depth = 2, dropout = 0.3) >> softmax
    );
    let signature = tagger.signature().to_string();
    assert!(signature.contains("1.bilstm depth=2 dropout=0.3 hidden=4 n_in=8\n"));
    let network = Network::parse(text).unwrap();
    same_as_the_macros(text, network.initialize(&x, &tags).unwrap(), tagger, &x);

    let (text, every_combinator) = both!(
        &x,
        &y,
        embed(width = 8)
            >> (relu | mish(width = 4))
            >> with_array(layer_norm >> dropout(rate = 0.2))
            >> lstm(hidden = 6, depth = 2, dropout = 0.25)
            >> (reduce_sum + reduce_mean + reduce_max)
            >> residual(relu)
            >> maxout(width = 3, pieces = 2)
            >> linear * *2
            >> softmax
    );
    same_as_the_macros(text, from_text(text), every_combinator, &x);

    let (text, joined) = both!(
        &x,
        &y,
        (embed(width = 4) | embed(width = 2))
            >> (bilstm(hidden = 3) | lstm(hidden = 2))
            >> (reduce_mean | reduce_max)
            >> softmax
    );
    same_as_the_macros(text, from_text(text), joined, &x);

    // spaCy's CNN text classifier with multi-label outputs.
    let label_sets: Vec<Vec<usize>> = vec![vec![0, 2], vec![1], vec![]];
    let (text, cnn) = both!(
        &x,
        &label_sets,
        embed(width = 6)
            >> residual(
                expand_window(window = 2)
                    >> maxout(width = 6, pieces = 2)
                    >> layer_norm
                    >> dropout(rate = 0.0)
            ) * *2
            >> reduce_mean
            >> sigmoid
    );
    assert_eq!(cnn.param_names()[0], "0.embed.E");
    assert_eq!(cnn.param_names()[1], "2.maxout.W");
    let network = Network::parse(text).unwrap();
    same_as_the_macros(text, network.initialize(&x, &label_sets).unwrap(), cnn, &x);

    // Sized in full: built with no sizes from the data.
    let keys = Ragged::new(Keys::new(vec![11, 12, 13, 14]), vec![3, 1]).unwrap();
    let classes = 3;
    let hashed = model!(
        hash_embed(rows = 50, width = 8, seed = 3) >> reduce_max >> softmax(classes = classes)
    );
    let text = "hash_embed(rows = 50, width = 8, seed = 3) >> reduce_max >> softmax(classes = 3)";
    let network = Network::parse(text).unwrap();
    let run_time = network.build(&DataSizes::given(None, None)).unwrap();
    same_as_the_macros(text, run_time, hashed, &keys);

    // spaCy's bag-of-words classifier: class scores straight from hashed features.
    let mut bow = model!(sparse_linear(classes = classes, length = 64));
    bow.for_each_param_mut(&mut |_, p| p.value_mut().fill(0.25))
        .unwrap();
    let text = "sparse_linear(classes = 3, length = 64)";
    let network = Network::parse(text).unwrap();
    let run_time = network.build(&DataSizes::given(None, None)).unwrap();
    same_as_the_macros(text, run_time, bow, &keys);

    // Pretrained vectors beside a hash embedding: in text, the table's file.
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/runtime/tests/data/spacy_tagger/vectors/vectors.txt"
    );
    let vectors = std::sync::Arc::new(weft::text::Vectors::read(file).unwrap());
    let known = weft::text::string_id("bir");
    assert!(vectors.row_of(known).is_some());
    let columns = Keys::table(2, vec![11, known, 12, 99, 13, known, 14, 98]).unwrap();
    let keys = Ragged::new(columns, vec![3, 1]).unwrap();
    let pretrained = model!(
        (hash_embed(rows = 50, width = 8, seed = 3)
            | static_vectors(vectors = vectors.clone(), width = 8, column = 1))
            >> maxout(width = 4, pieces = 2)
            >> reduce_max
            >> softmax(classes = classes)
    );
    let text = format!(
        "(hash_embed(rows = 50, width = 8, seed = 3) \
         | static_vectors(vectors = \"{file}\", width = 8, column = 1)) \
         >> maxout(width = 4, pieces = 2) >> reduce_max >> softmax(classes = 3)"
    );
    let network = Network::parse(&text).unwrap();
    let run_time = network.build(&DataSizes::given(None, None)).unwrap();
    same_as_the_macros(&text, run_time, pretrained, &keys);
    let missing = Network::parse(&text.replace(file, "no/such/vectors.txt")).unwrap();
    let err = missing
        .build::<Ragged<Keys>, Floats2>(&DataSizes::given(None, None))
        .err()
        .unwrap();
    assert!(err.to_string().contains("no/such/vectors.txt"), "{err}");
}

#[test]
fn text_builds_hierarchical_networks_over_documents() {
    // Three documents: two sentences, none, and an empty sentence before one of one token.
    let docs =
        Documents::from_documents([vec![vec![1, 2, 3], vec![4]], vec![], vec![vec![], vec![5]]]);
    let y = vec![0, 1, 1];
    let (text, han) = both!(
        &docs,
        &y,
        sentences(embed(width = 8) >> bilstm(hidden = 4) >> attention)
            >> bilstm(hidden = 3)
            >> attention
            >> softmax
    );
    let network = Network::parse(text).unwrap();
    let run_time: Boxed<Documents, Floats2> = network.initialize(&docs, &y).unwrap();
    assert_eq!(run_time.predict(docs.clone()).view().dim(), (3, 2));
    same_as_the_macros(text, run_time, han, &docs);
    // The signature tells `sentences` apart: a model of another nesting loads no weights.
    let signature = network.build::<Documents, Floats2>(&DataSizes::given(Some(6), Some(2)));
    assert!(
        signature
            .unwrap()
            .signature()
            .to_string()
            .contains("sentences")
    );
    // Sentences of hash keys, and a vector per sentence out.
    let keys = Ragged::new(
        Ragged::new(Keys::new(vec![7, 8, 9]), vec![2, 1]).unwrap(),
        vec![1, 1],
    );
    let text = "sentences(hash_embed(rows = 20, width = 4) >> reduce_sum) >> relu";
    let network = Network::parse(text).unwrap();
    let model = network.build::<Documents<Keys>, Ragged<Floats2>>(&DataSizes::given(None, None));
    assert_eq!(model.unwrap().predict(keys.unwrap()).lengths(), &[1, 1]);
    let err = Network::parse(text)
        .unwrap()
        .build::<Ragged<Keys>, Ragged<Floats2>>(&DataSizes::given(None, None))
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "network: `{text}` takes documents of hash keys and outputs a vector per sentence, \
             not `Ragged<Keys>` to `Ragged<Floats2>`"
        )
    );
}

#[test]
fn a_mistake_in_the_text_is_shown_under_its_place() {
    let err =
        Network::parse("embed(width = 64)\n  >> bilstm(input = 128) >> attention").unwrap_err();
    assert_eq!(
        err.to_string(),
        "network: `bilstm` expects width 128, but `embed(width = 64)` outputs 64\n  \
         at line 2, column 21:\n    >> bilstm(input = 128) >> attention\n                      ^^^"
    );
    let err = Network::parse("embed >> bilsm >> attention")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("network: unknown layer `bilsm` (did you mean `bilstm`?)"),
        "{err}"
    );
    // A network that does not take or output what is asked for.
    let (x, y) = texts();
    let network = Network::parse("embed >> bilstm >> softmax").unwrap();
    let err = network
        .initialize::<Ragged<Ids>, Floats2, _>(&x, &y)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        err,
        "network: `embed >> bilstm >> softmax` takes token ids and outputs a vector per token, \
         not `Ragged<Ids>` to `Floats2`"
    );
}
