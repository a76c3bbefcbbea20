//! `model!` and `model_type!`: every operator and combinator builds, trains and names its
//! parameters in flat order.

use weft::combinators::{chain, with_array};
use weft::layers::{Embed, ReduceMean, Relu};
use weft::losses::CategoricalCrossentropy;
use weft::{
    Adam, Const, Documents, Error, Floats2, GradcheckOptions, Ids, Inputs, Keys, Model, Params,
    Ragged, Rng, gradcheck, model, model_type,
};

const WIDTH: usize = 16;

fn batch() -> (Ragged<Ids>, Vec<usize>) {
    (
        Ragged::from_sequences([vec![1, 2, 3], vec![4, 5], vec![6]]),
        vec![0, 1, 2],
    )
}

fn rows() -> Floats2<Const<4>> {
    Floats2::from_rows(&[[0.5, -1.0, 2.0, 0.1], [1.5, 0.3, -0.7, 2.2]])
}

#[test]
fn the_design_card_network_trains() {
    let (x, y) = batch();
    let mut model = model!(embed >> bilstm >> attention >> softmax)
        .initialize(&x, &y)
        .unwrap();
    let names = model.param_names();
    assert_eq!(names.first().unwrap(), "0.embed.E");
    assert_eq!(names.last().unwrap(), "3.softmax.b");
    let mut adam = Adam::new(0.01);
    let mut losses = Vec::new();
    for _ in 0..30 {
        let (p, backprop) = model.begin_update(x.clone());
        let (d_p, loss) = CategoricalCrossentropy.get_grad(&p, &y).unwrap();
        backprop(d_p);
        model.finish_update(&mut adam).unwrap();
        losses.push(loss);
    }
    assert!(losses[29] < losses[0] / 2.0, "{losses:?}");
    // Sizes came from the data: 7 rows (ids 0..=6) of width 64, 3 classes.
    let mut shapes = Vec::new();
    model.for_each_param(&mut |_, p| shapes.push(p.shape().to_vec()));
    assert_eq!(shapes[0], [7, 64]);
    assert_eq!(shapes.last().unwrap(), &[3]);
}

/// The hierarchical attention network: words → sentence vectors → a document vector.
type Han = model_type!(
    sentences(embed(rows = 7, width = 8) >> bilstm(hidden = 4) >> attention)
        >> bilstm(hidden = 4)
        >> attention
        >> softmax(classes = 2)
);

#[test]
fn a_hierarchical_network_trains_both_levels() {
    // Documents of two sentences, of none, and of an empty sentence and one of one token.
    let x = Documents::from_documents([
        vec![vec![1, 2, 3], vec![4]],
        vec![],
        vec![vec![], vec![5, 6]],
    ]);
    let y = vec![0, 1, 1];
    let mut model = model!(
        sentences(embed(width = 8) >> bilstm(hidden = 4) >> attention)
            >> bilstm(hidden = 4)
            >> attention
            >> softmax
    )
    .initialize(&x, &y)
    .unwrap();
    let names = model.param_names();
    assert_eq!(names.first().unwrap(), "0.embed.E");
    assert!(names.contains(&"2.attention.Q".to_string()));
    assert_eq!(names.last().unwrap(), "5.softmax.b");
    let typed: Han = model!(
        sentences(embed(rows = 7, width = 8) >> bilstm(hidden = 4) >> attention)
            >> bilstm(hidden = 4)
            >> attention
            >> softmax(classes = 2)
    );
    assert_eq!(typed.signature(), model.signature());
    let mut adam = Adam::new(0.05);
    for step in 0..2 {
        let (p, backprop) = model.begin_update(x.clone());
        let (d_p, _) = CategoricalCrossentropy.get_grad(&p, &y).unwrap();
        backprop(d_p);
        // After the first step (the output layer starts at zero), every parameter of both
        // levels has a gradient.
        if step == 1 {
            model.for_each_param(&mut |name, param| {
                assert!(param.grad().iter().any(|g| *g != 0.0), "{name}");
            });
        }
        model.finish_update(&mut adam).unwrap();
    }
}

