//! What every built-in layer does alike: a NaN in its input comes out as NaN in the rows (or
//! sequences) it reaches, in `predict` and in `begin_update`, never as a number; rows of
//! another width than the layer's, and gradients of another shape than its output's, are
//! refused with a message that names the layer.

use std::panic::AssertUnwindSafe;

use crate::data::{Const, Floats2, Grad, Ids, Keys, Pairs, Ragged, Values};
use crate::layers::{
    Align, Attention, BiLstm, ConcatSides, Dropout, Embed, ExpandWindow, HashEmbed, LayerNorm,
    Linear, Lstm, Maxout, Mish, ReduceMax, ReduceMean, ReduceSum, Relu, Sigmoid, Softmax,
    SparseLinear, StaticVectors,
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
    let sigmoid = Sigmoid::new(Const::<3>, Const::<4>);
    assert_nan_rows("sigmoid", &sigmoid, x(), 4, &[1]);
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
        softmax
            .for_each_param_mut(&mut |path, p| {
                if path.ends_with(".b") {
                    p.value_mut()[2] = logit;
                }
            })
            .unwrap();
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

/// In pairs of [`sequences_with_nan`] and two-token sequences, the NaN of the first side's
/// token 3 reaches its own row and, through the scores, every token of the side it faces
/// (rows 5 and 6 of the second sides); the first sides of the other pairs stay numbers.
/// Concatenating the sides keeps a NaN in its pair's row.
#[test]
fn nan_in_a_side_reaches_its_pair_in_every_pair_layer() {
    let second = Ragged::new(
        Floats2::<Const<3>>::from_rows(&[[0.1, 0.2, 0.3]; 6]),
        vec![2; 3],
    );
    let x = Pairs::new(sequences_with_nan(), second.unwrap()).unwrap();
    let align = Align::<_, Const<6>>::new(Const::<3>, false, false);
    assert_nan_rows("align", &align, x, 6, &[3, 9, 10]);
    let sides = Pairs::new(rows_with_nan(), rows_with_nan()).unwrap();
    let concat_sides = ConcatSides::<_, Const<6>>::new(Const::<3>);
    assert_nan_rows("concat_sides", &concat_sides, sides, 6, &[1]);
}

/// The NaN reaches the rows of the tokens whose window holds it: its own and its neighbour's
/// in its sequence.
#[test]
fn nan_in_a_token_gives_nan_in_the_windows_that_hold_it() {
    let window = ExpandWindow::<_, Const<9>>::new(Const::<3>, 1);
    assert_nan_rows("expand_window", &window, sequences_with_nan(), 9, &[3, 4]);
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

/// The message `f` panics with; `None` when it returns.
fn panic_message(f: impl FnOnce()) -> Option<String> {
    let payload = std::panic::catch_unwind(AssertUnwindSafe(f)).err()?;
    let text = payload.downcast_ref::<&str>().map(|s| s.to_string());
    text.or_else(|| payload.downcast_ref::<String>().cloned())
}

/// Asserts that `predict` and `begin_update` of `model` on `x` panic with `message`.
fn assert_refused<M: Model<In: Clone>>(model: &M, x: M::In, message: &str) {
    let predicted = panic_message(|| drop(model.predict(x.clone())));
    assert_eq!(predicted.as_deref(), Some(message), "predict");
    let trained = panic_message(|| drop(model.begin_update(x)));
    assert_eq!(trained.as_deref(), Some(message), "begin_update");
}

/// Asserts that the backprop closure of `model` on `x` panics with `message` for `d_y`.
fn assert_gradient_refused<M: Model>(model: &M, x: M::In, d_y: Grad<M::Out>, message: &str) {
    let (_, backprop) = model.begin_update(x);
    assert_eq!(
        panic_message(|| drop(backprop(d_y))).as_deref(),
        Some(message)
    );
}

/// `rows` rows of width `width`, a run-time width.
fn zeros(rows: usize, width: usize) -> Floats2 {
    Floats2::zeros(rows, width)
}

/// Sequences of lengths 2 and 1 of width `width`.
fn sequences(width: usize) -> Ragged<Floats2> {
    Ragged::new(zeros(3, width), vec![2, 1]).unwrap()
}

#[test]
fn rows_of_another_run_time_width_are_refused_naming_the_layer() {
    let message = |layer: &str| {
        format!("{layer}: given rows of width 5, but the layer was built for rows of width 3")
    };
    let x = || zeros(2, 5);
    assert_refused(&Linear::new(3, 4), x(), &message("linear"));
    assert_refused(&Softmax::new(3, 4), x(), &message("softmax"));
    assert_refused(&Sigmoid::new(3, 4), x(), &message("sigmoid"));
    assert_refused(&Maxout::new(3, 4, 2), x(), &message("maxout"));
    assert_refused(&LayerNorm::new(3), x(), &message("layer_norm"));
    let x = || sequences(5);
    assert_refused(&Attention::new(3), x(), &message("attention"));
    assert_refused(&ReduceSum::new(3), x(), &message("reduce_sum"));
    assert_refused(&ReduceMax::new(3), x(), &message("reduce_max"));
    assert_refused(&Lstm::new(3, 2, 1), x(), &message("lstm"));
    let window = ExpandWindow::<_, usize>::new(3, 1);
    assert_refused(&window, x(), &message("expand_window"));
    let pairs = || Pairs::new(sequences(5), sequences(5)).unwrap();
    assert_refused(
        &Align::<_, usize>::new(3, true, false),
        pairs(),
        &message("align"),
    );
    let sides = Pairs::new(zeros(2, 5), zeros(2, 5)).unwrap();
    assert_refused(
        &ConcatSides::<_, usize>::new(3),
        sides,
        &message("concat_sides"),
    );
    assert_refused(
        &BiLstm::<_, _, usize>::new(3, 2, 1),
        x(),
        &message("bilstm"),
    );
}

/// Asserts that the backprop closure of `model` (named `layer`) on `x` refuses `d_y`, of
/// another shape than the output's, `output`, naming both.
fn refuses_gradient<M: Model<Out = Floats2>>(
    layer: &str,
    model: &M,
    x: M::In,
    d_y: Floats2,
    output: (usize, usize),
) {
    let given = d_y.view().dim();
    let message = format!(
        "{layer}: backprop given a gradient of shape {given:?}, but the output has shape {output:?}"
    );
    assert_gradient_refused(model, x, d_y, &message);
}

#[test]
fn gradients_of_another_shape_than_the_output_are_refused_naming_the_layer() {
    let x = || zeros(2, 3);
    refuses_gradient("linear", &Linear::new(3, 4), x(), zeros(2, 5), (2, 4));
    refuses_gradient("linear", &Linear::new(3, 4), x(), zeros(1, 4), (2, 4));
    refuses_gradient("maxout", &Maxout::new(3, 4, 2), x(), zeros(1, 4), (2, 4));
    refuses_gradient("sigmoid", &Sigmoid::new(3, 4), x(), zeros(2, 3), (2, 4));
    refuses_gradient("layer_norm", &LayerNorm::new(3), x(), zeros(3, 3), (2, 3));
    refuses_gradient("dropout", &Dropout::new(0.5), x(), zeros(2, 2), (2, 3));
    refuses_gradient(
        "embed",
        &Embed::new(10, 3),
        Ids(vec![1, 2]),
        zeros(3, 3),
        (2, 3),
    );
    let hash_embed = HashEmbed::new(10, 3, 1);
    refuses_gradient(
        "hash_embed",
        &hash_embed,
        Keys::new(vec![1, 2]),
        zeros(2, 4),
        (2, 3),
    );
    let table = crate::text::Vectors::new(["a"], ndarray::Array2::ones((1, 2))).unwrap();
    refuses_gradient(
        "static_vectors",
        &StaticVectors::new(table, 3),
        Keys::new(vec![1, 2]),
        zeros(2, 4),
        (2, 3),
    );
    let bags = Ragged::new(Keys::new(vec![1, 2, 3]), vec![2, 1]).unwrap();
    let sparse_linear = SparseLinear::new(10, 3);
    refuses_gradient("sparse_linear", &sparse_linear, bags, zeros(3, 3), (2, 3));
    let x = || sequences(3);
    refuses_gradient("attention", &Attention::new(3), x(), zeros(3, 3), (2, 3));
    refuses_gradient("reduce_mean", &ReduceMean::new(3), x(), zeros(2, 4), (2, 3));
    let sides = Pairs::new(zeros(2, 3), zeros(2, 3)).unwrap();
    let concat_sides = ConcatSides::<_, usize>::new(3);
    refuses_gradient("concat_sides", &concat_sides, sides, zeros(2, 5), (2, 6));
}

#[test]
fn sequence_gradients_of_another_shape_than_the_output_are_refused_naming_the_layer() {
    let lstm = Lstm::new(3, 2, 1);
    let d_y = Ragged::new(zeros(3, 2), vec![1, 2]).unwrap();
    let message = "lstm: backprop given a gradient of 1 rows in sequence 0, where the output has 2";
    assert_gradient_refused(&lstm, sequences(3), d_y, message);
    let d_y = Ragged::new(zeros(3, 2), vec![3]).unwrap();
    let message = "lstm: backprop given a gradient of 1 sequences, for an output of 2";
    assert_gradient_refused(&lstm, sequences(3), d_y, message);
    let window = ExpandWindow::<_, usize>::new(3, 1);
    let d_y = Ragged::new(zeros(3, 9), vec![1, 2]).unwrap();
    let message =
        "expand_window: backprop given a gradient of 1 rows in sequence 0, where the output has 2";
    assert_gradient_refused(&window, sequences(3), d_y, message);
    let bilstm = BiLstm::<_, _, usize>::new(3, 2, 1);
    let message = "bilstm: backprop given a gradient of rows of width 2, for an output of width 4";
    assert_gradient_refused(&bilstm, sequences(3), sequences(2), message);
    let align = Align::<_, usize>::new(3, false, false);
    let x = Pairs::new(sequences(3), sequences(3)).unwrap();
    let d_y = Pairs::new(sequences(6), Ragged::new(zeros(3, 6), vec![3, 0]).unwrap()).unwrap();
    let message =
        "align: backprop given a gradient of 3 rows in sequence 2, where the output has 2";
    assert_gradient_refused(&align, x, d_y, message);
}
