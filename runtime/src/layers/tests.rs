//! What every built-in layer does alike: a NaN in its input comes out as NaN in the rows (or
//! sequences) it reaches, in `predict` and in `begin_update`, never as a number.

use crate::data::{Const, Floats2, Ragged, Values};
use crate::layers::{
    Attention, BiLstm, Dropout, LayerNorm, Linear, Lstm, Maxout, Mish, ReduceMax, ReduceMean,
    ReduceSum, Relu, Softmax,
};
use crate::model::{Model, Params};

/// Three rows of three columns, NaN at `[1, 0]`.
fn rows_with_nan() -> Floats2<Const<3>> {
    Floats2::from_rows(&[[0.5, -1.0, 2.0], [f32::NAN, 0.3, -0.7], [4.0, 0.9, 1.1]])
}

/// Sequences of lengths 2, 1 and 2 of three columns, NaN at `[3, 1]`: the first token of
/// sequence 2, whose other token is the largest of every column.
fn sequences_with_nan() -> Ragged<Floats2<Const<3>>> {
    let rows = Floats2::from_rows(&[
        [0.5, -1.0, 2.0],
        [1.5, 0.3, -0.7],
        [-0.2, 0.8, 0.4],
        [0.9, f32::NAN, -1.3],
        [9.0, 9.0, 9.0],
    ]);
    Ragged::new(rows, vec![2, 1, 2]).unwrap()
}

/// The rows of `values` (rows of `width` floats) that hold a NaN.
fn rows_holding_nan(values: &[f32], width: usize) -> Vec<usize> {
    let rows = values.chunks(width).enumerate();
    rows.filter(|(_, row)| row.iter().any(|v| v.is_nan()))
        .map(|(r, _)| r)
        .collect()
}

/// Asserts that `predict` and `begin_update` of `model` on `x` give NaN in the rows `expected`
/// of their output (rows of `width` floats), and numbers in the others.
fn assert_nan_rows<M>(name: &str, model: &M, x: M::In, width: usize, expected: &[usize])
where
    M: Model<In: Clone, Out: Values>,
{
    let predicted = model.predict(x.clone());
    let trained = model.begin_update(x).0;
    for (pass, y) in [("predict", predicted), ("begin_update", trained)] {
        let found = rows_holding_nan(y.values(), width);
        assert_eq!(found, expected, "{name} {pass}: rows holding NaN");
    }
}

#[test]
fn nan_in_a_row_gives_nan_in_that_row_of_every_row_layer() {
    let x = rows_with_nan;
    assert_nan_rows("linear", &Linear::new(Const::<3>, Const::<4>), x(), 4, &[1]);
    assert_nan_rows("relu", &Relu::new(Const::<3>, Const::<4>), x(), 4, &[1]);
    assert_nan_rows("mish", &Mish::new(Const::<3>, Const::<4>), x(), 4, &[1]);
    assert_nan_rows(
        "softmax",
        &Softmax::new(Const::<3>, Const::<4>),
        x(),
        4,
        &[1],
    );
    let maxout = Maxout::new(Const::<3>, Const::<4>, 3);
    assert_nan_rows("maxout", &maxout, x(), 4, &[1]);
    assert_nan_rows("layer_norm", &LayerNorm::new(Const::<3>), x(), 3, &[1]);
    assert_nan_rows("dropout", &Dropout::new(0.5), x(), 3, &[1]);
}

/// Softmax's zero weights give every row the same logits: a bias of NaN or +inf in one class
/// makes every row NaN, and no row a confident class.
#[test]
fn a_nan_or_infinite_logit_gives_nan_probabilities() {
    for logit in [f32::NAN, f32::INFINITY] {
        let mut softmax = Softmax::new(Const::<3>, Const::<4>);
        softmax.for_each_param_mut(&mut |path, p| {
            if path.ends_with(".b") {
                p.value_mut()[2] = logit;
            }
        });
        let probs = softmax.predict(rows_with_nan());
        assert!(
            probs.values().iter().all(|p| p.is_nan()),
            "{logit}: {probs:?}"
        );
    }
}

#[test]
fn nan_in_a_sequence_gives_nan_in_that_sequence_of_every_pooling_layer() {
    let x = sequences_with_nan;
    assert_nan_rows("attention", &Attention::new(Const::<3>), x(), 3, &[2]);
    assert_nan_rows("reduce_sum", &ReduceSum::new(Const::<3>), x(), 3, &[2]);
    assert_nan_rows("reduce_mean", &ReduceMean::new(Const::<3>), x(), 3, &[2]);
    assert_nan_rows("reduce_max", &ReduceMax::new(Const::<3>), x(), 3, &[2]);
}

/// The NaN reaches the token's own row and, through the recurrence, the rows after it.
#[test]
fn nan_in_a_token_gives_nan_from_that_token_on_in_every_recurrent_layer() {
    let x = sequences_with_nan;
    assert_nan_rows(
        "lstm",
        &Lstm::new(Const::<3>, Const::<4>, 2),
        x(),
        4,
        &[3, 4],
    );
    let bilstm = BiLstm::<_, _, Const<8>>::new(Const::<3>, Const::<4>, 2);
    assert_nan_rows("bilstm", &bilstm, x(), 8, &[3, 4]);
}