#[test]
fn initialize_says_what_the_data_lacks() {
    let (x, _) = batch();
    let err = model!(embed >> attention >> softmax)
        .initialize(&x, &())
        .err()
        .unwrap();
    assert!(matches!(err, Error::Initialize { .. }));
    assert_eq!(
        err.to_string(),
        "initialize: `softmax` counts its classes from the truths, but none were given: \
         pass them to `initialize`, or give the classes in the network \
         (`softmax(classes = ..)`)"
    );
    let err = model!(embed >> attention >> softmax)
        .initialize(&x, &vec![0, 1])
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "initialize: the truths: expected one per input, 3 inputs, found 2 truths"
    );
}

/// Hash keys and feature rows size no table, but the classes still come from the truths;
/// so do the inputs of a type of the user's that says how many examples it holds.
#[test]
fn initialize_reads_the_sizes_of_any_input() {
    let keys = Ragged::new(Keys::new(vec![11, 12, 13]), vec![2, 1]).unwrap();
    let model = model!(hash_embed(width = 8) >> reduce_max >> softmax)
        .initialize(&keys, &vec![0, 2])
        .unwrap();
    assert_eq!(model.predict(keys).view().shape(), &[2, 3]);

    let model = model!(relu(input = 4, width = 8) >> softmax)
        .initialize(&rows(), &vec![1, 0])
        .unwrap();
    assert_eq!(model.predict(rows()).view().shape(), &[2, 2]);

    let texts = Texts(vec!["a text".into(), "another".into()]);
    let model = model!(Lengths >> softmax)
        .initialize(&texts, &vec![0, 1])
        .unwrap();
    assert_eq!(model.predict(texts).view().shape(), &[2, 2]);
}

/// Texts as strings, a data type of the user's, which `initialize` reads the examples of.
struct Texts(Vec<String>);

impl weft::Data for Texts {
    type Grad = weft::NoGrad;
}

impl Inputs for Texts {
    fn examples(&self) -> usize {
        self.0.len()
    }
    fn max_id(&self) -> Option<u32> {
        None
    }
}

/// The length of each text, a feature: a layer of the user's over [`Texts`].
struct Lengths;

