//! The tests of [`BiLstm`](super::BiLstm): gradients, shapes, parallel prediction, and the
//! outputs and gradients of PyTorch's LSTM.

use super::*;
use crate::data::Const;
use crate::kernels::rng::Rng;
use crate::training::testing::grad_of;
use crate::training::testing::{assert_close, random_ragged};
use crate::training::{GradcheckOptions, gradcheck};

#[test]
fn bilstm_gradients_match_finite_differences() {
    let mut bilstm = BiLstm::<_, _, Const<6>>::new(Const::<3>, Const::<3>, 1);
    let x = random_ragged::<3>(&[3, 0, 1, 2], 5);
    gradcheck(&mut bilstm, &x, &GradcheckOptions::default()).unwrap();
}

#[test]
fn deep_bilstm_gradients_match_finite_differences() {
    let mut bilstm = BiLstm::<_, _, Const<6>>::new(Const::<3>, Const::<3>, 2);
    let x = random_ragged::<3>(&[3, 0, 1, 2], 6);
    gradcheck(&mut bilstm, &x, &GradcheckOptions::default()).unwrap();
}

#[test]
fn bilstm_names_and_shapes_its_parameters() {
    let bilstm = BiLstm::<_, _, usize>::new(Const::<3>, Const::<2>, 2);
    assert_eq!(bilstm.n_out(), 4);
    let mut params = Vec::new();
    bilstm.for_each_param(&mut |path, p| params.push((path.to_owned(), p.shape().to_vec())));
    let expected = [
        ("0.bilstm.0.fwd.W_ih", vec![8, 3]),
        ("0.bilstm.0.fwd.W_hh", vec![8, 2]),
        ("0.bilstm.0.fwd.b_ih", vec![8]),
        ("0.bilstm.0.fwd.b_hh", vec![8]),
        ("0.bilstm.0.bwd.W_ih", vec![8, 3]),
        ("0.bilstm.0.bwd.W_hh", vec![8, 2]),
        ("0.bilstm.0.bwd.b_ih", vec![8]),
        ("0.bilstm.0.bwd.b_hh", vec![8]),
        ("0.bilstm.1.fwd.W_ih", vec![8, 4]),
        ("0.bilstm.1.fwd.W_hh", vec![8, 2]),
        ("0.bilstm.1.fwd.b_ih", vec![8]),
        ("0.bilstm.1.fwd.b_hh", vec![8]),
        ("0.bilstm.1.bwd.W_ih", vec![8, 4]),
        ("0.bilstm.1.bwd.W_hh", vec![8, 2]),
        ("0.bilstm.1.bwd.b_ih", vec![8]),
        ("0.bilstm.1.bwd.b_hh", vec![8]),
    ];
    let expected: Vec<_> = expected.map(|(p, s)| (p.to_owned(), s)).into();
    assert_eq!(params, expected);
}

#[test]
fn bilstm_handles_empty_batches_and_sequences() {
    let bilstm = BiLstm::<_, _, Const<4>>::new(Const::<3>, Const::<2>, 2);
    for lengths in [&[][..], &[0], &[0, 0, 0]] {
        let x = random_ragged::<3>(lengths, 0);
        let y = bilstm.predict(x.clone());
        assert_eq!(y.lengths(), lengths);
        assert_eq!(y.data().view().shape(), &[0, 4]);
        let (y, backprop) = bilstm.begin_update(x);
        let d_x = backprop(y);
        assert_eq!(d_x.lengths(), lengths);
        assert_eq!(d_x.data().view().shape(), &[0, 3]);
    }
}

/// On one thread and on a pool of four, where prediction cuts the batch into parts, with
/// empty sequences among them.
#[test]
fn bilstm_predict_matches_begin_update() {
    let bilstm = BiLstm::<_, _, Const<4>>::new(Const::<3>, Const::<2>, 2);
    let many: Vec<usize> = (0..40).map(|i| (i * 7) % 9).collect();
    for (lengths, threads) in [(&[2, 5, 0, 1][..], 1), (&many, 1), (&many, 4)] {
        let x = random_ragged::<3>(lengths, 7);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
        let predicted = pool.expect("a pool").install(|| bilstm.predict(x.clone()));
        let trained = bilstm.begin_update(x).0;
        assert_eq!(predicted.lengths(), trained.lengths());
        assert_close(predicted.data().view(), trained.data().view(), 1e-6);
    }
}

