//! [`Lstm`]: a unidirectional LSTM over ragged sequences, `depth` layers stacked.
//!
//! Shapes: `Ragged<Floats2<I>>` → `Ragged<Floats2<H>>`, the same lengths: one hidden state per
//! token. Parameters per layer `k` (paths `<n>.lstm.<k>.W_ih` and so on): `W_ih` `(4H, I)` for
//! `k = 0`, `(4H, H)` above; `W_hh` `(4H, H)`; `b_ih` and `b_hh` `(4H)`. Layer `k + 1` reads the
//! hidden states of layer `k`, after dropout at the rate given by [`Lstm::with_dropout`] (none by
//! default) during training, as `torch.nn.LSTM(dropout = r)` does.
//!
//! The math and the parameters are PyTorch's (`torch.nn.LSTM`), gates `i, f, g, o`:
//! `c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)`, `h_t = σ(o) ⊙ tanh(c_t)`, every sequence starting
//! from `h = c = 0`; see the `recurrence` module for the details and the packed layout. The
//! tokens are put in packed (time-major, longest first) order once on the way in and back in
//! token order once on the way out: the stacked layers all work in packed order.

use ndarray::Array2;

use super::boundary::{check_sequences_gradient, check_width};
use crate::data::{Dim, Floats2, Ragged};
use crate::kernels::unwritten::Unwritten;
use crate::layers::recurrence::{
    self, Between, Cache, Direction, LstmWeights, Packing, gather, scatter,
};
use crate::model::{Model, Params, Visit, VisitMut};

/// A unidirectional LSTM from width `I` to hidden width `H`, `depth` layers deep.
///
/// Every weight and bias starts uniform in `±1/sqrt(H)` (PyTorch's initialization).
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Params, Ragged, layers::Lstm};
/// let lstm = Lstm::new(Const::<3>, Const::<4>, 2);
/// let x = Ragged::new(Floats2::zeros(5, Const::<3>), vec![3, 0, 2]).unwrap();
/// let y = lstm.predict(x);
/// assert_eq!(y.lengths(), &[3, 0, 2]);
/// assert_eq!(y.data().view().shape(), &[5, 4]);
/// let names = ["0.lstm.0.W_ih", "0.lstm.0.W_hh", "0.lstm.0.b_ih", "0.lstm.0.b_hh"];
/// assert_eq!(lstm.param_names()[..4], names);
/// ```
pub struct Lstm<I: Dim, H: Dim> {
    n_in: I,
    hidden: H,
    layers: Vec<LstmWeights>,
    dropout: Between,
}

impl<I: Dim, H: Dim> Lstm<I, H> {
    /// An LSTM from `n_in` to `hidden` columns with `depth` stacked layers, freshly initialized.
    /// A `depth` of 0 is taken as 1: the output width `H` needs at least one layer.
    ///
    /// # Panics
    /// When a layer's weights would hold more values than `usize` counts.
    pub fn new(n_in: I, hidden: H, depth: usize) -> Self {
        let h = hidden.size();
        let layers = (0..depth.max(1))
            .map(|k| LstmWeights::new(if k == 0 { n_in.size() } else { h }, h))
            .collect();
        Lstm {
            n_in,
            hidden,
            layers,
            dropout: Between::new(0.0),
        }
    }

    /// The same LSTM with dropout at `rate` on the output of every layer but the last, during
    /// training ([`predict`](Model::predict) keeps every value), as `torch.nn.LSTM(dropout =
    /// rate)`. At rate 0, the default, nothing is dropped and no random number is drawn.
    ///
    /// ```
    /// use weft_runtime::{Const, Params, layers::Lstm};
    /// let lstm = Lstm::new(Const::<3>, Const::<4>, 2).with_dropout(0.25);
    /// assert_eq!(lstm.dropout(), 0.25);
    /// assert_eq!(lstm.signature().to_string(), "0.lstm depth=2 dropout=0.25 hidden=4 n_in=3\n");
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

    /// The hidden (output) width.
    pub fn hidden(&self) -> H {
        self.hidden
    }

    /// The number of stacked layers.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }
}

impl<I: Dim, H: Dim> Params for Lstm<I, H> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("lstm", |walk| {
            walk.attr("n_in", &self.n_in.size());
            walk.attr("hidden", &self.hidden.size());
            walk.attr("depth", &self.layers.len());
            self.dropout.visit(walk);
            for (k, layer) in self.layers.iter().enumerate() {
                walk.scope(&k.to_string(), |walk| layer.visit(walk));
            }
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("lstm", |walk| {
            for (k, layer) in self.layers.iter_mut().enumerate() {
                walk.scope(&k.to_string(), |walk| layer.visit_mut(walk));
            }
        });
    }
}

