//! [`BiLstm`]: a bidirectional LSTM over ragged sequences, `depth` layers stacked.
//!
//! Shapes: `Ragged<Floats2<I>>` → `Ragged<Floats2<O>>` with `O = 2H`, the same lengths. Row `r`
//! of the output is `[h_fwd | h_bwd]`: the forward direction's hidden state after reading its
//! sequence up to and including token `r`, then the backward direction's after reading from the
//! sequence's end back to token `r`. Layer `k + 1` reads the `2H`-wide output of layer `k`,
//! after dropout at the rate given by [`BiLstm::with_dropout`] (none by default) during training,
//! as `torch.nn.LSTM(dropout = r)` does.
//!
//! Parameters per layer `k` and direction `d` in `fwd`, `bwd` (paths such as
//! `<n>.bilstm.<k>.fwd.W_ih`): `W_ih` `(4H, I)` for `k = 0`, `(4H, 2H)` above; `W_hh` `(4H, H)`;
//! `b_ih` and `b_hh` `(4H)`. The math and the parameters are PyTorch's
//! (`torch.nn.LSTM(bidirectional=True)`), gates `i, f, g, o`, every sequence starting from `h = c = 0` in both
//! directions; see the `recurrence` module for the details and the packed layout. Each
//! direction packs the tokens in its own time-major order (the backward one reads every
//! sequence from its end), so every layer gathers its input from token order and scatters its
//! two halves back into token order.

use std::marker::PhantomData;
use std::ops::Range;

use ndarray::{Array2, ArrayView2, Axis, s};
use rayon::prelude::*;

use super::boundary::{check_sequences_gradient, check_width};
use crate::data::batch::cuts;
use crate::data::dim::sum_fits;
use crate::data::{Dim, Floats2, Ragged};
use crate::kernels::threads::threads;
use crate::kernels::unwritten::Unwritten;
use crate::layers::recurrence::{
    self, Between, Cache, Direction, LstmWeights, Packing, gather, scatter,
};
use crate::model::{Model, Params, Visit, VisitMut};

/// A bidirectional LSTM from width `I` to `O = 2H` (`H` hidden units each way), `depth` layers.
///
/// Every weight and bias starts uniform in `±1/sqrt(H)` (PyTorch's initialization).
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Params, Ragged, layers::BiLstm};
/// let bilstm = BiLstm::<_, _, Const<8>>::new(Const::<3>, Const::<4>, 2);
/// let x = Ragged::new(Floats2::zeros(5, Const::<3>), vec![3, 0, 2]).unwrap();
/// let y = bilstm.predict(x);
/// assert_eq!(y.lengths(), &[3, 0, 2]);
/// assert_eq!(y.data().view().shape(), &[5, 8]);
/// assert_eq!(bilstm.param_names()[4], "0.bilstm.0.bwd.W_ih");
/// assert_eq!(bilstm.param_names().len(), 16);
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
    dropout: Between,
    n_out: PhantomData<fn() -> O>,
}

const DIRECTIONS: [(Direction, &str); 2] =
    [(Direction::Forward, "fwd"), (Direction::Backward, "bwd")];

impl<I: Dim, H: Dim, O: Dim> BiLstm<I, H, O> {
    /// A bidirectional LSTM from `n_in` columns to `2 * hidden`, `depth` layers, freshly
    /// initialized. `O` must be twice `H`: a constant `O` is checked when the program is built
    /// (`cargo build`, not `cargo check`); a run-time `O` needs a constant `H` or is taken as
    /// `2 * hidden`. A `depth` of 0 is taken as 1.
    ///
    /// # Panics
    /// When a layer's weights would hold more values than `usize` counts.
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
            dropout: Between::new(0.0),
            n_out: PhantomData,
        }
    }

    /// The same LSTM with dropout at `rate` on the output of every layer but the last, during
    /// training ([`predict`](Model::predict) keeps every value), as `torch.nn.LSTM(dropout =
    /// rate)`. At rate 0, the default, nothing is dropped and no random number is drawn.
    ///
    /// ```
    /// use weft_runtime::{Const, Params, layers::BiLstm};
    /// let bilstm = BiLstm::<_, _, Const<8>>::new(Const::<3>, Const::<4>, 2).with_dropout(0.25);
    /// assert_eq!(bilstm.dropout(), 0.25);
    /// let signature = "0.bilstm depth=2 dropout=0.25 hidden=4 n_in=3\n";
    /// assert_eq!(bilstm.signature().to_string(), signature);
    /// ```
    ///
    /// # Panics
    /// When `rate` is not in `[0, 1)`, as [`Dropout::new`](crate::layers::Dropout::new).
    pub fn with_dropout(mut self, rate: f32) -> Self {
        self.dropout = Between::new(rate);
        self
    }

    /// The rate of the dropout between layers.
    pub fn dropout(&self) -> f32 {
        self.dropout.rate()
    }

    /// Restarts the sequence of dropout masks from `seed`, to reproduce a run.
    pub fn reseed(&self, seed: u64) {
        self.dropout.reseed(seed);
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
            self.dropout.visit(walk);
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
        check_width("bilstm", self.n_in, x.data().width());
        let (x, lengths) = x.into_parts();
        let packing = Packing::new(&lengths);
        let mut traces = Vec::with_capacity(2 * self.layers.len());
        // The masks of the dropout on the input of layers 1 and above.
        let mut masks = Vec::with_capacity(self.layers.len());
        let mut y = x.into_array();
        for k in 0..self.layers.len() {
            if k > 0 {
                let dropped = self.dropout.apply(y.view());
                masks.push(dropped.map(|(dropped, mask)| {
                    y = dropped;
                    mask
                }));
            }
            y = self.layer_forward(k, &packing, y.view(), &mut traces);
        }
        let y = Ragged::wrap(Floats2::wrap(y), lengths.clone());
        let backprop = move |d_y: Ragged<Floats2<O>>| {
            check_sequences_gradient("bilstm", &lengths, self.n_out(), &d_y);
            let (d_y, _) = d_y.into_parts();
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
                // The mask of this layer's input, when it is not the first and there is dropout.
                d = match masks.pop().flatten() {
                    Some(mask) => mask(d_in),
                    None => d_in,
                };
            }
            Ragged::wrap(Floats2::wrap(d), lengths)
        };
        (y, backprop)
    }

    /// With more than one thread, the batch is cut into parts of consecutive sequences (twice
    /// as many as threads), and each part and direction is a task of its own: the pool balances
    /// them when one core runs slower than the other (on a VM, one often does).
    fn predict(&self, x: Ragged<Floats2<I>>) -> Ragged<Floats2<O>> {
        check_width("bilstm", self.n_in, x.data().width());
        let (x, lengths) = x.into_parts();
        // The parts cover the rows of the sequences, which are all the rows (`Ragged`'s
        // invariant): every row of the output is written.
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

    fn output_width(&self) -> Option<usize> {
        Some(2 * self.hidden.size())
    }
}

#[cfg(test)]
mod tests;