#[test]
fn parts_cut_a_batch_into_consecutive_sequences_of_even_tokens() {
    let lengths = [3, 0, 4, 1, 2, 6, 0, 0];
    assert_eq!(
        parts(&lengths, 4),
        [(0..3, 0..7), (3..4, 7..8), (4..8, 8..16)]
    );
    assert_eq!(
        parts(&[2; 8], 4),
        [(0..2, 0..4), (2..4, 4..8), (4..6, 8..12), (6..8, 12..16)]
    );
    assert_eq!(parts(&lengths, 1), [(0..8, 0..16)]);
    assert_eq!(parts(&[0, 0], 4), [(0..2, 0..0)]);
    assert_eq!(parts(&[], 4), [(0..0, 0..0)]);
}

/// A sequence's outputs and input gradients are the same in a batch of three as alone.
#[test]
fn bilstm_sequences_do_not_see_each_other() {
    let bilstm = BiLstm::<_, _, Const<6>>::new(Const::<3>, Const::<3>, 2);
    let lengths = [2, 4, 1];
    let x = random_ragged::<3>(&lengths, 8);
    let mut rng = Rng::new(9);
    let mut d_y = Array2::zeros((7, 6));
    d_y.mapv_inplace(|_: f32| rng.uniform(-1.0, 1.0));
    let (y, backprop) = bilstm.begin_update(x.clone());
    let d_x = backprop(Ragged::new(Floats2::new(d_y.clone()).unwrap(), lengths.to_vec()).unwrap());
    let ranges: Vec<_> = x.ranges().collect();
    for range in ranges {
        let alone = Floats2::new(x.data().view().slice(s![range.clone(), ..]).to_owned()).unwrap();
        let alone = Ragged::new(alone, vec![range.len()]).unwrap();
        let (y_alone, backprop) = bilstm.begin_update(alone);
        let d_alone = d_y.slice(s![range.clone(), ..]).to_owned();
        let d_alone = Ragged::new(Floats2::new(d_alone).unwrap(), vec![range.len()]).unwrap();
        let d_x_alone = backprop(d_alone);
        assert_close(
            y_alone.data().view(),
            y.data().view().slice(s![range.clone(), ..]),
            1e-6,
        );
        assert_close(
            d_x_alone.data().view(),
            d_x.data().view().slice(s![range, ..]),
            1e-6,
        );
    }
}

/// Sets a direction's weights as the PyTorch script below does: `b_ih` to `b`, `b_hh` to zero.
fn set(weights: &mut LstmWeights, w_ih: &[f32], w_hh: &[f32], b: &[f32]) {
    let [p_ih, p_hh, p_b_ih, p_b_hh] = weights.params_mut();
    p_ih.value_mut().copy_from_slice(w_ih);
    p_hh.value_mut().copy_from_slice(w_hh);
    p_b_ih.value_mut().copy_from_slice(b);
    p_b_hh.value_mut().fill(0.0);
}

fn array(rows: usize, values: &[f32]) -> Array2<f32> {
    Array2::from_shape_vec((rows, values.len() / rows), values.to_vec()).unwrap()
}

