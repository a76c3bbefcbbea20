//! The optimizers' tests: sparse updates match dense ones, and bad settings and updates are
//! refused before anything is written.

use ndarray::Array2;

use super::*;
use crate::data::{Const, Floats2};
use crate::kernels::rng::Rng;
use crate::layers::Linear;
use crate::model::{Model, Optimizer, Param, Params};

/// Rows of a table big enough for Adam to split it between threads.
const ROWS: usize = 700;
const WIDTH: usize = 64;

/// Steps `optimizer` over two copies of a table for the same gradients, added row by row
/// (`add_grad_rows`, so the update skips untouched rows) and through `value_and_grad_mut`
/// (which makes the update dense); the two must stay equal to the bit. On a pool of four
/// threads, whatever the machine: 300 rows, some repeated, are enough for `add_grad_rows`
/// to share the table out between them. Step 2 touches no row: momentum and decay still
/// move the values, when `idle_moves`.
fn sparse_matches_dense(optimizer: impl Optimizer + Clone + Send, idle_moves: bool) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build();
    pool.expect("a pool")
        .install(|| steps(optimizer, idle_moves));
}

/// The steps of [`sparse_matches_dense`].
fn steps(mut optimizer: impl Optimizer + Clone, idle_moves: bool) {
    let mut rng = Rng::new(4);
    let init = rng.uniform_vec(ROWS * WIDTH, 0.1);
    let mut sparse = Param::new(&[ROWS, WIDTH], init.clone());
    let mut dense = Param::new(&[ROWS, WIDTH], init);
    let mut dense_optimizer = optimizer.clone();
    for step in 0..4 {
        let touches = if step == 2 { 0 } else { 300 };
        let rows: Vec<usize> = (0..touches)
            .map(|i| (i * i * 7 + step * 11) % ROWS)
            .collect();
        let d = Array2::from_shape_fn((touches, WIDTH), |_| rng.uniform(-1.0, 1.0));
        sparse.add_grad_rows(rows.iter().copied().zip(d.rows()));
        let (_, grad) = dense.value_and_grad_mut();
        for (&row, d) in rows.iter().zip(d.rows()) {
            let target = &mut grad[row * WIDTH..(row + 1) * WIDTH];
            target.iter_mut().zip(d).for_each(|(g, &d)| *g += d);
        }
        // Summed in another order: equal to f64 rounding.
        let (a, b) = (sparse.grad_sum_of_squares(), dense.grad_sum_of_squares());
        assert!((a - b).abs() <= 1e-12 * b, "{a} vs {b}");
        let before = sparse.value().to_vec();
        optimizer.begin_step();
        optimizer.update("E", &mut sparse, 0.5);
        dense_optimizer.begin_step();
        dense_optimizer.update("E", &mut dense, 0.5);
        assert_eq!(sparse.value(), dense.value(), "step {step}");
        assert!(
            sparse
                .grad()
                .iter()
                .chain(&dense.grad()[..])
                .all(|&g| g == 0.0)
        );
        let moved = sparse.value() != before;
        assert_eq!(moved, step != 2 || idle_moves, "step {step}");
    }
}

/// No weight decay, and each kind.
const WEIGHT_DECAYS: [WeightDecay; 3] = [
    WeightDecay::None,
    WeightDecay::L2(0.01),
    WeightDecay::Decoupled(0.1),
];

#[test]
fn adam_skips_untouched_rows_with_the_results_of_a_dense_update() {
    for weight_decay in WEIGHT_DECAYS {
        let mut adam = Adam::new(0.01);
        adam.weight_decay = weight_decay;
        sparse_matches_dense(adam, true);
    }
}

#[test]
fn sgd_skips_untouched_rows_with_the_results_of_a_dense_update() {
    for weight_decay in WEIGHT_DECAYS {
        let mut sgd = Sgd::new(0.1);
        sgd.weight_decay = weight_decay;
        sparse_matches_dense(sgd, weight_decay != WeightDecay::None);
    }
}

/// A linear layer with the gradients of one row, and the layer's values before.
fn stepped_layer() -> (Linear<Const<2>, Const<2>>, Vec<u8>) {
    let layer = Linear::new(Const::<2>, Const::<2>);
    let saved = layer.to_bytes().unwrap();
    (with_gradients(layer), saved)
}

/// `layer` with the gradients of one row added.
fn with_gradients(layer: Linear<Const<2>, Const<2>>) -> Linear<Const<2>, Const<2>> {
    let (_, backprop) = layer.begin_update(Floats2::from_rows(&[[1.0, -2.0]]));
    backprop(Floats2::from_rows(&[[0.5, 1.0]]));
    layer
}