impl Params for Lengths {
    fn visit(&self, _: &mut weft::Visit<'_>) {}
    fn visit_mut(&mut self, _: &mut weft::VisitMut<'_>) {}
}

impl Model for Lengths {
    type In = Texts;
    type Out = Floats2<Const<1>>;
    fn begin_update<'a>(
        &'a self,
        x: Texts,
    ) -> (
        Floats2<Const<1>>,
        impl FnOnce(Floats2<Const<1>>) -> weft::NoGrad + Send + 'a,
    ) {
        (self.predict(x), |_| weft::NoGrad)
    }
    fn predict(&self, x: Texts) -> Floats2<Const<1>> {
        let lengths: Vec<[f32; 1]> = x.0.iter().map(|t| [t.len() as f32]).collect();
        Floats2::from_rows(&lengths)
    }
}

/// A value of the user's used twice is one layer: its parameters once, trained by both uses,
/// saved and loaded once, and marked in the signature.
#[test]
fn a_layer_used_twice_is_shared() {
    let (x, y) = batch();
    let block = model!(with_array(relu(input = WIDTH, width = WIDTH)));
    let mut model = model!(embed(width = WIDTH) >> block >> block >> attention >> softmax)
        .initialize(&x, &y)
        .unwrap();
    assert_eq!(
        model.param_names(),
        [
            "0.embed.E",
            "1.relu.W",
            "1.relu.b",
            "3.attention.Q",
            "4.softmax.W",
            "4.softmax.b"
        ]
    );
    assert!(model.signature().to_string().contains("2.shared of=1..2"));
    let mut adam = Adam::new(0.01);
    for _ in 0..3 {
        let (probs, backprop) = model.begin_update(x.clone());
        let (d_probs, _) = CategoricalCrossentropy.get_grad(&probs, &y).unwrap();
        backprop(d_probs);
        model.finish_update(&mut adam).unwrap();
    }
    let block = model!(with_array(relu(input = WIDTH, width = WIDTH)));
    let mut loaded = model!(
        embed(rows = 7, width = WIDTH) >> block >> block >> attention >> softmax(classes = 3)
    );
    loaded.from_bytes(&model.to_bytes().unwrap()).unwrap();
    assert_eq!(
        loaded.predict(x.clone()).view(),
        model.predict(x.clone()).view()
    );

    let (a, b) = (
        model!(with_array(relu(input = WIDTH, width = WIDTH))),
        model!(with_array(relu(input = WIDTH, width = WIDTH))),
    );
    let mut unshared =
        model!(embed(rows = 7, width = WIDTH) >> a >> b >> attention >> softmax(classes = 3));
    let error = unshared.from_bytes(&model.to_bytes().unwrap()).unwrap_err();
    assert!(error.to_string().contains("shared"), "{error}");
}

#[test]
fn every_operator_builds_and_checks_its_gradients() {
    let mut chain = model!(relu(input = 4, width = 8) >> mish >> linear(width = 3));
    gradcheck(&mut chain, &rows(), &GradcheckOptions::default()).unwrap();
    assert_eq!(chain.param_names()[4], "2.linear.W");

    let mut concat = model!(linear(input = 4, width = 2) | relu(width = 3) | mish(width = 1));
    assert_eq!(concat.predict(rows()).view().ncols(), 6);
    gradcheck(&mut concat, &rows(), &GradcheckOptions::default()).unwrap();

    let mut sum = model!(linear(input = 4, width = 3) + mish(width = 3));
    gradcheck(&mut sum, &rows(), &GradcheckOptions::default()).unwrap();

    let mut copies = model!(linear(input = 4, width = 4) >> mish * *3);
    assert_eq!(copies.param_names().len(), 8);
    assert_eq!(copies.param_names()[6], "3.mish.W");
    gradcheck(&mut copies, &rows(), &GradcheckOptions::default()).unwrap();
}

/// spaCy's CNN encoder, `MaxoutWindowEncoder(width, window_size, maxout_pieces, depth)`: a
/// residual block of a window, a maxout, a layer norm and dropout, stacked, over sequences.
#[test]
fn spacys_maxout_window_encoder_checks_its_gradients() {
    let x = Ragged::new(
        Floats2::from_rows(&[
            [0.5, -1.0, 2.0, 0.1],
            [1.5, 0.3, -0.7, 2.2],
            [-0.4, 0.8, 0.6, -1.3],
            [0.9, -0.2, -1.1, 0.7],
            [0.2, 1.9, -0.5, -0.8],
            [-1.6, 0.4, 1.2, 0.3],
        ]),
        vec![3, 0, 1, 2],
    )
    .unwrap();
    let mut encoder = model!(
        residual(
            expand_window(input = 4)
                >> maxout(width = 4, pieces = 3)
                >> layer_norm
                >> dropout(rate = 0.0)
        ) * *2
    );
    assert_eq!(encoder.param_names()[0], "1.maxout.W");
    assert_eq!(encoder.predict(x.clone()).lengths(), &[3, 0, 1, 2]);
    // Weights of a seed of their own: the initialization's depends on the order of tests, and
    // a maxout whose pieces are close may switch pieces within the finite difference.
    let mut rng = Rng::new(4);
    encoder
        .for_each_param_mut(&mut |_, param| {
            let n = param.len();
            param.value_mut().copy_from_slice(&rng.uniform_vec(n, 1.0));
        })
        .unwrap();
    gradcheck(&mut encoder, &x, &GradcheckOptions::default()).unwrap();
}

/// A window's count may be a literal, a constant or a run-time value: the output width is
/// `(2 · window + 1)` times the input's, checked by the macro, rustc or the run time.
#[test]
fn a_window_of_any_kind_of_count_gives_the_same_network() {
    const WINDOW: usize = 2;
    let window = 2;
    let literal = model!(expand_window(input = 4, window = 2) >> maxout(width = 3));
    let constant = model!(expand_window(input = 4, window = WINDOW) >> maxout(width = 3));
    let run_time = model!(expand_window(input = 4, window = window) >> maxout(width = 3));
    let signature = literal.signature().to_string();
    assert!(signature.contains("maxout n_in=20 "), "{signature}");
    assert_eq!(constant.signature(), literal.signature());
    assert_eq!(run_time.signature(), literal.signature());
}

#[test]
fn named_combinators_mean_what_the_operators_mean() {
    let calls = model!(chain(
        relu(input = 4, width = 4),
        concat(linear(width = 2), mish(width = 2))
    ));
    let ops = model!(relu(input = 4, width = 4) >> (linear(width = 2) | mish(width = 2)));
    assert_eq!(calls.param_names(), ops.param_names());
    let mut cloned =
        model!(clone(layer_norm(input = 4), 2) >> add(linear(width = 2), relu(width = 2)));
    assert_eq!(cloned.param_names()[2], "1.layer_norm.G");
    gradcheck(&mut cloned, &rows(), &GradcheckOptions::default()).unwrap();
    let mut skip = model!(residual(relu(input = 4) >> linear) >> maxout(width = 2, pieces = 2));
    gradcheck(&mut skip, &rows(), &GradcheckOptions::default()).unwrap();
}

#[test]
fn per_token_layers_run_on_every_token() {
    let (x, y) = batch();
    // After an embedding, dense layers and `|` work token by token; `with_array` says so
    // explicitly.
    let model = model!(
        embed(width = 8)
            >> (relu | mish(width = 4))
            >> with_array(layer_norm >> dropout(rate = 0.2))
            >> lstm(hidden = 6)
            >> (reduce_sum + reduce_mean + reduce_max)
            >> softmax
    )
    .initialize(&x, &y)
    .unwrap();
    let p = model.predict(x.clone());
    assert_eq!(p.view().shape(), &[3, 3]);
    let tagger = model!(
        embed(rows = 10, width = 8) >> bilstm(hidden = 4, depth = 2) >> softmax(classes = 5)
    );
    let tags = tagger.predict(x);
    assert_eq!(tags.lengths(), &[3, 2, 1]);
    assert_eq!(tags.data().view().ncols(), 5);
}

#[test]
fn bars_and_pluses_join_any_layers_of_one_kind() {
    let (x, y) = batch();
    // Two embeddings side by side, two sequence encoders side by side, two poolings side by
    // side: `|` joins outputs of one kind, a vector per token or one per example.
    let mut model = model!(
        (embed(rows = 10, width = 4) | embed(rows = 10, width = 2))
            >> (bilstm(hidden = 3) | lstm(hidden = 2))
            >> (reduce_mean | reduce_max)
            >> softmax(classes = 3)
    );
    let p = model.predict(x.clone());
    assert_eq!(p.view().shape(), &[3, 3]);
    assert_eq!(model.param_names()[0], "0.embed.E");
    gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    // A sequence layer of the user's beside a built-in one, and summed with one.
    let mine = with_array(Embed::new(10, Const::<8>));
    let encoder = weft::layers::BiLstm::new(Const::<16>, Const::<4>, 1);
    let model =
        model!((mine | embed(width = 8)) >> (encoder + bilstm(hidden = 4)) >> attention >> softmax)
            .initialize(&x, &y)
            .unwrap();
    assert_eq!(model.predict(x).view().shape(), &[3, 3]);
}

#[test]
fn widths_can_be_constants_and_run_time_values() {
    let classes = 4;
    let model = model!(
        hash_embed(width = WIDTH, rows = 100, seed = 7) >> attention >> softmax(classes = classes)
    );
    let keys = Ragged::new(weft::Keys::new(vec![11, 12, 13]), vec![2, 1]).unwrap();
    assert_eq!(model.predict(keys).view().shape(), &[2, 4]);
}

#[test]
fn user_layers_take_part() {
    let (x, y) = batch();
    let my_embed = with_array(Embed::new(10, Const::<8>));
    let model = model!(
        my_embed >> bilstm(hidden = 4) >> attention >> Relu::new(Const::<8>, Const::<8>) >> softmax
    )
    .initialize(&x, &y)
    .unwrap();
    assert_eq!(model.param_names()[0], "0.embed.E");
    assert_eq!(model.predict(x).rows(), 3);
}

/// A network as a struct field, named by `model_type!`.
struct Classifier {
    network:
        model_type!(embed(width = 8) >> bilstm(hidden = 4) >> attention >> softmax(classes = 2)),
}

/// A width-generic helper, as a user writes one: a run-time width, a network of its own.
fn encoder(width: usize) -> impl Model<In = Ragged<Floats2>, Out = Ragged<Floats2>> {
    model!(bilstm(input = width, hidden = width / 2) >> relu)
}

#[test]
fn layers_after_a_users_layer_take_its_kind_and_width() {
    let (x, y) = batch();
    // `encoder` outputs a vector per token, 12 wide at run time: `relu` and `linear` after it
    // run on every token, and `bilstm` and `attention` read its width.
    let width = 12;
    let model = model!(
        embed(width = width)
            >> encoder(width)
            >> relu
            >> linear(width = 6)
            >> bilstm
            >> attention
            >> softmax
    )
    .initialize(&x, &y)
    .unwrap();
    assert_eq!(model.predict(x.clone()).view().shape(), &[3, 3]);
    assert_eq!(model.param_names()[1], "1.bilstm.0.fwd.W_ih");
    // One vector per example from a layer of the user's: dense layers run once per example,
    // and a constant width is read off its type.
    let pooled = chain(
        with_array(Embed::new(10, Const::<4>)),
        ReduceMean::new(Const),
    );
    let mut model = model!(pooled >> relu >> softmax(classes = 3));
    let p = model.predict(x.clone());
    assert_eq!(p.view().shape(), &[3, 3]);
    gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    let _ = y;
}

#[test]
fn model_type_names_the_type_model_builds() {
    let classifier = Classifier {
        network: model!(
            embed(rows = 10, width = 8) >> bilstm(hidden = 4) >> attention >> softmax(classes = 2)
        ),
    };
    let (x, _) = batch();
    assert_eq!(classifier.network.predict(x).view().shape(), &[3, 2]);
}

#[test]
fn a_hundred_layer_chain_builds_and_names_layers_in_order() {
    let model = model!(
        linear(input = 2, width = 2)
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
            >> relu
    );
    let names = model.param_names();
    assert_eq!(names.len(), 200);
    for (i, pair) in names.chunks(2).enumerate() {
        let kind = if i == 0 { "linear" } else { "relu" };
        assert_eq!(pair, [format!("{i}.{kind}.W"), format!("{i}.{kind}.b")]);
    }
    let y = model.predict(Floats2::<Const<2>>::from_rows(&[[1.0, 2.0]]));
    assert_eq!(y.rows(), 1);
}

#[test]
fn a_model_sized_from_data_loads_into_one_built_with_the_sizes_given() {
    let (x, y) = batch();
    let trained = model!(embed(width = 8) >> bilstm(hidden = 4) >> attention >> softmax)
        .initialize(&x, &y)
        .unwrap();
    let bytes = trained.to_bytes().unwrap();
    // Shipped: the vocabulary and labels travel with the model, and give the sizes.
    let (rows, classes) = (7, 3);
    let mut shipped = model!(
        embed(rows = rows, width = 8)
            >> bilstm(hidden = 4)
            >> attention
            >> softmax(classes = classes)
    );
    shipped.from_bytes(&bytes).unwrap();
    assert_eq!(shipped.predict(x.clone()), trained.predict(x));
}

#[test]
fn attention_by_takes_its_queries_from_a_network_as_model_and_as_text() {
    let (x, y) = batch();
    let model = model!(embed(width = 8) >> attention_by(reduce_mean >> linear) >> softmax)
        .initialize(&x, &y)
        .unwrap();
    assert_eq!(
        model.param_names(),
        [
            "0.embed.E",
            "2.linear.W",
            "2.linear.b",
            "3.softmax.W",
            "3.softmax.b"
        ]
    );
    let text = "embed(width = 8) >> attention_by(reduce_mean >> linear) >> softmax";
    let mut built: weft::Boxed<Ragged<Ids>, Floats2> = weft::Network::parse(text)
        .unwrap()
        .initialize(&x, &y)
        .unwrap();
    built.from_bytes(&model.to_bytes().unwrap()).unwrap();
    assert_eq!(built.predict(x.clone()), model.predict(x));
}