/// Outputs and gradients of a one-layer `BiLstm` (I = 3, H = 2, lengths [2, 3]) against
/// `torch.nn.LSTM(3, 2, bidirectional=True)` in float64, computed by this script (torch 2.15):
///
/// ```text
/// import torch
/// torch.set_default_dtype(torch.float64)
/// T = torch.tensor
/// w_ih_f = T([-0.99, -0.79, -0.43, -0.95, -0.06, -0.88, 0.54, 0.49, 0.19, 0.78, -0.1, 0.6, -0.7, -0.2, -0.89, -0.08, -0.65, 0.9, 0.69, 0.75, 0.3, -0.57, 0.9, -0.98]).reshape(8, 3)
/// w_hh_f = T([-0.64, -0.62, -0.41, 0.2, -0.76, -0.77, -0.48, 0.61, -0.72, -0.9, -0.87, -0.49, -0.26, -0.99, -0.47, 0.02]).reshape(8, 2)
/// b_f = T([0.16, -0.14, -0.11, -0.65, 0.51, -0.24, -0.68, -0.24])
/// w_ih_b = T([-0.14, 0.92, 0.52, -0.4, -0.14, 0.88, 0.64, 0.25, -0.36, 0.83, 0.43, -0.45, 0.71, 0.07, -0.74, -0.44, -0.75, -0.83, 0.02, -0.72, 0.53, 0.45, 0.22, 0.82]).reshape(8, 3)
/// w_hh_b = T([-0.45, 0.01, 0.61, 0.35, 0.12, 0.84, 0.23, 0.67, -0.86, -0.86, -0.9, 0.06, 0.85, -0.87, 0.4, -0.88]).reshape(8, 2)
/// b_b = T([-0.66, -0.34, -0.41, 0.3, -0.84, 0.99, 0.15, 0.35])
/// x = T([-0.68, 0.55, -0.23, -0.5, 0.17, 0.42, 0.11, -0.35, 0.19, -0.39, -0.34, -0.37, 0.6, -0.7, 0.43]).reshape(5, 3).requires_grad_()
/// r = T([0.52, -0.66, -0.76, -0.67, -0.85, 0.84, 0.88, -0.14, 0.94, 0.28, -0.98, -0.91, -0.48, -1.0, -0.46, 0.27, -0.02, -0.19, 0.06, 0.91]).reshape(5, 4)
/// lstm = torch.nn.LSTM(3, 2, bidirectional=True)
/// with torch.no_grad():
///     for sfx, (w_ih, w_hh, b) in {"": (w_ih_f, w_hh_f, b_f), "_reverse": (w_ih_b, w_hh_b, b_b)}.items():
///         getattr(lstm, "weight_ih_l0" + sfx).copy_(w_ih)
///         getattr(lstm, "weight_hh_l0" + sfx).copy_(w_hh)
///         getattr(lstm, "bias_ih_l0" + sfx).copy_(b)
///         getattr(lstm, "bias_hh_l0" + sfx).zero_()
/// # Two sequences, lengths [2, 3]: rows 0..2 and 2..5, each run alone (batch of 1).
/// out = torch.cat([lstm(x[a:b].unsqueeze(1))[0].squeeze(1) for a, b in [(0, 2), (2, 5)]])
/// (out * r).sum().backward()
/// fmt = lambda t: "[" + ", ".join(f"{v:.7f}".rstrip("0") for v in t.detach().flatten().tolist()) + "]"
/// print("y", fmt(out))
/// print("d_x", fmt(x.grad))
/// for sfx in ["", "_reverse"]:
///     for name in ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0"]:
///         print(name + sfx, fmt(getattr(lstm, name + sfx).grad))
/// ```
/// The one-layer `BiLstm` (I = 3, H = 2) of the PyTorch script below, with its input (lengths
/// [2, 3]) and the gradient `r` of its output.
fn pytorch_example() -> (
    BiLstm<Const<3>, Const<2>, Const<4>>,
    Ragged<Floats2<Const<3>>>,
    Ragged<Floats2<Const<4>>>,
) {
    let mut bilstm = BiLstm::<_, _, Const<4>>::new(Const::<3>, Const::<2>, 1);
    set(
        bilstm.weights_mut(0, 0),
        &[
            -0.99, -0.79, -0.43, -0.95, -0.06, -0.88, 0.54, 0.49, 0.19, 0.78, -0.1, 0.6, -0.7,
            -0.2, -0.89, -0.08, -0.65, 0.9, 0.69, 0.75, 0.3, -0.57, 0.9, -0.98,
        ],
        &[
            -0.64, -0.62, -0.41, 0.2, -0.76, -0.77, -0.48, 0.61, -0.72, -0.9, -0.87, -0.49, -0.26,
            -0.99, -0.47, 0.02,
        ],
        &[0.16, -0.14, -0.11, -0.65, 0.51, -0.24, -0.68, -0.24],
    );
    set(
        bilstm.weights_mut(0, 1),
        &[
            -0.14, 0.92, 0.52, -0.4, -0.14, 0.88, 0.64, 0.25, -0.36, 0.83, 0.43, -0.45, 0.71, 0.07,
            -0.74, -0.44, -0.75, -0.83, 0.02, -0.72, 0.53, 0.45, 0.22, 0.82,
        ],
        &[
            -0.45, 0.01, 0.61, 0.35, 0.12, 0.84, 0.23, 0.67, -0.86, -0.86, -0.9, 0.06, 0.85, -0.87,
            0.4, -0.88,
        ],
        &[-0.66, -0.34, -0.41, 0.3, -0.84, 0.99, 0.15, 0.35],
    );
    let x = array(
        5,
        &[
            -0.68, 0.55, -0.23, -0.5, 0.17, 0.42, 0.11, -0.35, 0.19, -0.39, -0.34, -0.37, 0.6,
            -0.7, 0.43,
        ],
    );
    let r = array(
        5,
        &[
            0.52, -0.66, -0.76, -0.67, -0.85, 0.84, 0.88, -0.14, 0.94, 0.28, -0.98, -0.91, -0.48,
            -1.0, -0.46, 0.27, -0.02, -0.19, 0.06, 0.91,
        ],
    );
    let x = Ragged::new(Floats2::new(x).unwrap(), vec![2, 3]).unwrap();
    let r = Ragged::new(Floats2::new(r).unwrap(), vec![2, 3]).unwrap();
    (bilstm, x, r)
}

