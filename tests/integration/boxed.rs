//! Models assembled at run time, and models shared between threads.

use weft::combinators::chain;
use weft::layers::{LayerNorm, Mish};
use weft::{Boxed, Const, Floats2, GradcheckOptions, Model, Params, gradcheck};

type Rows = Floats2<Const<4>>;

/// A stack whose depth is only known at run time.
fn stack(depth: usize) -> Boxed<Rows, Rows> {
    (0..depth)
        .map(|_| {
            chain(
                Mish::new(Const::<4>, Const::<4>),
                LayerNorm::new(Const::<4>),
            )
            .boxed()
        })
        .reduce(|a, b| chain(a, b).boxed())
        .expect("depth >= 1")
}

#[test]
fn boxed_stack_has_correct_gradients_and_names() {
    let mut model = stack(3);
    let x = Floats2::from_rows(&[[0.5, -1.0, 2.0, 0.1], [1.5, 0.3, -0.7, 2.2]]);
    gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    let names = model.param_names();
    assert_eq!(names.len(), 12);
    assert_eq!(names[10], "5.layer_norm.G");
}

#[test]
fn models_and_backprops_cross_threads() {
    fn assert_send<T: Send>(_: &T) {}
    let model = stack(2);
    let x = Floats2::from_rows(&[[0.5, -1.0, 2.0, 0.1]]);
    let (y, backprop) = model.begin_update(x.clone());
    assert_send(&backprop);
    std::thread::scope(|s| {
        let a = s.spawn(|| model.predict(x.clone()));
        let b = s.spawn(|| model.predict(x.clone()));
        assert_eq!(a.join().unwrap(), b.join().unwrap());
        s.spawn(move || backprop(y)).join().unwrap();
    });
}
