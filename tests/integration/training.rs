//! Whole networks train, and a bad update leaves the model as it was.

use weft::combinators::{chain, with_array};
use weft::layers::{Attention, BiLstm, Embed, Linear, Softmax};
use weft::losses::CategoricalCrossentropy;
use weft::{Adam, Const, Error, Floats2, Model, Params, Ragged, Rng, Sgd, WeightDecay};

/// Sequences of ids 2..10, labelled 1 when they contain id 1 somewhere.
fn toy_batch(rng: &mut Rng, n: usize) -> (Ragged<weft::Ids>, Vec<usize>) {
    let mut sequences = Vec::new();
    let mut labels = Vec::new();
    for _ in 0..n {
        let len = 1 + rng.below(6);
        let mut seq: Vec<u32> = (0..len).map(|_| 2 + rng.below(8) as u32).collect();
        let label = rng.below(2);
        if label == 1 {
            let at = rng.below(len);
            seq[at] = 1;
        }
        sequences.push(seq);
        labels.push(label);
    }
    (Ragged::from_sequences(&sequences), labels)
}

#[test]
fn embed_bilstm_attention_softmax_learns_a_toy_task() {
    weft::set_seed(1);
    let mut model = chain(
        with_array(Embed::new(10, Const::<8>)),
        chain(
            BiLstm::<_, _, Const<16>>::new(Const::<8>, Const::<8>, 1),
            chain(
                Attention::new(Const::<16>),
                Softmax::new(Const::<16>, 2usize),
            ),
        ),
    );
    let mut adam = Adam::new(0.01);
    let mut rng = Rng::new(2);
    let mut first_loss = None;
    for _ in 0..150 {
        let (x, y) = toy_batch(&mut rng, 16);
        let (probs, backprop) = model.begin_update(x);
        let (d_probs, loss) = CategoricalCrossentropy.get_grad(&probs, &y).unwrap();
        first_loss.get_or_insert(loss);
        backprop(d_probs);
        model.finish_update(&mut adam).unwrap();
    }
    let (x, y) = toy_batch(&mut rng, 200);
    let predicted = model.predict(x).argmax().unwrap();
    let correct = predicted.iter().zip(&y).filter(|(p, t)| p == t).count();
    assert!(
        correct >= 190,
        "{correct}/200 correct; first loss {first_loss:?}"
    );
}

#[test]
fn a_non_finite_gradient_changes_nothing_and_names_the_parameter() {
    let mut model = chain(
        Linear::new(Const::<2>, Const::<2>),
        Linear::new(Const::<2>, Const::<1>),
    );
    let before: Vec<Vec<f32>> = values(&model);
    let (_, backprop) = model.begin_update(Floats2::from_rows(&[[1.0, f32::NAN]]));
    backprop(Floats2::from_rows(&[[1.0]]));
    let err = model.finish_update(&mut Sgd::new(0.1)).unwrap_err();
    assert!(matches!(err, Error::NonFinite { .. }));
    assert_eq!(err.to_string(), "the gradient of 0.linear.W is not finite");
    assert_eq!(values(&model), before);
    model.for_each_param(&mut |path, p| assert!(p.grad().iter().all(|&g| g == 0.0), "{path}"));
}

#[test]
fn clipping_bounds_the_global_step() {
    // With SGD (lr 1) the update is the clipped gradient itself.
    let mut model = Linear::new(Const::<1>, Const::<1>);
    let before = values(&model);
    let (_, backprop) = model.begin_update(Floats2::from_rows(&[[30.0]]));
    backprop(Floats2::from_rows(&[[40.0 / 30.0]]));
    // Gradients: dW = 40, db = 4/3; norm ≈ 40.02. Clip to 1.
    let mut sgd = Sgd::new(1.0);
    sgd.grad_clip = Some(1.0);
    model.finish_update(&mut sgd).unwrap();
    let after = values(&model);
    let step: f32 = before
        .iter()
        .flatten()
        .zip(after.iter().flatten())
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f32>()
        .sqrt();
    assert!((step - 1.0).abs() < 1e-5, "step {step}");
}

#[test]
fn decoupled_weight_decay_shrinks_weights_without_gradient() {
    let mut model = Linear::new(Const::<2>, Const::<2>);
    let before = values(&model);
    let mut adam = Adam::new(0.1);
    adam.weight_decay = WeightDecay::Decoupled(0.5);
    model.finish_update(&mut adam).unwrap();
    // Zero gradient: Adam's step is zero, the decay multiplies every weight by 1 - 0.1 * 0.5.
    for (a, b) in before[0].iter().zip(&values(&model)[0]) {
        assert!((b - a * 0.95).abs() < 1e-6);
    }
}

fn values(model: &impl Params) -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    model.for_each_param(&mut |_, p| out.push(p.value().to_vec()));
    out
}

#[test]
fn a_non_finite_embedding_row_is_caught_and_cleared() {
    let mut model = Embed::new(50, Const::<4>);
    let before = values(&model);
    let (_, backprop) = model.begin_update(weft::Ids(vec![3, 40]));
    backprop(Floats2::from_rows(&[
        [1.0; 4],
        [0.0, f32::INFINITY, 0.0, 0.0],
    ]));
    let err = model.finish_update(&mut Adam::new(0.1)).unwrap_err();
    assert_eq!(err.to_string(), "the gradient of 0.embed.E is not finite");
    assert_eq!(values(&model), before);
    model.for_each_param(&mut |path, p| assert!(p.grad().iter().all(|&g| g == 0.0), "{path}"));
    // The next update starts from a clean gradient: only row 3 moves.
    let (_, backprop) = model.begin_update(weft::Ids(vec![3]));
    backprop(Floats2::from_rows(&[[1.0; 4]]));
    model.finish_update(&mut Adam::new(0.1)).unwrap();
    let after = values(&model);
    let moved: Vec<usize> = (0..50)
        .filter(|&r| after[0][r * 4..(r + 1) * 4] != before[0][r * 4..(r + 1) * 4])
        .collect();
    assert_eq!(moved, [3]);
}