/// The outputs and gradients of [`pytorch_example`] are PyTorch's (`print` lines of the script
/// above); both biases get `bias_ih`'s gradient, as PyTorch's `bias_hh` does.
#[test]
fn bilstm_matches_pytorch() {
    let (bilstm, x, r) = pytorch_example();
    let (y, backprop) = bilstm.begin_update(x);
    let d_x = backprop(r);
    let close = |found: &[f32], expected: &[f32]| {
        assert_close(array(1, found).view(), array(1, expected).view(), 1e-5);
    };

    // print("y", fmt(out))
    close(
        y.data().view().as_slice().unwrap(),
        &[
            0.1411092, -0.2801391, -0.1588684, 0.2070299, 0.18786, -0.0308288, -0.2143886,
            0.2070281, 0.0550555, 0.0185182, -0.1795349, 0.3361833, 0.116935, -0.1066189,
            -0.1179988, 0.1951961, 0.0859939, 0.0009434, -0.1094226, 0.2261618,
        ],
    );
    // print("d_x", fmt(x.grad))
    close(
        d_x.data().view().as_slice().unwrap(),
        &[
            -0.0559685, 0.1047575, -0.1348623, 0.047257, -0.1243998, 0.1125738, -0.1977803,
            -0.0053987, -0.1292392, -0.0682275, 0.2448059, -0.2353875, -0.0648831, -0.0740516,
            0.0442821,
        ],
    );
    // print("weight_ih_l0", fmt(lstm.weight_ih_l0.grad))
    close(
        &grad_of(&bilstm, "0.bilstm.0.fwd.W_ih"),
        &[
            0.0199276, -0.0083707, -0.004311, -0.0421934, 0.0057317, -0.0201647, 0.0148396,
            -0.0031614, -0.0114865, 0.0175853, -0.0042312, -0.0095418, 0.0697173, -0.0636142,
            -0.0071452, 0.0808942, 0.0723641, 0.1894186, 0.0361215, 0.0116257, -0.0300336,
            -0.0421479, 0.0015279, -0.0345551,
        ],
    );
    // print("weight_hh_l0", fmt(lstm.weight_hh_l0.grad))
    close(
        &grad_of(&bilstm, "0.bilstm.0.fwd.W_hh"),
        &[
            -0.0048503, 0.0082043, 0.0029914, -0.0010079, -0.0043408, 0.0081174, -0.0042123,
            0.0078762, -0.0154587, 0.0280993, 0.0074907, -0.0503696, -0.0167266, 0.027475,
            0.0007884, 0.0051306,
        ],
    );
    // print("bias_ih_l0", fmt(lstm.bias_ih_l0.grad))
    for b in ["0.bilstm.0.fwd.b_ih", "0.bilstm.0.fwd.b_hh"] {
        close(
            &grad_of(&bilstm, b),
            &[
                -0.011769, 0.0780322, -0.0326863, -0.0328525, 0.0474299, -0.1874694, -0.0486473,
                0.0874309,
            ],
        );
    }
    // print("weight_ih_l0_reverse", fmt(lstm.weight_ih_l0_reverse.grad))
    close(
        &grad_of(&bilstm, "0.bilstm.0.bwd.W_ih"),
        &[
            0.0083958, -0.0471928, -0.0449038, 0.0995373, -0.0624394, 0.0311067, -0.0144257,
            -0.005843, -0.0037637, 0.0106923, 0.0078323, -0.001488, 0.0102242, 0.0329967, 0.019708,
            0.1146022, -0.0880914, 0.021203, -0.0161094, -0.0037431, -0.0518455, 0.0653989,
            -0.0557633, 0.0001334,
        ],
    );
    // print("weight_hh_l0_reverse", fmt(lstm.weight_hh_l0_reverse.grad))
    close(
        &grad_of(&bilstm, "0.bilstm.0.bwd.W_hh"),
        &[
            -0.0234018, 0.0357842, 0.0197726, -0.0269521, -0.0089592, 0.012875, 0.010111,
            -0.0142835, 0.0190793, -0.0289355, 0.0112165, -0.0152099, -0.0296434, 0.0381643,
            0.0282756, -0.0332105,
        ],
    );
    // print("bias_ih_l0_reverse", fmt(lstm.bias_ih_l0_reverse.grad))
    for b in ["0.bilstm.0.bwd.b_ih", "0.bilstm.0.bwd.b_hh"] {
        close(
            &grad_of(&bilstm, b),
            &[
                0.0997447, -0.071617, 0.0625576, -0.0708776, -0.1206004, -0.0219395, 0.0962052,
                -0.1201869,
            ],
        );
    }
}

