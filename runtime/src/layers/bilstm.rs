//! [`BiLstm`]: a bidirectional LSTM over ragged sequences, `depth` layers stacked.
//!
//! Shapes: `Ragged<Floats2<I>>` → `Ragged<Floats2<O>>` with `O = 2H`, the same lengths. Row `r`
//! of the output is `[h_fwd | h_bwd]`: the forward direction's hidden state after reading its
//! sequence up to and including token `r`, then the backward direction's after reading from the
//! sequence's end back to token `r`. Layer `k + 1` reads the `2H`-wide output of layer `k`.
//!
//! Parameters per layer `k` and direction `d` in `fwd`, `bwd` (paths such as
//! `<n>.bilstm.<k>.fwd.W_ih`): `W_ih` `(4H, I)` for `k = 0`, `(4H, 2H)` above; `W_hh` `(4H, H)`;
//! `b` `(4H)`. The math is PyTorch's (`torch.nn.LSTM(bidirectional=True)` with
//! `b = b_ih + b_hh`), gates `i, f, g, o`, every sequence starting from `h = c = 0` in both
//! directions; see the `recurrence` module for the details and the packed layout. Each
//! direction packs the tokens in its own time-major order (the backward one reads every
//! sequence from its end), so every layer gathers its input from token order and scatters its
//! two halves back into token order.

use std::marker::PhantomData;
use std::ops::Range;

use ndarray::{Array2, ArrayView2, Axis, s};
use rayon::prelude::*;

use crate::data::batch::cuts;
use crate::data::dim::sum_fits;
use crate::data::{Dim, Floats2, Ragged};
use crate::kernels::threads::threads;
use crate::kernels::unwritten::Unwritten;
use crate::layers::recurrence::{self, Cache, Direction, LstmWeights, Packing, gather, scatter};
use crate::model::{Model, Params, Visit, VisitMut};

/// A bidirectional LSTM from width `I` to `O = 2H` (`H` hidden units each way), `depth` layers.
///
/// Every weight and bias starts uniform in `±1/sqrt(H)` (PyTorch's initialization; the single
/// bias `b` of a direction stands for PyTorch's two).
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Params, Ragged, layers::BiLstm};
/// let bilstm = BiLstm::<_, _, Const<8>>::new(Const::<3>, Const::<4>, 2);
/// let x = Ragged::new(Floats2::zeros(5, Const::<3>), vec![3, 0, 2]).unwrap();
/// let y = bilstm.predict(x);
/// assert_eq!(y.lengths(), &[3, 0, 2]);
/// assert_eq!(y.data.view().shape(), &[5, 8]);
/// assert_eq!(bilstm.param_names()[3], "0.bilstm.0.bwd.W_ih");
/// assert_eq!(bilstm.param_names().len(), 12);
/// ```
///
/// An output width other than twice the hidden width does not build:
///
/// ```compile_fail,E0080
/// use weft_runtime::{Const, layers::BiLstm};
/// let bilstm = BiLstm::<_, _, Const<5>>::new(Const::<3>, Const::<2>, 1);
/// ```
pub struct BiLstm<I: Dim, H: Dim, O: Dim> {
    n_in: I,
    hidden: H,
    /// Per layer, the forward then the backward direction.
    layers: Vec<[LstmWeights; 2]>,
    n_out: PhantomData<fn() -> O>,
}

const DIRECTIONS: [(Direction, &str); 2] =
    [(Direction::Forward, "fwd"), (Direction::Backward, "bwd")];

