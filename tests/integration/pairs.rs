//! Pairs of texts: decomposable attention written with `model!` trains, names each shared
//! parameter once, saves and loads (also into the same network read as text), and predicts
//! the same in parallel.

use weft::losses::CategoricalCrossentropy;
use weft::{Adam, Boxed, Floats2, Ids, Model, Network, Pairs, Params, Ragged, model, model_type};

/// Premises and hypotheses of different lengths, one hypothesis empty, with three classes.
fn batch() -> (Pairs<Ragged<Ids>>, Vec<usize>) {
    let premises = Ragged::from_sequences([vec![1, 2, 3, 4], vec![5, 6], vec![7, 8, 9]]);
    let hypotheses = Ragged::from_sequences([vec![2, 3], vec![], vec![9, 1, 1, 4]]);
    (Pairs::new(premises, hypotheses).unwrap(), vec![0, 1, 2])
}

/// Parikh et al.'s network, small: a shared encoder, alignment compared by concatenation,
/// difference and product, a shared comparison network, the sums of both sides side by side.
const TEXT: &str = "both(embed(width = 8) >> relu) >> align(difference = true, product = true) \
                    >> both(relu(width = 8) >> reduce_sum) >> concat_sides >> relu >> softmax";

/// The network of [`TEXT`], for `model!` and `model_type!`.
macro_rules! decomposable {
    ($macro:ident) => {
        $macro!(
            both(embed(width = 8) >> relu)
                >> align(difference = true, product = true)
                >> both(relu(width = 8) >> reduce_sum)
                >> concat_sides
                >> relu
                >> softmax
        )
    };
}

type Decomposable = decomposable!(model_type);

fn decomposable(x: &Pairs<Ragged<Ids>>, y: &[usize]) -> Decomposable {
    decomposable!(model).initialize(x, y).unwrap()
}

#[test]
fn decomposable_attention_trains_with_one_set_of_shared_weights() {
    let (x, y) = batch();
    let mut model = decomposable(&x, &y);
    assert_eq!(
        model.param_names(),
        [
            "0.embed.E",
            "1.relu.W",
            "1.relu.b",
            "3.relu.W",
            "3.relu.b",
            "6.relu.W",
            "6.relu.b",
            "7.softmax.W",
            "7.softmax.b"
        ]
    );
    // The comparison network reads 4 × 8 per token; the layer after the sides, 2 × 8.
    let mut shapes = Vec::new();
    model.for_each_param(&mut |_, p| shapes.push(p.shape().to_vec()));
    assert_eq!((&shapes[3], &shapes[5]), (&vec![8, 32], &vec![16, 16]));
    let mut adam = Adam::new(0.01);
    let mut losses = Vec::new();
    for _ in 0..40 {
        let (p, backprop) = model.begin_update(x.clone());
        let (d_p, loss) = CategoricalCrossentropy.get_grad(&p, &y).unwrap();
        backprop(d_p);
        model.finish_update(&mut adam).unwrap();
        losses.push(loss);
    }
    assert!(losses[39] < losses[0] / 2.0, "{losses:?}");
}

#[test]
fn a_pair_network_saves_and_loads_as_model_and_as_text() {
    let (x, y) = batch();
    let saved = decomposable(&x, &y);
    let bytes = saved.to_bytes().unwrap();
    let mut loaded = decomposable(&x, &y);
    assert_ne!(loaded.to_bytes().unwrap(), bytes);
    loaded.from_bytes(&bytes).unwrap();
    assert_eq!(loaded.to_bytes().unwrap(), bytes);

    let network = Network::parse(TEXT).unwrap();
    let mut text: Boxed<Pairs<Ragged<Ids>>, Floats2> = network.initialize(&x, &y).unwrap();
    assert_eq!(text.param_names(), saved.param_names());
    text.from_bytes(&bytes).unwrap();
    assert_eq!(text.predict(x.clone()), saved.predict(x.clone()));

    // Another comparison is another architecture: refused, naming the difference.
    let other: Boxed<Pairs<Ragged<Ids>>, Floats2> =
        Network::parse(&TEXT.replace(", product = true", ""))
            .unwrap()
            .initialize(&x, &y)
            .unwrap();
    let mut other = other;
    assert!(other.from_bytes(&bytes).is_err());
}

#[test]
fn pairs_predict_the_same_in_parallel() {
    let (x, y) = batch();
    let model = decomposable(&x, &y);
    let side = |offset: usize| {
        (0..20).map(move |i| vec![1 + (i + offset) as u32 % 9; (i * 7 + offset) % 5])
    };
    let many = Pairs::new(
        Ragged::from_sequences(side(0)),
        Ragged::from_sequences(side(3)),
    )
    .unwrap();
    let predicted = weft::with_threads(2, || model.predict_parallel(many.clone())).unwrap();
    assert_eq!(predicted, model.predict(many));
}