impl<I: Dim, H: Dim> Model for Lstm<I, H> {
    type In = Ragged<Floats2<I>>;
    type Out = Ragged<Floats2<H>>;

    fn begin_update<'a>(
        &'a self,
        x: Ragged<Floats2<I>>,
    ) -> (
        Ragged<Floats2<H>>,
        impl FnOnce(Ragged<Floats2<H>>) -> Ragged<Floats2<I>> + Send + 'a,
    ) {
        check_width("lstm", self.n_in, x.data().width());
        let (x, lengths) = x.into_parts();
        let packing = Packing::new(&lengths);
        let rows = packing.rows(Direction::Forward);
        // states[0] is the packed input, states[k + 1] the packed output of layer k; dropped[k],
        // when there is dropout, that output with values dropped, the input of layer k + 1, and
        // its mask.
        let mut states = vec![gather(x.view(), rows)];
        let mut dropped = Vec::with_capacity(self.layers.len());
        let mut caches: Vec<Cache> = Vec::with_capacity(self.layers.len());
        for (k, layer) in self.layers.iter().enumerate() {
            let input = match dropped.last() {
                Some(Some((input, _))) => input,
                _ => &states[k],
            };
            let (hs, cache) = recurrence::forward(layer, &packing, input.view());
            if k + 1 < self.layers.len() {
                dropped.push(self.dropout.apply(hs.view()));
            }
            states.push(hs);
            caches.push(cache);
        }
        let y = unpack(&states[self.layers.len()], &packing);
        let y = Ragged::wrap(Floats2::wrap(y), lengths.clone());
        let backprop = move |d_y: Ragged<Floats2<H>>| {
            check_sequences_gradient("lstm", &lengths, self.hidden, &d_y);
            let (d_y, _) = d_y.into_parts();
            let rows = packing.rows(Direction::Forward);
            let mut d = gather(d_y.view(), rows);
            for (k, layer) in self.layers.iter().enumerate().rev() {
                let cache = caches.pop().expect("one cache per layer");
                // Layer k's input, with values dropped when k > 0 and there is dropout.
                let input = if k > 0 { dropped.pop().flatten() } else { None };
                let xp = input.as_ref().map_or(&states[k], |(input, _)| input).view();
                d = recurrence::backward(layer, &packing, xp, states[k + 1].view(), cache, d);
                if let Some((_, mask)) = input {
                    d = mask(d);
                }
            }
            Ragged::wrap(Floats2::wrap(unpack(&d, &packing)), lengths)
        };
        (y, backprop)
    }

    fn predict(&self, x: Ragged<Floats2<I>>) -> Ragged<Floats2<H>> {
        check_width("lstm", self.n_in, x.data().width());
        let (x, lengths) = x.into_parts();
        let packing = Packing::new(&lengths);
        let mut y = x.into_array();
        for layer in &self.layers {
            let mut out = Unwritten::new(y.nrows(), self.hidden.size());
            let input = y.view();
            recurrence::predict(layer, &packing, Direction::Forward, input, out.writer());
            y = out.into_array();
        }
        Ragged::wrap(Floats2::wrap(y), lengths)
    }

    fn output_width(&self) -> Option<usize> {
        Some(self.hidden.size())
    }
}