impl<I: Dim, H: Dim, O: Dim> BiLstm<I, H, O> {
    /// A bidirectional LSTM from `n_in` columns to `2 * hidden`, `depth` layers, freshly
    /// initialized. `O` must be twice `H`: a constant `O` is checked when the program is built
    /// (`cargo build`, not `cargo check`); a run-time `O` needs a constant `H` or is taken as
    /// `2 * hidden`. A `depth` of 0 is taken as 1.
    pub fn new(n_in: I, hidden: H, depth: usize) -> Self {
        const {
            assert!(
                sum_fits(&[H::CONST, H::CONST], O::CONST),
                "bilstm: the output width must be twice the hidden width"
            )
        };
        let h = hidden.size();
        let layers = (0..depth.max(1))
            .map(|k| {
                let width = if k == 0 { n_in.size() } else { 2 * h };
                [LstmWeights::new(width, h), LstmWeights::new(width, h)]
            })
            .collect();
        BiLstm {
            n_in,
            hidden,
            layers,
            n_out: PhantomData,
        }
    }

    /// The input width.
    pub fn n_in(&self) -> I {
        self.n_in
    }

    /// The hidden width of each direction.
    pub fn hidden(&self) -> H {
        self.hidden
    }

    /// The output width, `2 * hidden`.
    pub fn n_out(&self) -> O {
        O::from_size(2 * self.hidden.size()).expect("checked by the assertion in new")
    }

    /// The number of stacked layers.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// The parameters of layer `k`, direction `d` (0 forward, 1 backward), for tests.
    #[cfg(test)]
    fn weights_mut(&mut self, k: usize, d: usize) -> &mut LstmWeights {
        &mut self.layers[k][d]
    }

    /// Runs layer `k` on token-ordered `input` for training, both directions at once when the
    /// thread pool has two threads; pushes what backprop needs onto `traces` (forward direction
    /// first) and returns the token-ordered `[fwd | bwd]` output.
    fn layer_forward(
        &self,
        k: usize,
        packing: &Packing,
        input: ArrayView2<'_, f32>,
        traces: &mut Vec<Trace>,
    ) -> Array2<f32> {
        let runs = both_directions([(), ()], |d, ()| {
            let xp = gather(input, packing.rows(DIRECTIONS[d].0));
            let (hs, cache) = recurrence::forward(&self.layers[k][d], packing, xp.view());
            Trace { xp, hs, cache }
        });
        let out = self.side_by_side([&runs[0].hs, &runs[1].hs], packing);
        traces.extend(runs);
        out
    }

    /// The packed hidden states of the two directions, in token order, side by side.
    fn side_by_side(&self, hs: [&Array2<f32>; 2], packing: &Packing) -> Array2<f32> {
        let h = self.hidden.size();
        let mut out = Array2::zeros((hs[0].nrows(), 2 * h));
        for (d, hs) in hs.into_iter().enumerate() {
            let half = out.slice_mut(s![.., d * h..(d + 1) * h]);
            scatter(hs.view(), packing.rows(DIRECTIONS[d].0), half, false);
        }
        out
    }
}

/// The batch of sequences of `lengths` cut into at most `count` parts of consecutive sequences
/// of about equal tokens ([`cuts`]): each part's sequences and rows.
fn parts(lengths: &[usize], count: usize) -> Vec<(Range<usize>, Range<usize>)> {
    let (mut start, mut row) = (0, 0);
    let parts = cuts(lengths, count).into_iter().map(|end| {
        let rows: usize = lengths[start..end].iter().sum();
        let part = (start..end, row..row + rows);
        (start, row) = (end, row + rows);
        part
    });
    parts.collect()
}

/// `[f(0, a), f(1, b)]`, the two calls on two threads of the pool when it has them: the two
/// directions of a layer are independent.
fn both_directions<T: Send, R: Send>(inputs: [T; 2], f: impl Fn(usize, T) -> R + Sync) -> [R; 2] {
    let [a, b] = inputs;
    let (ra, rb) = crate::kernels::threads::join(|| f(0, a), || f(1, b));
    [ra, rb]
}

/// What backprop keeps of one direction of one layer, all packed in that direction's order.
struct Trace {
    xp: Array2<f32>,
    hs: Array2<f32>,
    cache: Cache,
}