/// Three Adam steps (learning rate 0.1) on `Σ y ⊙ r` from [`pytorch_example`] give PyTorch's
/// output: each of the two biases takes its own step, so their sum moves twice as far as a
/// single bias would. PyTorch's output, after the script above:
///
/// ```text
/// run = lambda: torch.cat([lstm(x[a:b].unsqueeze(1))[0].squeeze(1) for a, b in [(0, 2), (2, 5)]])
/// opt = torch.optim.Adam(lstm.parameters(), lr=0.1)
/// for _ in range(3):
///     opt.zero_grad()
///     (run() * r).sum().backward()
///     opt.step()
/// print("y", fmt(run()))
/// ```
#[test]
fn bilstm_trains_as_pytorch_under_adam() {
    let (mut bilstm, x, r) = pytorch_example();
    let mut adam = crate::training::Adam::new(0.1);
    for _ in 0..3 {
        let (_, backprop) = bilstm.begin_update(x.clone());
        backprop(r.clone());
        bilstm.finish_update(&mut adam).unwrap();
    }
    let y = bilstm.predict(x);
    let expected = [
        0.2130182, -0.0120869, -0.0407909, 0.5388494, 0.2133896, 0.0303008, -0.1246774, 0.3844576,
        -0.1002776, 0.051725, -0.0313371, 0.5339106, 0.0871192, 0.1477536, -0.0031646, 0.3772191,
        -0.1417365, 0.0616966, -0.0209572, 0.1837275,
    ];
    assert_close(y.data().view(), array(5, &expected).view(), 1e-5);
}