/// Forward-packed rows back to token order.
fn unpack(packed: &Array2<f32>, packing: &Packing) -> Array2<f32> {
    let mut out = Array2::zeros(packed.raw_dim());
    scatter(
        packed.view(),
        packing.rows(Direction::Forward),
        out.view_mut(),
        false,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::layers::BiLstm;
    use crate::training::testing::{Reseeded, assert_close, random_ragged};
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn lstm_gradients_match_finite_differences() {
        let mut lstm = Lstm::new(Const::<3>, Const::<4>, 1);
        let x = random_ragged::<3>(&[3, 0, 1, 2], 1);
        gradcheck(&mut lstm, &x, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn deep_lstm_gradients_match_finite_differences() {
        let mut lstm = Lstm::new(Const::<3>, Const::<4>, 2);
        let x = random_ragged::<3>(&[3, 0, 1, 2], 2);
        gradcheck(&mut lstm, &x, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn lstm_names_its_parameters_by_depth() {
        let lstm = Lstm::new(Const::<3>, 2usize, 2);
        assert_eq!(
            lstm.param_names(),
            [
                "0.lstm.0.W_ih",
                "0.lstm.0.W_hh",
                "0.lstm.0.b_ih",
                "0.lstm.0.b_hh",
                "0.lstm.1.W_ih",
                "0.lstm.1.W_hh",
                "0.lstm.1.b_ih",
                "0.lstm.1.b_hh"
            ]
        );
        let mut shapes = Vec::new();
        lstm.for_each_param(&mut |_, p| shapes.push(p.shape().to_vec()));
        let expected: [&[usize]; 8] = [&[8, 3], &[8, 2], &[8], &[8], &[8, 2], &[8, 2], &[8], &[8]];
        assert_eq!(shapes, expected);
    }

    #[test]
    fn lstm_depth_zero_is_one_layer() {
        assert_eq!(Lstm::new(Const::<3>, Const::<2>, 0).depth(), 1);
    }

    #[test]
    fn lstm_handles_empty_batches_and_sequences() {
        let lstm = Lstm::new(Const::<3>, Const::<2>, 2);
        for lengths in [&[][..], &[0], &[0, 0, 0]] {
            let x = random_ragged::<3>(lengths, 0);
            let y = lstm.predict(x.clone());
            assert_eq!(y.lengths(), lengths);
            assert_eq!(y.data().rows(), 0);
            let (y, backprop) = lstm.begin_update(x);
            let d_x = backprop(y);
            assert_eq!(d_x.lengths(), lengths);
            assert_eq!(d_x.data().view().shape(), &[0, 3]);
        }
    }

    #[test]
    fn lstm_handles_zero_widths() {
        for (n_in, hidden) in [(0, 2), (3, 0), (0, 0)] {
            let lstm = Lstm::new(n_in, hidden, 2);
            let x = Ragged::new(Floats2::zeros(3, n_in), vec![2, 0, 1]).unwrap();
            let (y, backprop) = lstm.begin_update(x);
            assert_eq!(y.data().view().shape(), &[3, hidden]);
            assert_eq!(backprop(y).data().view().shape(), &[3, n_in]);
        }
    }

    /// Also after the weights change: prediction keeps its layout of the weights between calls,
    /// and must not keep it past a change.
    #[test]
    fn lstm_predict_matches_begin_update() {
        let mut lstm = Lstm::new(Const::<3>, Const::<4>, 2);
        let x = random_ragged::<3>(&[2, 5, 0, 1], 3);
        let mut before = None;
        for _ in 0..2 {
            let (predicted, trained) = (lstm.predict(x.clone()), lstm.begin_update(x.clone()).0);
            assert_eq!(predicted.lengths(), trained.lengths());
            // One product of [x | h] instead of two: the sums differ in order, not in value.
            assert_close(predicted.data().view(), trained.data().view(), 1e-6);
            assert_ne!(
                before.as_ref(),
                Some(predicted.data()),
                "the weights changed"
            );
            before = Some(predicted.into_parts().0);
            lstm.for_each_param_mut(&mut |_, p| p.value_mut().iter_mut().for_each(|v| *v *= -1.5))
                .unwrap();
        }
    }

    /// The forward half of a one-layer `BiLstm` is an `Lstm` with the same weights.
    #[test]
    fn lstm_matches_the_forward_half_of_bilstm() {
        let bilstm = BiLstm::<_, _, Const<4>>::new(Const::<3>, Const::<2>, 1);
        let mut lstm = Lstm::new(Const::<3>, Const::<2>, 1);
        let mut fwd = Vec::new();
        bilstm.for_each_param(&mut |path, p| {
            if path.contains(".fwd.") {
                fwd.push(p.value().to_vec());
            }
        });
        let mut values = fwd.into_iter();
        lstm.for_each_param_mut(&mut |_, p| p.value_mut().copy_from_slice(&values.next().unwrap()))
            .unwrap();
        let x = random_ragged::<3>(&[3, 0, 1, 2], 4);
        let y = lstm.predict(x.clone()).into_parts().0.into_array();
        let both = bilstm.predict(x).into_parts().0.into_array();
        assert_eq!(y, both.slice(ndarray::s![.., ..2]));
    }

    type Tokens = Ragged<Floats2<Const<3>>>;

    /// A deep LSTM of either kind, from width 3 to 4.
    trait Deep: Model<In = Tokens, Out = Ragged<Floats2<Const<4>>>> + Sized {
        /// `depth` layers, made by `new`.
        fn plain(depth: usize) -> Self;
        /// `with_dropout`.
        fn with_rate(self, rate: f32) -> Self;
        /// `reseed`.
        fn reseed_masks(&self, seed: u64);
        /// `depth` layers, dropout at `rate` between them.
        fn deep(depth: usize, rate: f32) -> Self {
            Self::plain(depth).with_rate(rate)
        }
    }

    impl Deep for Lstm<Const<3>, Const<4>> {
        fn plain(depth: usize) -> Self {
            Lstm::new(Const::<3>, Const::<4>, depth)
        }
        fn with_rate(self, rate: f32) -> Self {
            self.with_dropout(rate)
        }
        fn reseed_masks(&self, seed: u64) {
            self.reseed(seed)
        }
    }

    impl Deep for BiLstm<Const<3>, Const<2>, Const<4>> {
        fn plain(depth: usize) -> Self {
            BiLstm::new(Const::<3>, Const::<2>, depth)
        }
        fn with_rate(self, rate: f32) -> Self {
            self.with_dropout(rate)
        }
        fn reseed_masks(&self, seed: u64) {
            self.reseed(seed)
        }
    }

    /// A model of kind `M` with the weights of `like`, dropout at `rate`.
    fn copy<M: Deep>(like: &M, depth: usize, rate: f32) -> M {
        let mut values = Vec::new();
        like.for_each_param(&mut |_, p| values.push(p.value().to_vec()));
        let mut model = M::deep(depth, rate);
        let mut values = values.into_iter();
        model
            .for_each_param_mut(&mut |_, p| p.value_mut().copy_from_slice(&values.next().unwrap()))
            .unwrap();
        model
    }

    /// Every value `model` computes in a training pass on `x`: the output, the input's gradient
    /// (of the output as the output's gradient), the parameters' gradients, as bits.
    fn training_pass<M: Deep>(model: &M, x: &Tokens) -> (M::Out, Vec<u32>) {
        let (y, backprop) = model.begin_update(x.clone());
        let d_x = backprop(y.clone());
        let mut bits: Vec<u32> = d_x.data().view().iter().map(|v| v.to_bits()).collect();
        model.for_each_param(&mut |_, p| bits.extend(p.grad().iter().map(|v| v.to_bits())));
        (y, bits)
    }

    /// `with_dropout(0.0)` is the LSTM `new` makes, as it was before LSTMs had dropout.
    fn at_rate_zero_nothing_changes<M: Deep>() {
        let x = random_ragged::<3>(&[3, 0, 4, 1], 10);
        let before = M::plain(3);
        let after = copy(&before, 3, 0.0);
        assert_eq!(before.signature(), after.signature());
        assert!(!after.signature().to_string().contains("dropout"));
        assert_eq!(training_pass(&before, &x), training_pass(&after, &x));
    }

    /// Training differs, prediction does not, and one layer has nothing to drop.
    fn dropout_acts_between_layers_in_training_only<M: Deep>() {
        let x = random_ragged::<3>(&[3, 0, 4, 1, 5], 11);
        let plain = M::deep(2, 0.0);
        let dropped = copy(&plain, 2, 0.5);
        assert_eq!(dropped.predict(x.clone()), plain.predict(x.clone()));
        let (trained, _) = dropped.begin_update(x.clone());
        assert_ne!(trained, plain.begin_update(x.clone()).0);
        // The last layer's output is not dropped.
        assert!(trained.data().view().iter().all(|&v| v != 0.0));
        // One layer has no layer after it: nothing to drop.
        let one = M::deep(1, 0.0);
        assert_eq!(
            training_pass(&copy(&one, 1, 0.5), &x),
            training_pass(&one, &x)
        );
    }

    fn dropout_gradients_match_finite_differences<M: Deep>() {
        let mut model = Reseeded {
            model: M::deep(3, 0.5),
            reseed: |model| model.reseed_masks(12),
        };
        let x = random_ragged::<3>(&[3, 0, 1, 2], 13);
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    }

    /// A file saved with dropout does not load into a model without, and names the difference.
    fn dropout_is_part_of_the_architecture<M: Deep>() {
        let saved = M::deep(2, 0.5).to_bytes().unwrap();
        let err = M::deep(2, 0.0).from_bytes(&saved).unwrap_err().to_string();
        assert!(
            err.ends_with("dropout = 0.5 in the file, no dropout in the model"),
            "{err}"
        );
        M::deep(2, 0.5).from_bytes(&saved).unwrap();
    }

    #[test]
    fn lstm_dropout_between_layers() {
        type L = Lstm<Const<3>, Const<4>>;
        type B = BiLstm<Const<3>, Const<2>, Const<4>>;
        at_rate_zero_nothing_changes::<L>();
        at_rate_zero_nothing_changes::<B>();
        dropout_acts_between_layers_in_training_only::<L>();
        dropout_acts_between_layers_in_training_only::<B>();
        dropout_gradients_match_finite_differences::<L>();
        dropout_gradients_match_finite_differences::<B>();
        dropout_is_part_of_the_architecture::<L>();
        dropout_is_part_of_the_architecture::<B>();
    }

    #[test]
    fn an_lstm_dropout_rate_out_of_range_is_refused() {
        for rate in [-0.1, 1.0, 1.5, f32::NAN] {
            assert!(std::panic::catch_unwind(|| Lstm::new(3, 4, 2).with_dropout(rate)).is_err());
            let bilstm = || BiLstm::<_, _, usize>::new(3, 4, 2).with_dropout(rate);
            assert!(std::panic::catch_unwind(bilstm).is_err());
        }
    }
}