impl<I: Dim, H: Dim, O: Dim> Params for BiLstm<I, H, O> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("bilstm", |walk| {
            walk.attr("n_in", &self.n_in.size());
            walk.attr("hidden", &self.hidden.size());
            walk.attr("depth", &self.layers.len());
            for (k, layer) in self.layers.iter().enumerate() {
                walk.scope(&k.to_string(), |walk| {
                    for (weights, (_, name)) in layer.iter().zip(DIRECTIONS) {
                        walk.scope(name, |walk| weights.visit(walk));
                    }
                });
            }
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("bilstm", |walk| {
            for (k, layer) in self.layers.iter_mut().enumerate() {
                walk.scope(&k.to_string(), |walk| {
                    for (weights, (_, name)) in layer.iter_mut().zip(DIRECTIONS) {
                        walk.scope(name, |walk| weights.visit_mut(walk));
                    }
                });
            }
        });
    }
}

impl<I: Dim, H: Dim, O: Dim> Model for BiLstm<I, H, O> {
    type In = Ragged<Floats2<I>>;
    type Out = Ragged<Floats2<O>>;

    fn begin_update<'a>(
        &'a self,
        x: Ragged<Floats2<I>>,
    ) -> (
        Ragged<Floats2<O>>,
        impl FnOnce(Ragged<Floats2<O>>) -> Ragged<Floats2<I>> + Send + 'a,
    ) {
        let (x, lengths) = x.into_parts();
        let packing = Packing::new(&lengths);
        let mut traces = Vec::with_capacity(2 * self.layers.len());
        let mut y = x.into_array();
        for k in 0..self.layers.len() {
            y = self.layer_forward(k, &packing, y.view(), &mut traces);
        }
        let backprop = move |d_y: Ragged<Floats2<O>>| {
            let (d_y, lengths) = d_y.into_parts();
            let h = self.hidden.size();
            let mut d = d_y.into_array();
            for layer in self.layers.iter().rev() {
                let backward = traces.pop().expect("two traces per layer");
                let forward = traces.pop().expect("two traces per layer");
                let n_in = forward.xp.ncols();
                let d_out = d.view();
                let d_xps = both_directions([forward, backward], |i, trace| {
                    let rows = packing.rows(DIRECTIONS[i].0);
                    let d_h = gather(d_out.slice(s![.., i * h..(i + 1) * h]), rows);
                    let Trace { xp, hs, cache } = trace;
                    recurrence::backward(&layer[i], &packing, xp.view(), hs.view(), cache, d_h)
                });
                let mut d_in = Array2::zeros((d.nrows(), n_in));
                for (i, d_xp) in d_xps.iter().enumerate() {
                    scatter(
                        d_xp.view(),
                        packing.rows(DIRECTIONS[i].0),
                        d_in.view_mut(),
                        true,
                    );
                }
                d = d_in;
            }
            Ragged::wrap(Floats2::wrap(d), lengths)
        };
        (Ragged::wrap(Floats2::wrap(y), lengths), backprop)
    }

    /// With more than one thread, the batch is cut into parts of consecutive sequences (twice
    /// as many as threads), and each part and direction is a task of its own: the pool balances
    /// them when one core runs slower than the other (on a VM, one often does).
    fn predict(&self, x: Ragged<Floats2<I>>) -> Ragged<Floats2<O>> {
        let (x, lengths) = x.into_parts();
        // The parts cover the rows of the sequences: every row of the output is written only
        // if there are no others (`data` is a public field).
        let rows: usize = lengths.iter().sum();
        assert_eq!(x.rows(), rows, "rows of the ragged batch and its lengths");
        let threads = threads();
        let parts = parts(&lengths, if threads > 1 { 2 * threads } else { 1 });
        let packings: Vec<Packing> = parts
            .iter()
            .map(|p| Packing::new(&lengths[p.0.clone()]))
            .collect();
        let mut y = x.into_array();
        let h = self.hidden.size();
        for layer in &self.layers {
            let mut out = Unwritten::new(y.nrows(), 2 * h);
            let mut tasks = Vec::with_capacity(2 * parts.len());
            let mut rest = out.writer();
            for ((_, rows), packing) in parts.iter().zip(&packings) {
                let (part, tail) = rest.split_at(Axis(0), rows.len());
                rest = tail;
                let input = y.slice(s![rows.clone(), ..]);
                let (fwd, bwd) = part.split_at(Axis(1), h);
                tasks.extend([(0, packing, input, fwd), (1, packing, input, bwd)]);
            }
            let run = |(d, packing, input, half): (usize, &Packing, _, _)| {
                recurrence::predict(&layer[d], packing, DIRECTIONS[d].0, input, half)
            };
            match threads {
                1 => tasks.into_iter().for_each(run),
                _ => tasks.into_par_iter().for_each(run),
            }
            y = out.into_array();
        }
        Ragged::wrap(Floats2::wrap(y), lengths)
    }
}