/// `finish_update` of [`stepped_layer`] with `optimizer`: its error, with the layer's values
/// unchanged and its gradients cleared.
fn refusal(optimizer: &mut dyn Optimizer) -> String {
    let (mut layer, saved) = stepped_layer();
    let error = layer.finish_update(optimizer).unwrap_err().to_string();
    assert_eq!(
        layer.to_bytes().unwrap(),
        saved,
        "{error}: the values changed"
    );
    layer.for_each_param(&mut |_, p| assert!(p.grad().iter().all(|&g| g == 0.0)));
    error
}

/// Adam at a learning rate of 0.1 with `change` made to its settings.
fn adam_with(change: impl FnOnce(&mut Adam)) -> Adam {
    let mut adam = Adam::new(0.1);
    change(&mut adam);
    adam
}

#[test]
fn settings_out_of_range_are_refused_naming_them() {
    let cases = [
        (
            Adam::new(f32::NAN),
            "learn_rate must be finite and at least 0, found NaN",
        ),
        (
            Adam::new(f32::INFINITY),
            "learn_rate must be finite and at least 0, found inf",
        ),
        (
            adam_with(|a| a.beta1 = 1.0),
            "beta1 must be in [0, 1), found 1",
        ),
        (
            adam_with(|a| a.beta2 = -0.5),
            "beta2 must be in [0, 1), found -0.5",
        ),
        (
            adam_with(|a| a.eps = 0.0),
            "eps must be finite and above 0, found 0",
        ),
        (
            adam_with(|a| a.weight_decay = WeightDecay::Decoupled(f32::NAN)),
            "weight decay rate must be finite and at least 0, found NaN",
        ),
        (
            adam_with(|a| a.grad_clip = Some(0.0)),
            "grad_clip must be finite and above 0 (None for no clipping), found 0",
        ),
    ];
    for (mut adam, message) in cases {
        assert_eq!(refusal(&mut adam), format!("Adam's {message}"));
    }
    let mut sgd = Sgd::new(0.1);
    sgd.weight_decay = WeightDecay::L2(-1.0);
    let message = "Sgd's weight decay rate must be finite and at least 0, found -1";
    assert_eq!(refusal(&mut sgd), message);
    sgd.weight_decay = WeightDecay::None;
    sgd.grad_clip = Some(f32::NAN);
    assert!(refusal(&mut sgd).starts_with("Sgd's grad_clip must be finite"));
}

/// A learning rate of `f32::MAX` is a finite setting, but the values it makes are infinite
/// (SGD) or ±3.4e38 (Adam), which ruin the model as surely: the update is refused before any
/// is written, and the optimizer's state does not move either.
#[test]
fn updates_that_would_make_values_beyond_the_limit_are_refused_naming_the_parameter() {
    let values = "the values of 0.linear.W after this update";
    let message = |found: &str| format!("{values} must be finite and within ±1e30, found {found}");
    assert_eq!(refusal(&mut Sgd::new(f32::MAX)), message("inf"));
    // With clipping the updates are checked once the scale is known.
    let mut clipped = Sgd::new(f32::MAX);
    clipped.grad_clip = Some(1.0);
    assert!(refusal(&mut clipped).starts_with(values), "clipped");
    let mut adam = Adam::new(f32::MAX);
    assert_eq!(refusal(&mut adam), message("3.40e38"));
    // The refused step left no trace: at a sane rate, Adam steps as a fresh one does.
    adam.learn_rate = 0.01;
    let (mut layer, saved) = stepped_layer();
    let mut twin = Linear::new(Const::<2>, Const::<2>);
    twin.from_bytes(&saved).unwrap();
    let mut twin = with_gradients(twin);
    layer.finish_update(&mut adam).unwrap();
    twin.finish_update(&mut Adam::new(0.01)).unwrap();
    assert_eq!(layer.to_bytes().unwrap(), twin.to_bytes().unwrap());
}

/// Values beyond half the limit, where the bounds cannot tell, are checked by computing the
/// step: an update within the limit goes through, one beyond it is refused.
#[test]
fn beyond_the_bounds_the_step_is_computed_to_decide() {
    for (learn_rate, refused) in [(0.5, false), (1e30, true)] {
        let (mut layer, _) = stepped_layer();
        layer
            .for_each_param_mut(&mut |_, p| p.value_mut().fill(6e29))
            .unwrap();
        let result = layer.finish_update(&mut Sgd::new(learn_rate));
        assert_eq!(result.is_err(), refused, "{learn_rate}: {result:?}");
    }
}

