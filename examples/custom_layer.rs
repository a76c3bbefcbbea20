//! A layer of your own: a highway layer, `#[derive(Params)]` for its parameters, `Model` for its
//! math. It is checked against finite differences, used inside `model!`, trained for a few
//! steps, saved, loaded into a freshly built network, and checked to predict the same.
//!
//!     cargo run --example custom_layer

use std::error::Error;

use weft::losses::CategoricalCrossentropy;
use weft::{
    Accumulate, Adam, Const, Dim, Floats2, GradcheckOptions, Model, Params, Ragged, Rng, Values,
    gradcheck, layers::Linear, layers::Relu, model,
};

/// A highway layer (Srivastava et al., 2015): `y = g ⊙ h + (1 - g) ⊙ x`, with the transform
/// `h = relu(x · Tᵀ + t)` and the gate `g = σ(x · Gᵀ + c)`, which decides per value how much
/// of the input is carried through unchanged.
///
/// The derive walks the two sub-layers: their parameters are named
/// `<position>.highway.gate.0.linear.W` and so on, for the optimizer and for saving.
#[derive(Params)]
struct Highway<W: Dim> {
    gate: Linear<W, W>,
    transform: Relu<W, W>,
}

impl<W: Dim> Highway<W> {
    fn new(width: W) -> Self {
        Highway {
            gate: Linear::new(width, width),
            transform: Relu::new(width, width),
        }
    }
}

/// `g ⊙ h + (1 - g) ⊙ x`, with `g = σ(a)`; `a` becomes `g` in place.
fn mix<W: Dim>(a: &mut Floats2<W>, h: &Floats2<W>, x: &Floats2<W>) -> Floats2<W> {
    let mut y = x.clone();
    let values = a.values_mut().iter_mut().zip(h.values());
    for ((g, &h), y) in values.zip(y.values_mut()) {
        *g = 1.0 / (1.0 + (-*g).exp());
        *y = *g * h + (1.0 - *g) * *y;
    }
    y
}

impl<W: Dim> Model for Highway<W> {
    type In = Floats2<W>;
    type Out = Floats2<W>;

    fn begin_update<'a>(
        &'a self,
        x: Floats2<W>,
    ) -> (
        Floats2<W>,
        impl FnOnce(Floats2<W>) -> Floats2<W> + Send + 'a,
    ) {
        let (mut g, backprop_gate) = self.gate.begin_update(x.clone());
        let (h, backprop_transform) = self.transform.begin_update(x.clone());
        let y = mix(&mut g, &h, &x);
        let backprop = move |d_y: Floats2<W>| {
            // dh = dy ⊙ g, da = dy ⊙ (h - x) ⊙ g(1 - g), dx = dy ⊙ (1 - g) + the branches' dx.
            let (mut d_h, mut d_a, mut d_x) = (d_y.clone(), d_y.clone(), d_y);
            let gates = g.values().iter().zip(h.values()).zip(x.values());
            let grads = d_h.values_mut().iter_mut().zip(d_a.values_mut());
            for (((&g, &h), &x), ((d_h, d_a), d_x)) in gates.zip(grads.zip(d_x.values_mut())) {
                *d_h *= g;
                *d_a *= (h - x) * g * (1.0 - g);
                *d_x *= 1.0 - g;
            }
            d_x.accumulate(&backprop_gate(d_a));
            d_x.accumulate(&backprop_transform(d_h));
            d_x
        };
        (y, backprop)
    }

    fn predict(&self, x: Floats2<W>) -> Floats2<W> {
        let mut g = self.gate.predict(x.clone());
        mix(&mut g, &self.transform.predict(x.clone()), &x)
    }
}

/// Sequences of ids 2..10, labelled 1 when they contain id 1 somewhere.
fn toy_batch(rng: &mut Rng, n: usize) -> (Ragged<weft::Ids>, Vec<usize>) {
    let mut sequences = Vec::new();
    let mut labels = Vec::new();
    for _ in 0..n {
        let len = 1 + rng.below(6);
        let mut sequence: Vec<u32> = (0..len).map(|_| 2 + rng.below(8) as u32).collect();
        let label = rng.below(2);
        if label == 1 {
            sequence[rng.below(len)] = 1;
        }
        sequences.push(sequence);
        labels.push(label);
    }
    (Ragged::from_sequences(&sequences), labels)
}

fn main() -> Result<(), Box<dyn Error>> {
    // First, the gradients of the new layer against finite differences.
    let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
    let report = gradcheck(
        &mut Highway::new(Const::<3>),
        &x,
        &GradcheckOptions::default(),
    )?;
    println!("highway gradients: {report}");

    // The layer is one more value in the network expression.
    let build = || {
        model!(
            embed(rows = 10, width = 16)
                >> bilstm(hidden = 8)
                >> attention
                >> Highway::new(Const::<16>)
                >> softmax(classes = 2)
        )
    };
    let mut model = build();
    let mut adam = Adam::new(0.01);
    let mut rng = Rng::new(1);
    for step in 0..=100 {
        let (x, y) = toy_batch(&mut rng, 16);
        let (probs, backprop) = model.begin_update(x);
        let (d_probs, loss) = CategoricalCrossentropy.get_grad(&probs, &y)?;
        backprop(d_probs);
        model.finish_update(&mut adam)?;
        if step % 25 == 0 {
            println!("step {step:3}: loss {loss:.4}");
        }
    }

    // Saved, then loaded into a network built afresh: the same predictions, bit for bit.
    let path = std::env::temp_dir().join(format!("weft-custom-layer-{}.weft", std::process::id()));
    model.to_disk(&path)?;
    let mut loaded = build();
    loaded.from_disk(&path)?;
    println!(
        "saved {} parameters in {} bytes to {}",
        model.param_count(),
        std::fs::metadata(&path)?.len(),
        path.display()
    );
    std::fs::remove_file(&path)?;
    let (x, y) = toy_batch(&mut rng, 200);
    let before = model.predict(x.clone());
    let after = loaded.predict(x);
    assert_eq!(before, after, "the loaded model predicts otherwise");
    let correct = after
        .argmax()?
        .iter()
        .zip(&y)
        .filter(|(p, t)| p == t)
        .count();
    println!("loaded model: {correct}/200 correct on new data, as the trained one");
    Ok(())
}
