//! [`ExpandWindow`]: each token's vector side by side with those of its neighbours, one step
//! of a convolution (Thinc's `expand_window`).
//!
//! Shapes: `Ragged<Floats2<I>>` → `Ragged<Floats2<O>>`, the same sequences, with
//! `O = (2n + 1)·I` for a window of `n` tokens on each side. No parameters.
//! `y[t] = [x[t - n]; …; x[t - 1]; x[t]; x[t + 1]; …; x[t + n]]`, where a neighbour beyond
//! either end of the token's own sequence is zeros. Backprop: each token's gradient is the sum
//! of the parts of the output gradient that copied it. The output is built in one pass, a copy
//! per token; empty sequences and empty batches give empty outputs.

use super::boundary::{check_sequences_gradient, check_width};
use crate::data::{Dim, Floats2, Ragged, Values};
use crate::kernels::ops::{backprop_seq2col, seq2col};
use crate::model::{Model, Params, Visit, VisitMut};

/// Each token's vector with its `window` neighbours on each side.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Ragged, layers::ExpandWindow};
/// let layer = ExpandWindow::<_, Const<6>>::new(Const::<2>, 1);
/// let x = Ragged::new(Floats2::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), vec![2, 1])?;
/// let y = layer.predict(x);
/// assert_eq!(y.lengths(), &[2, 1]);
/// assert_eq!(
///     y.data(),
///     &Floats2::from_rows(&[
///         [0.0, 0.0, 1.0, 2.0, 3.0, 4.0],
///         [1.0, 2.0, 3.0, 4.0, 0.0, 0.0],
///         [0.0, 0.0, 5.0, 6.0, 0.0, 0.0],
///     ])
/// );
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub struct ExpandWindow<I: Dim, O: Dim> {
    n_in: I,
    n_out: O,
    window: usize,
}

impl<I: Dim, O: Dim> ExpandWindow<I, O> {
    /// Windows of `window` tokens on each side of rows `n_in` wide.
    ///
    /// # Panics
    /// When `O` is a constant other than `(2·window + 1)·n_in`, or that width is more than
    /// `usize` counts.
    pub fn new(n_in: I, window: usize) -> Self {
        let (width, wide) = (n_in.size(), 2u128 * window as u128 + 1);
        let Some(out) = usize::try_from(wide * width as u128).ok() else {
            panic!(
                "expand_window: a window of {window} of rows of width {width} is wider than usize counts"
            )
        };
        let Some(n_out) = O::from_size(out) else {
            panic!(
                "expand_window: a window of {window} on each side of rows of width {width} \
                 outputs rows of width {out}, not {}",
                O::CONST.unwrap_or(out)
            )
        };
        ExpandWindow {
            n_in,
            n_out,
            window,
        }
    }

    /// The tokens on each side of a token in its window.
    pub fn window(&self) -> usize {
        self.window
    }
}

impl<I: Dim, O: Dim> Params for ExpandWindow<I, O> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("expand_window", |walk| {
            walk.attr("n_in", &self.n_in.size());
            walk.attr("window", &self.window);
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("expand_window", |_| {});
    }
}

impl<I: Dim, O: Dim> Model for ExpandWindow<I, O> {
    type In = Ragged<Floats2<I>>;
    type Out = Ragged<Floats2<O>>;

