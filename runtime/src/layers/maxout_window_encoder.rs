//! [`MaxoutWindowEncoder`]: spaCy's CNN token encoder (`spacy.MaxoutWindowEncoder.v2`), `depth`
//! residual layers of a window of neighbours, a maxout and a layer norm.
//!
//! Shapes: `Ragged<Floats2<W>>` → `Ragged<Floats2<W>>`, the same sequences. Parameters, for
//! each layer: the [`Maxout`]'s `W` `(W·pieces, (2n + 1)·W)` and `b` `(W·pieces)`, the
//! [`LayerNorm`]'s `G` and `b` `(W)`.
//!
//! `h₀ = pad(x)`, `h_{l+1} = h_l + LayerNorm(Maxout(window_n(h_l)))`, `y = unpad(h_depth)`,
//! with `window_n` the [`ExpandWindow`] of `n` tokens on each side. `pad` puts `n·depth` rows of
//! zeros before and after each sequence, as spaCy's `with_array(pad = n·depth)` does: the pad
//! rows go through the layers as tokens do, so a token near an edge sees beyond it what the
//! layers made of the zeros, exactly as in spaCy, whose weights therefore load and predict the
//! same here. (The pad rows of one sequence are out of reach of the next one's in spaCy's
//! flattened batch too: `depth` layers reach `n·depth` rows.) `unpad` drops the pad rows.
//!
//! Only the pad rows that reach a token are computed: layer `l` (from 1) needs its input's rows
//! up to `n·(depth − l + 1)` beyond each end, and so outputs only those up to `n·(depth − l)`,
//! dropping `n` rows at each end after each layer (12% fewer rows than spaCy's for sentences of
//! 17 tokens, `n` 1 and `depth` 4). Backprop runs the same way back: at each layer the output
//! gradient with zeros for the rows dropped, and the input gradient of the pad rows dropped at
//! the end.

use ndarray::Array2;

use super::boundary::check_sequences_gradient;
use super::{ExpandWindow, LayerNorm, Maxout};
use crate::combinators::{Chain, Residual, WithArray, chain, residual, with_array};
use crate::data::{Dim, Floats2, Ragged, Values};
use crate::model::{Model, Params, Visit, VisitMut};

/// One layer: `x + LayerNorm(Maxout(window(x)))`.
type Block<W> =
    Residual<Chain<ExpandWindow<W, usize>, WithArray<Chain<Maxout<usize, W>, LayerNorm<W>>>>>;

/// spaCy's `MaxoutWindowEncoder`: `depth` residual window layers over padded sequences.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Ragged, layers::MaxoutWindowEncoder};
/// let encoder = MaxoutWindowEncoder::new(Const::<4>, 2, 1, 3);
/// let x = Ragged::new(Floats2::zeros(5, Const::<4>), vec![3, 0, 2])?;
/// let y = encoder.predict(x);
/// assert_eq!((y.lengths(), y.data().width()), (&[3, 0, 2][..], Const::<4>));
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub struct MaxoutWindowEncoder<W: Dim> {
    width: W,
    window: usize,
    layers: Vec<Block<W>>,
}

impl<W: Dim> MaxoutWindowEncoder<W> {
    /// `depth` layers over rows `width` wide, each reading `window` tokens on each side, with
    /// maxouts of `pieces` pieces.
    ///
    /// # Panics
    /// When a window's width or the pad rows are more than `usize` counts.
    pub fn new(width: W, depth: usize, window: usize, pieces: usize) -> Self {
        if window.checked_mul(depth).is_none() {
            panic!(
                "maxout_window_encoder: {depth} layers of windows of {window} reach beyond usize"
            )
        }
        let layer = || {
            let expand = ExpandWindow::<W, usize>::new(width, window);
            let wide = (2 * window + 1) * width.size();
            let mix = chain(Maxout::new(wide, width, pieces), LayerNorm::new(width));
            residual(chain(expand, with_array(mix)))
        };
        MaxoutWindowEncoder {
            width,
            window,
            layers: std::iter::repeat_with(layer).take(depth).collect(),
        }
    }

    /// The pad rows at each end of a sequence: what `depth` layers reach.
    fn pad(&self) -> usize {
        self.window * self.layers.len()
    }

    /// `x` with `rows` rows of zeros before and after each sequence.
    fn padded(&self, x: &Ragged<Floats2<W>>, rows: usize) -> Ragged<Floats2<W>> {
        let lengths: Vec<usize> = x.lengths().iter().map(|n| n + 2 * rows).collect();
        let width = self.width.size();
        let mut padded = Vec::with_capacity(lengths.iter().sum::<usize>() * width);
        for range in x.ranges() {
            let end = padded.len() + (range.len() + 2 * rows) * width;
            padded.resize(padded.len() + rows * width, 0.0);
            padded.extend_from_slice(&x.data().values()[range.start * width..range.end * width]);
            padded.resize(end, 0.0);
        }
        self.sequences(padded, lengths)
    }

    /// `y` without `rows` rows at each end of each sequence (which has them).
    fn stripped(&self, y: &Ragged<Floats2<W>>, rows: usize) -> Ragged<Floats2<W>> {
        let lengths: Vec<usize> = y.lengths().iter().map(|n| n - 2 * rows).collect();
        let width = self.width.size();
        let mut kept = Vec::with_capacity(lengths.iter().sum::<usize>() * width);
        for range in y.ranges() {
            let inner = range.start + rows..range.end - rows;
            kept.extend_from_slice(&y.data().values()[inner.start * width..inner.end * width]);
        }
        self.sequences(kept, lengths)
    }