/// [`stepped_layer`] after two steps of `adam`, with the gradients of a third.
fn twice_stepped_layer(adam: &mut Adam) -> Linear<Const<2>, Const<2>> {
    let (mut layer, _) = stepped_layer();
    layer.finish_update(adam).unwrap();
    let mut layer = with_gradients(layer);
    layer.finish_update(adam).unwrap();
    with_gradients(layer)
}

/// Adam's state goes to bytes and back: an Adam that loads it (at another learning rate,
/// which schedules set) saves the same bytes and takes the next step as the Adam that saved
/// it does, to the bit, where a fresh one would not. SGD's state, its settings, loads too.
#[test]
fn an_optimizer_that_loads_a_state_steps_as_the_one_that_saved_it() {
    let mut adam = Adam::new(0.01);
    let mut layer = twice_stepped_layer(&mut adam);
    let state = adam.save_state(&layer).unwrap();
    let mut loaded = Adam::new(0.5);
    loaded.load_state(&state, &layer).unwrap();
    assert_eq!(loaded.save_state(&layer).unwrap(), state);
    loaded.learn_rate = 0.01;
    let twin = |layer: &Linear<Const<2>, Const<2>>| {
        let mut twin = Linear::new(Const::<2>, Const::<2>);
        twin.from_bytes(&layer.to_bytes().unwrap()).unwrap();
        with_gradients(twin)
    };
    let (mut resumed, mut fresh) = (twin(&layer), twin(&layer));
    layer.finish_update(&mut adam).unwrap();
    resumed.finish_update(&mut loaded).unwrap();
    fresh.finish_update(&mut Adam::new(0.01)).unwrap();
    assert_eq!(resumed.to_bytes().unwrap(), layer.to_bytes().unwrap());
    assert_ne!(fresh.to_bytes().unwrap(), layer.to_bytes().unwrap());
    assert_eq!(
        loaded.save_state(&resumed).unwrap(),
        adam.save_state(&layer).unwrap()
    );
    let sgd = Sgd::new(0.1).save_state(&layer).unwrap();
    Sgd::new(0.3).load_state(&sgd, &layer).unwrap();
}

/// A state that does not fit is refused, naming why, and the optimizer keeps its own: a state
/// of another optimizer, of other settings, of another model (a parameter of another shape,
/// or one the model lacks), damaged, cut short, or of a step count Adam cannot count to.
#[test]
fn states_that_do_not_fit_are_refused_naming_why_and_change_nothing() {
    let mut adam = Adam::new(0.01);
    let layer = twice_stepped_layer(&mut adam);
    let own = adam.save_state(&layer).unwrap();
    let mut refused = |state: &[u8], model: &dyn Params| {
        let error = adam.load_state(state, model).unwrap_err().to_string();
        assert_eq!(
            adam.save_state(&layer).unwrap(),
            own,
            "{error}: the state changed"
        );
        error
    };
    let sgd = Sgd::new(0.1).save_state(&layer).unwrap();
    assert_eq!(
        refused(&sgd, &layer),
        "checkpoint: the state is Sgd's, and this optimizer is Adam"
    );
    let other = adam_with(|a| a.beta1 = 0.8).save_state(&layer).unwrap();
    assert_eq!(
        refused(&other, &layer),
        "checkpoint: the state has beta1 = 0.8, this optimizer has beta1 = 0.9"
    );
    let wider = Linear::new(Const::<3>, Const::<2>);
    assert_eq!(
        refused(&own, &wider),
        "checkpoint: the state's means: parameter 0.linear.W has shape [2, 2] in the file, \
         the model expects [2, 3]"
    );
    let relu = crate::layers::Relu::new(Const::<2>, Const::<2>);
    assert_eq!(
        refused(&own, &relu),
        "checkpoint: the state's means: the file has parameter 0.linear.W, which the model \
         does not have"
    );
    let mut damaged = own.clone();
    *damaged.last_mut().unwrap() ^= 1;
    let message = refused(&damaged, &layer);
    let expected = "checkpoint: the optimizer state is damaged: its checksum does not match its \
                    contents (0x";
    assert!(message.starts_with(expected), "{message}");
    assert_eq!(
        refused(&own[..30], &layer),
        "checkpoint: not a weft optimizer state: truncated: the bytes end at 30, inside the \
         optimizer state"
    );
    let mut counted_back = super::state::SavedState::new("Adam", Adam::new(0.01).settings());
    counted_back.step = -1;
    assert_eq!(
        refused(&counted_back.seal(), &layer),
        "checkpoint: the state's step count, -1, is not one Adam counts to (0 to 2147483647)"
    );
}