    fn begin_update<'a>(
        &'a self,
        x: Ragged<Floats2<I>>,
    ) -> (
        Ragged<Floats2<O>>,
        impl FnOnce(Ragged<Floats2<O>>) -> Ragged<Floats2<I>> + Send + 'a,
    ) {
        let y = self.predict(x);
        let lengths = y.lengths().to_vec();
        let backprop = move |d_y: Ragged<Floats2<O>>| {
            check_sequences_gradient("expand_window", &lengths, self.n_out, &d_y);
            let mut d_x = Floats2::zeros(d_y.data().rows(), self.n_in);
            let width = self.n_in.size();
            let d_out = d_y.data().values();
            backprop_seq2col(d_out, width, &lengths, self.window, d_x.values_mut());
            Ragged::wrap(d_x, lengths)
        };
        (y, backprop)
    }

    fn predict(&self, x: Ragged<Floats2<I>>) -> Ragged<Floats2<O>> {
        check_width("expand_window", self.n_in, x.data().width());
        let (x, lengths) = x.into_parts();
        let y = seq2col(x.values(), self.n_in.size(), &lengths, self.window);
        let y = ndarray::Array2::from_shape_vec((x.rows(), self.n_out.size()), y);
        Ragged::wrap(Floats2::wrap(y.expect("a row per token")), lengths)
    }

    fn output_width(&self) -> Option<usize> {
        Some(self.n_out.size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::training::testing::random_ragged;
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn expand_window_gradients_match_finite_differences() {
        for window in [1, 2] {
            let mut layer = ExpandWindow::<_, usize>::new(Const::<3>, window);
            let x = random_ragged::<3>(&[4, 0, 1, 2, 3], 7);
            gradcheck(&mut layer, &x, &GradcheckOptions::default()).unwrap();
        }
    }

    #[test]
    fn a_window_wider_than_the_sequence_sees_the_whole_sequence_and_zeros() {
        let layer = ExpandWindow::<_, Const<5>>::new(Const::<1>, 2);
        let x = Ragged::new(Floats2::from_rows(&[[1.0], [2.0], [3.0]]), vec![2, 0, 1]).unwrap();
        let y = layer.predict(x);
        assert_eq!(y.lengths(), &[2, 0, 1]);
        let expected = Floats2::from_rows(&[
            [0.0, 0.0, 1.0, 2.0, 0.0],
            [0.0, 1.0, 2.0, 0.0, 0.0],
            [0.0, 0.0, 3.0, 0.0, 0.0],
        ]);
        assert_eq!(y.data(), &expected);
    }

    #[test]
    fn each_token_gets_the_gradient_of_every_copy_of_it() {
        let layer = ExpandWindow::<_, Const<3>>::new(Const::<1>, 1);
        let x = Ragged::new(Floats2::from_rows(&[[1.0], [2.0], [3.0]]), vec![3]).unwrap();
        let (_, backprop) = layer.begin_update(x);
        let d_y = Floats2::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]);
        let d_x = backprop(Ragged::new(d_y, vec![3]).unwrap());
        // Token 0 is the middle of row 0 and the left of row 1: 2 + 4; and so on.
        assert_eq!(d_x.data(), &Floats2::from_rows(&[[6.0], [15.0], [14.0]]));
    }

    #[test]
    fn an_empty_batch_gives_an_empty_batch() {
        let layer = ExpandWindow::<_, usize>::new(Const::<2>, 1);
        let empty = Ragged::new(Floats2::<Const<2>>::zeros(0, Const), vec![]).unwrap();
        let (y, backprop) = layer.begin_update(empty);
        assert_eq!((y.data().rows(), y.data().width()), (0, 6));
        assert_eq!(backprop(y).data().rows(), 0);
    }

    #[test]
    fn a_saved_window_loads_into_the_same_window_only() {
        let saved = ExpandWindow::<_, usize>::new(Const::<2>, 1)
            .to_bytes()
            .unwrap();
        let mut same = ExpandWindow::<_, usize>::new(Const::<2>, 1);
        same.from_bytes(&saved).unwrap();
        let err = ExpandWindow::<_, usize>::new(Const::<2>, 2)
            .from_bytes(&saved)
            .unwrap_err();
        assert!(err.to_string().contains("window"), "{err}");
    }

    #[test]
    #[should_panic(expected = "expand_window: a window of 1 on each side of rows of width 2")]
    fn a_constant_output_width_of_another_window_is_refused() {
        let _ = ExpandWindow::<_, Const<4>>::new(Const::<2>, 1);
    }
}