#[cfg(test)]
mod tests {
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
            ("0.bilstm.0.fwd.b", vec![8]),
            ("0.bilstm.0.bwd.W_ih", vec![8, 3]),
            ("0.bilstm.0.bwd.W_hh", vec![8, 2]),
            ("0.bilstm.0.bwd.b", vec![8]),
            ("0.bilstm.1.fwd.W_ih", vec![8, 4]),
            ("0.bilstm.1.fwd.W_hh", vec![8, 2]),
            ("0.bilstm.1.fwd.b", vec![8]),
            ("0.bilstm.1.bwd.W_ih", vec![8, 4]),
            ("0.bilstm.1.bwd.W_hh", vec![8, 2]),
            ("0.bilstm.1.bwd.b", vec![8]),
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
            assert_eq!(y.data.view().shape(), &[0, 4]);
            let (y, backprop) = bilstm.begin_update(x);
            let d_x = backprop(y);
            assert_eq!(d_x.lengths(), lengths);
            assert_eq!(d_x.data.view().shape(), &[0, 3]);
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
            assert_close(predicted.data.view(), trained.data.view(), 1e-6);
        }
    }

    /// A batch whose rows and lengths disagree is refused, not half written.
    #[test]
    #[should_panic(expected = "rows of the ragged batch and its lengths")]
    fn bilstm_predict_refuses_rows_beyond_the_lengths() {
        let bilstm = BiLstm::<_, _, Const<4>>::new(Const::<3>, Const::<2>, 1);
        let mut x = random_ragged::<3>(&[2], 7);
        x.data = Floats2::zeros(5, Const::<3>);
        bilstm.predict(x);
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
        let d_x =
            backprop(Ragged::new(Floats2::new(d_y.clone()).unwrap(), lengths.to_vec()).unwrap());
        let ranges: Vec<_> = x.ranges().collect();
        for range in ranges {
            let alone =
                Floats2::new(x.data.view().slice(s![range.clone(), ..]).to_owned()).unwrap();
            let alone = Ragged::new(alone, vec![range.len()]).unwrap();
            let (y_alone, backprop) = bilstm.begin_update(alone);
            let d_alone = d_y.slice(s![range.clone(), ..]).to_owned();
            let d_alone = Ragged::new(Floats2::new(d_alone).unwrap(), vec![range.len()]).unwrap();
            let d_x_alone = backprop(d_alone);
            assert_close(
                y_alone.data.view(),
                y.data.view().slice(s![range.clone(), ..]),
                1e-6,
            );
            assert_close(
                d_x_alone.data.view(),
                d_x.data.view().slice(s![range, ..]),
                1e-6,
            );
        }
    }

    fn set(weights: &mut LstmWeights, w_ih: &[f32], w_hh: &[f32], b: &[f32]) {
        let [p_ih, p_hh, p_b] = weights.params_mut();
        p_ih.value_mut().copy_from_slice(w_ih);
        p_hh.value_mut().copy_from_slice(w_hh);
        p_b.value_mut().copy_from_slice(b);
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
    #[test]
    fn bilstm_matches_pytorch() {
        let mut bilstm = BiLstm::<_, _, Const<4>>::new(Const::<3>, Const::<2>, 1);
        set(
            bilstm.weights_mut(0, 0),
            &[
                -0.99, -0.79, -0.43, -0.95, -0.06, -0.88, 0.54, 0.49, 0.19, 0.78, -0.1, 0.6, -0.7,
                -0.2, -0.89, -0.08, -0.65, 0.9, 0.69, 0.75, 0.3, -0.57, 0.9, -0.98,
            ],
            &[
                -0.64, -0.62, -0.41, 0.2, -0.76, -0.77, -0.48, 0.61, -0.72, -0.9, -0.87, -0.49,
                -0.26, -0.99, -0.47, 0.02,
            ],
            &[0.16, -0.14, -0.11, -0.65, 0.51, -0.24, -0.68, -0.24],
        );
        set(
            bilstm.weights_mut(0, 1),
            &[
                -0.14, 0.92, 0.52, -0.4, -0.14, 0.88, 0.64, 0.25, -0.36, 0.83, 0.43, -0.45, 0.71,
                0.07, -0.74, -0.44, -0.75, -0.83, 0.02, -0.72, 0.53, 0.45, 0.22, 0.82,
            ],
            &[
                -0.45, 0.01, 0.61, 0.35, 0.12, 0.84, 0.23, 0.67, -0.86, -0.86, -0.9, 0.06, 0.85,
                -0.87, 0.4, -0.88,
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
                0.52, -0.66, -0.76, -0.67, -0.85, 0.84, 0.88, -0.14, 0.94, 0.28, -0.98, -0.91,
                -0.48, -1.0, -0.46, 0.27, -0.02, -0.19, 0.06, 0.91,
            ],
        );
        let x = Ragged::new(Floats2::new(x).unwrap(), vec![2, 3]).unwrap();
        let (y, backprop) = bilstm.begin_update(x);
        let d_x = backprop(Ragged::new(Floats2::new(r).unwrap(), vec![2, 3]).unwrap());
        let close = |found: &[f32], expected: &[f32]| {
            assert_close(array(1, found).view(), array(1, expected).view(), 1e-5);
        };

        // print("y", fmt(out))
        close(
            y.data.view().as_slice().unwrap(),
            &[
                0.1411092, -0.2801391, -0.1588684, 0.2070299, 0.18786, -0.0308288, -0.2143886,
                0.2070281, 0.0550555, 0.0185182, -0.1795349, 0.3361833, 0.116935, -0.1066189,
                -0.1179988, 0.1951961, 0.0859939, 0.0009434, -0.1094226, 0.2261618,
            ],
        );
        // print("d_x", fmt(x.grad))
        close(
            d_x.data.view().as_slice().unwrap(),
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
        close(
            &grad_of(&bilstm, "0.bilstm.0.fwd.b"),
            &[
                -0.011769, 0.0780322, -0.0326863, -0.0328525, 0.0474299, -0.1874694, -0.0486473,
                0.0874309,
            ],
        );
        // print("weight_ih_l0_reverse", fmt(lstm.weight_ih_l0_reverse.grad))
        close(
            &grad_of(&bilstm, "0.bilstm.0.bwd.W_ih"),
            &[
                0.0083958, -0.0471928, -0.0449038, 0.0995373, -0.0624394, 0.0311067, -0.0144257,
                -0.005843, -0.0037637, 0.0106923, 0.0078323, -0.001488, 0.0102242, 0.0329967,
                0.019708, 0.1146022, -0.0880914, 0.021203, -0.0161094, -0.0037431, -0.0518455,
                0.0653989, -0.0557633, 0.0001334,
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
        close(
            &grad_of(&bilstm, "0.bilstm.0.bwd.b"),
            &[
                0.0997447, -0.071617, 0.0625576, -0.0708776, -0.1206004, -0.0219395, 0.0962052,
                -0.1201869,
            ],
        );
    }
}