    /// Sequences of `lengths` rows of the encoder's width, their `values` row after row.
    fn sequences(&self, values: Vec<f32>, lengths: Vec<usize>) -> Ragged<Floats2<W>> {
        let rows = lengths.iter().sum();
        let values = Array2::from_shape_vec((rows, self.width.size()), values);
        Ragged::wrap(Floats2::wrap(values.expect("rows of the width")), lengths)
    }
}

impl<W: Dim> Params for MaxoutWindowEncoder<W> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.combinator(
            "maxout_window_encoder",
            &mut [&mut |walk| {
                for layer in &self.layers {
                    walk.child(|walk| layer.visit(walk));
                }
            }],
        );
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.combinator(
            "maxout_window_encoder",
            &mut [&mut |walk| {
                for layer in &mut self.layers {
                    walk.child(|walk| layer.visit_mut(walk));
                }
            }],
        );
    }
}

impl<W: Dim> Model for MaxoutWindowEncoder<W> {
    type In = Ragged<Floats2<W>>;
    type Out = Ragged<Floats2<W>>;

    fn begin_update<'a>(
        &'a self,
        x: Ragged<Floats2<W>>,
    ) -> (
        Ragged<Floats2<W>>,
        impl FnOnce(Ragged<Floats2<W>>) -> Ragged<Floats2<W>> + Send + 'a,
    ) {
        let mut h = self.padded(&x, self.pad());
        let mut backprops = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let (y, backprop) = layer.begin_update(h);
            backprops.push(backprop);
            h = self.stripped(&y, self.window);
        }
        let lengths = x.into_parts().1;
        let backprop = move |d_y: Ragged<Floats2<W>>| {
            check_sequences_gradient("maxout_window_encoder", &lengths, self.width, &d_y);
            let mut d_h = d_y;
            for backprop in backprops.into_iter().rev() {
                d_h = backprop(self.padded(&d_h, self.window));
            }
            self.stripped(&d_h, self.pad())
        };
        (h, backprop)
    }

    fn predict(&self, x: Ragged<Floats2<W>>) -> Ragged<Floats2<W>> {
        let mut h = self.padded(&x, self.pad());
        for layer in &self.layers {
            h = self.stripped(&layer.predict(h), self.window);
        }
        h
    }

    fn output_width(&self) -> Option<usize> {
        Some(self.width.size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::training::testing::draw_weights;
    use crate::training::{GradcheckOptions, gradcheck};

    fn sequences(lengths: Vec<usize>) -> Ragged<Floats2<Const<3>>> {
        let rows: usize = lengths.iter().sum();
        let values = (0..rows * 3).map(|i| ((i * 7 % 11) as f32 - 5.0) / 4.0);
        let data = ndarray::Array2::from_shape_vec((rows, 3), values.collect()).unwrap();
        Ragged::new(Floats2::new(data).unwrap(), lengths).unwrap()
    }

    #[test]
    fn maxout_window_encoder_gradients_match_finite_differences() {
        let mut encoder = MaxoutWindowEncoder::new(Const::<3>, 2, 1, 2);
        draw_weights(&mut encoder, "", 7);
        let x = sequences(vec![3, 0, 1, 2]);
        gradcheck(&mut encoder, &x, &GradcheckOptions::default()).unwrap();
    }

    /// Each sequence is encoded alone: a batch gives what its sequences give one by one.
    #[test]
    fn sequences_do_not_see_each_other() {
        let mut encoder = MaxoutWindowEncoder::new(Const::<3>, 3, 1, 3);
        draw_weights(&mut encoder, "", 3);
        let both = encoder.predict(sequences(vec![2, 3]));
        let x = sequences(vec![2, 3]);
        let second = Floats2::new(x.data().view().slice(ndarray::s![2.., ..]).to_owned());
        let alone = encoder.predict(Ragged::new(second.unwrap(), vec![3]).unwrap());
        let tail = both.data().view().slice(ndarray::s![2.., ..]).to_owned();
        assert_eq!(tail, alone.data().view());
    }

    /// The pad rows change what the edges see: in the second layer a token at an edge sees,
    /// beyond it, what the first layer made of the zeros, where a stack of windows over the
    /// bare sequence sees zeros. Rows that the pad rows' outputs do not reach are the same.
    #[test]
    fn the_edges_see_the_pad_rows_as_spacy_does() {
        let mut encoder = MaxoutWindowEncoder::new(Const::<3>, 2, 1, 2);
        draw_weights(&mut encoder, "", 11);
        let padded = encoder.predict(sequences(vec![4]));
        let bare = (encoder.layers.iter()).fold(sequences(vec![4]), |h, layer| layer.predict(h));
        let (padded, bare) = (padded.data().view(), bare.data().view());
        let differ = |i: usize| {
            let rows = padded.row(i).into_iter().zip(bare.row(i));
            rows.map(|(a, b)| (a - b).abs()).fold(0.0, f32::max)
        };
        assert!(
            differ(0) > 1e-3 && differ(3) > 1e-3,
            "{padded} against {bare}"
        );
        assert!(
            differ(1) < 1e-6 && differ(2) < 1e-6,
            "{padded} against {bare}"
        );
    }
}
