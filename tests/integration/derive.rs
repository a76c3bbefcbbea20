//! `#[derive(Params)]`: a user's layer walks, trains, checks its gradients, saves and loads like
//! a built-in one. Compile errors of the derive are pinned in `tests/ui/derive_*.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};

use weft::combinators::chain;
use weft::layers::{Linear, Softmax};
use weft::{
    Const, Dim, Floats2, GradcheckOptions, LoadError, Model, Param, Params, Sgd, Values, gradcheck,
};

/// `y = inner(x) ⊙ gate / temperature`: a linear map with a learned scale per column.
#[derive(Params)]
struct Gated<W: Dim> {
    inner: Linear<W, W>,
    gate: Param,
    #[weft(attr)]
    temperature: f32,
    #[weft(skip)]
    calls: AtomicUsize,
}

impl<W: Dim> Gated<W> {
    fn new(width: W, temperature: f32) -> Self {
        Gated {
            inner: Linear::new(width, width),
            gate: Param::new(&[width.size()], vec![0.5; width.size()]),
            temperature,
            calls: AtomicUsize::new(0),
        }
    }

    /// `h ⊙ gate / temperature`, row by row.
    fn scale(&self, h: &Floats2<W>) -> Floats2<W> {
        let gate = self.gate.value();
        let mut y = h.clone();
        for (i, v) in y.values_mut().iter_mut().enumerate() {
            *v *= gate[i % gate.len()] / self.temperature;
        }
        y
    }
}

impl<W: Dim> Model for Gated<W> {
    type In = Floats2<W>;
    type Out = Floats2<W>;

    fn begin_update<'a>(
        &'a self,
        x: Floats2<W>,
    ) -> (
        Floats2<W>,
        impl FnOnce(Floats2<W>) -> Floats2<W> + Send + 'a,
    ) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let (h, backprop_inner) = self.inner.begin_update(x);
        let y = self.scale(&h);
        let backprop = move |d_y: Floats2<W>| {
            {
                let mut d_gate = self.gate.grad();
                let width = d_gate.len();
                for (i, (d, h)) in d_y.values().iter().zip(h.values()).enumerate() {
                    d_gate[i % width] += d * h / self.temperature;
                }
            }
            backprop_inner(self.scale(&d_y))
        };
        (y, backprop)
    }

    fn predict(&self, x: Floats2<W>) -> Floats2<W> {
        self.scale(&self.inner.predict(x))
    }
}

/// A layer without parameters: `y = x²`.
#[derive(Params)]
struct Square;

impl Model for Square {
    type In = Floats2<Const<3>>;
    type Out = Floats2<Const<3>>;

    fn begin_update<'a>(
        &'a self,
        x: Self::In,
    ) -> (Self::Out, impl FnOnce(Self::Out) -> Self::In + Send + 'a) {
        let y = self.predict(x.clone());
        let backprop = move |mut d_y: Self::Out| {
            for (d, x) in d_y.values_mut().iter_mut().zip(x.values()) {
                *d *= 2.0 * x;
            }
            d_y
        };
        (y, backprop)
    }

    fn predict(&self, mut x: Self::In) -> Self::Out {
        x.values_mut().iter_mut().for_each(|v| *v *= *v);
        x
    }
}

fn x() -> Floats2<Const<3>> {
    Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
}

#[test]
fn a_derived_layer_names_its_fields_and_records_its_attributes() {
    let model = chain(Square, chain(Gated::new(Const::<3>, 2.0), Square));
    assert_eq!(
        model.param_names(),
        [
            "1.gated.inner.0.linear.W",
            "1.gated.inner.0.linear.b",
            "1.gated.gate"
        ]
    );
    assert_eq!(
        model.signature().to_string(),
        "0.square\n1.gated temperature=2\n1.gated.inner.0.linear n_in=3 n_out=3\n2.square\n"
    );
}

#[test]
fn a_derived_layer_has_correct_gradients() {
    let mut model = chain(Gated::new(Const::<3>, 2.0), Square);
    gradcheck(&mut model, &x(), &GradcheckOptions::default()).unwrap();
    let mut run_time_width = Gated::new(3usize, 0.5);
    let x = Floats2::<usize>::new(x().into_array()).unwrap();
    gradcheck(&mut run_time_width, &x, &GradcheckOptions::default()).unwrap();
}

#[test]
fn the_optimizer_updates_and_clears_a_derived_layer() {
    let mut model = Gated::new(Const::<3>, 1.0);
    let (y, backprop) = model.begin_update(x());
    backprop(y);
    assert_ne!(model.gate.grad().iter().sum::<f32>(), 0.0);
    model.finish_update(&mut Sgd::new(0.1)).unwrap();
    assert_ne!(model.gate.value(), [0.5; 3]);
    assert!(model.gate.grad().iter().all(|&g| g == 0.0));
    assert_eq!(model.calls.load(Ordering::Relaxed), 1);
}

#[test]
fn a_derived_layer_round_trips_and_checks_its_attributes() {
    let make = |temperature| {
        chain(
            Gated::new(Const::<3>, temperature),
            Softmax::new(Const::<3>, 2usize),
        )
    };
    let mut trained = make(2.0);
    let (y, backprop) = trained.begin_update(x());
    backprop(y);
    trained.finish_update(&mut Sgd::new(0.5)).unwrap();
    let bytes = trained.to_bytes().unwrap();

    let mut loaded = make(2.0);
    loaded.from_bytes(&bytes).unwrap();
    let bits = |y: Floats2<usize>| y.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(loaded.predict(x())), bits(trained.predict(x())));
    assert_eq!(loaded.to_bytes().unwrap(), bytes);

    let error = make(3.0).from_bytes(&bytes).unwrap_err();
    assert!(matches!(
        error,
        weft::Error::Load {
            error: LoadError::Architecture { .. },
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "cannot load the model: the architecture differs at layer 0.gated: \
         temperature = 2 in the file, temperature = 3 in the model"
    );
}
