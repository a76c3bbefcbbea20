//! Losses: each returns the gradient with respect to the model's output and the true log-loss.
//!
//! [`CategoricalCrossentropy`] takes class probabilities (one row per example) and
//! [`SequenceCategoricalCrossentropy`] per-token probabilities of ragged sequences. Both return
//! `dL/dp = -1 / (N p_t)` at each row's true class `t` (zero elsewhere), `N` being the number of
//! rows, for the mean loss `L = -mean(ln p_t)`. Backpropagated through
//! [`Softmax`](crate::layers::Softmax), whose backprop is the true Jacobian, this becomes exactly
//! `(p - y) / N`, the gradient with respect to the logits; any other output layer gets the
//! correct gradient too.
//!
//! Both check, as they read them, that the inputs are probabilities: every value finite and in
//! `[0, 1]`, every row summing to 1 within [`SUM_TOLERANCE`] (a softmax's rows do, to about
//! `1e-6`). An output layer without a softmax (a linear one, say) gets an error naming the
//! first value or row that is not, rather than a loss of `-ln` of a floor.
//!
//! [`BinaryCrossentropy`] takes independent probabilities, one per class (multi-label
//! classification, the output of [`Sigmoid`](crate::layers::Sigmoid)), against targets in
//! `[0, 1]`, and checks both in the same way (the rows need not sum to 1).

use ndarray::{ArrayView2, ArrayViewMut2};

use crate::data::{Dim, Floats2, Ragged};

use crate::error::{Error, Result};

/// Mean cross-entropy of class probabilities against class indices.
///
/// ```
/// use weft_runtime::{Const, Floats2, losses::CategoricalCrossentropy};
/// let probs = Floats2::<Const<2>>::from_rows(&[[0.25, 0.75], [0.5, 0.5]]);
/// let (d_probs, loss) = CategoricalCrossentropy.get_grad(&probs, &[1, 0]).unwrap();
/// assert!((loss - (-(0.75f32.ln() + 0.5f32.ln()) / 2.0)).abs() < 1e-6);
/// assert!((d_probs.view()[[0, 1]] + 1.0 / (2.0 * 0.75)).abs() < 1e-6);
/// assert!(CategoricalCrossentropy.get_grad(&probs, &[1, 2]).is_err());
/// ```
#[derive(Copy, Clone, Debug, Default)]
pub struct CategoricalCrossentropy;

impl CategoricalCrossentropy {
    /// The gradient `dL/dp` and the mean log-loss of `probs` (one row per example) for the
    /// classes `truths`. An error when the counts differ, a class is out of range, the batch is
    /// empty, or a row is not probabilities (see the module doc).
    pub fn get_grad<W: Dim>(
        &self,
        probs: &Floats2<W>,
        truths: &[usize],
    ) -> Result<(Floats2<W>, f32)> {
        if truths.len() != probs.rows() {
            return Err(Error::shape(
                "categorical cross-entropy truths",
                format!("one class per row, {} rows", probs.rows()),
                format!("{} classes", truths.len()),
            ));
        }
        let mut d_probs = Floats2::zeros(probs.rows(), probs.width());
        let loss = cross_entropy(probs.view(), truths, d_probs.view_mut())?;
        Ok((d_probs, loss))
    }
}

/// Mean per-token cross-entropy of ragged sequences of class probabilities (a tagger's output).
///
/// ```
/// use weft_runtime::{Const, Floats2, Ragged, losses::SequenceCategoricalCrossentropy};
/// let rows = Floats2::<Const<2>>::from_rows(&[[0.5, 0.5], [0.1, 0.9], [0.8, 0.2]]);
/// let probs = Ragged::new(rows, vec![2, 1]).unwrap();
/// let (d_probs, loss) = SequenceCategoricalCrossentropy
///     .get_grad(&probs, &[vec![0, 1], vec![0]])
///     .unwrap();
/// assert_eq!(d_probs.lengths(), &[2, 1]);
/// assert!((loss - -(0.5f32.ln() + 0.9f32.ln() + 0.8f32.ln()) / 3.0).abs() < 1e-6);
/// ```
#[derive(Copy, Clone, Debug, Default)]
pub struct SequenceCategoricalCrossentropy;

impl SequenceCategoricalCrossentropy {
    /// The gradient `dL/dp` and the mean log-loss over all tokens of `probs` for the classes
    /// `truths` (one list per sequence). An error when a sequence's length differs, a class is
    /// out of range, there are no tokens, or a row is not probabilities (see the module doc).
    pub fn get_grad<W: Dim, T: AsRef<[usize]>>(
        &self,
        probs: &Ragged<Floats2<W>>,
        truths: &[T],
    ) -> Result<(Ragged<Floats2<W>>, f32)> {
        if truths.len() != probs.len() {
            return Err(Error::shape(
                "sequence cross-entropy truths",
                format!("{} sequences", probs.len()),
                format!("{} sequences", truths.len()),
            ));
        }
        let mut flat = Vec::with_capacity(probs.data().rows());
        for (i, (truth, &len)) in truths.iter().zip(probs.lengths()).enumerate() {
            let truth = truth.as_ref();
            if truth.len() != len {
                return Err(Error::shape(
                    format!("sequence cross-entropy truths of sequence {i}"),
                    format!("{len} tokens"),
                    format!("{} tags", truth.len()),
                ));
            }
            flat.extend_from_slice(truth);
        }
        let mut d_probs = Floats2::zeros(probs.data().rows(), probs.data().width());
        let loss = cross_entropy(probs.data().view(), &flat, d_probs.view_mut())?;
        Ok((Ragged::wrap(d_probs, probs.lengths().to_vec()), loss))
    }
}

/// Mean binary cross-entropy of independent class probabilities against targets, over every
/// example and class: with `N` rows of `C` classes,
/// `L = -Σ (y ln p + (1 - y) ln(1 - p)) / (N C)` and `dL/dp = (p - y) / (p (1 - p) N C)`.
/// Backpropagated through [`Sigmoid`](crate::layers::Sigmoid), this is exactly `(p - y) / (N C)`,
/// the gradient with respect to the logits. `p` and `1 - p` are floored at the smallest normal
/// `f32`, so that a probability of 0 or 1 gives a large finite loss and gradient, not infinity;
/// the loss is summed in `f64`.
///
/// ```
/// use weft_runtime::{Const, Floats2, losses::BinaryCrossentropy};
/// let probs = Floats2::<Const<2>>::from_rows(&[[0.25, 0.5]]);
/// let truths = Floats2::from_rows(&[[0.0, 1.0]]);
/// let (d_probs, loss) = BinaryCrossentropy.get_grad(&probs, &truths).unwrap();
/// assert!((loss - -(0.75f32.ln() + 0.5f32.ln()) / 2.0).abs() < 1e-6);
/// assert!((d_probs.view()[[0, 0]] - 0.25 / (0.25 * 0.75 * 2.0)).abs() < 1e-6);
/// ```
#[derive(Copy, Clone, Debug, Default)]
pub struct BinaryCrossentropy;

impl BinaryCrossentropy {
    /// The gradient `dL/dp` and the mean log-loss of `probs` for the targets `truths` (`1.0`
    /// where an example has a class, `0.0` where it has not; values between are soft targets),
    /// of the shape of `probs` (the width may be a `Const` in one and a `usize` in the other).
    /// An error when the shapes differ, the batch is empty, or a probability or target is not
    /// finite or not in `[0, 1]`.
    pub fn get_grad<W: Dim, V: Dim>(
        &self,
        probs: &Floats2<W>,
        truths: &Floats2<V>,
    ) -> Result<(Floats2<W>, f32)> {
        let (shape, truths_shape) = (probs.view().dim(), truths.view().dim());
        if truths_shape != shape {
            return Err(Error::shape(
                "binary cross-entropy truths",
                format!("the shape of the probabilities, {shape:?}"),
                format!("{truths_shape:?}"),
            ));
        }
        if probs.rows() == 0 {
            return Err(Error::shape(
                "binary cross-entropy batch",
                "at least one row",
                "no rows",
            ));
        }
        let count = (probs.rows() * probs.width().size()) as f64;
        let mut d_probs = Floats2::zeros(probs.rows(), probs.width());
        let mut loss = 0.0f64;
        let (probs, truths) = (probs.view(), truths.view());
        let entries = probs.indexed_iter().zip(truths).zip(d_probs.view_mut());
        for ((((row, col), &p), &y), d) in entries {
            for (what, v) in [("probability", p), ("target", y)] {
                let what = || format!("{what} [{row}, {col}]");
                if !v.is_finite() {
                    return Err(Error::NonFinite { what: what() });
                }
                if !(0.0..=1.0).contains(&v) {
                    return Err(Error::out_of_range(what(), "in [0, 1]", v));
                }
            }
            let (y, p) = (f64::from(y), f64::from(p));
            let floor = f64::from(f32::MIN_POSITIVE);
            let (p, q) = (p.max(floor), (1.0 - p).max(floor));
            loss -= y * p.ln() + (1.0 - y) * q.ln();
            *d = ((p - y) / (p * q * count)) as f32;
        }
        Ok((d_probs, (loss / count) as f32))
    }
}

/// How far from 1 the sum of a row of probabilities may be.
pub const SUM_TOLERANCE: f64 = 1e-3;

/// Writes `-1 / (N p_t)` into `d_probs` at every row's true class; returns `-mean(ln p_t)`.
/// An error for the first row that is not probabilities.
fn cross_entropy(
    probs: ArrayView2<'_, f32>,
    truths: &[usize],
    mut d_probs: ArrayViewMut2<'_, f32>,
) -> Result<f32> {
    let n = probs.nrows();
    if n == 0 {
        return Err(Error::shape(
            "cross-entropy batch",
            "at least one row",
            "no rows",
        ));
    }
    let classes = probs.ncols();
    let mut loss = 0.0f64;
    for (row, (p, &truth)) in probs.rows().into_iter().zip(truths).enumerate() {
        let mut sum = 0.0f64;
        for (col, &v) in p.iter().enumerate() {
            let what = || format!("probability [{row}, {col}]");
            if !v.is_finite() {
                return Err(Error::NonFinite { what: what() });
            }
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::out_of_range(what(), "in [0, 1]", v));
            }
            sum += f64::from(v);
        }
        if truth >= classes {
            return Err(Error::Label {
                what: format!("truth of row {row}"),
                label: truth,
                classes,
            });
        }
        if (sum - 1.0).abs() > SUM_TOLERANCE {
            let what = format!("the sum of the probabilities of row {row}");
            return Err(Error::out_of_range(
                what,
                format!("1 within {SUM_TOLERANCE}"),
                sum,
            ));
        }
        let p_t = p[truth].max(f32::MIN_POSITIVE);
        loss -= f64::from(p_t.ln());
        d_probs[[row, truth]] = -1.0 / (n as f32 * p_t);
    }
    Ok((loss / n as f64) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::layers::{Sigmoid, Softmax};
    use crate::model::{Model, Params};
    use crate::training::testing::grad_of;

    #[test]
    fn through_softmax_the_gradient_is_p_minus_y_over_n() {
        // Softmax with zero weights and a bias: the bias gradient is the logit gradient.
        let layer = Softmax::new(Const::<1>, Const::<3>);
        let x = Floats2::from_rows(&[[1.0], [2.0]]);
        let (p, backprop) = layer.begin_update(x);
        let truths = [2, 0];
        let (d_p, loss) = CategoricalCrossentropy.get_grad(&p, &truths).unwrap();
        backprop(d_p);
        let d_logits = grad_of(&layer, "0.softmax.b");
        // Σ over rows of (p - y) / 2, with p = 1/3 everywhere.
        let expected = [
            (1.0 / 3.0 - 1.0 + 1.0 / 3.0) / 2.0,
            (2.0 / 3.0) / 2.0,
            (1.0 / 3.0 - 1.0 + 1.0 / 3.0) / 2.0,
        ];
        for (g, e) in d_logits.iter().zip(expected) {
            assert!((g - e).abs() < 1e-6, "{d_logits:?} vs {expected:?}");
        }
        assert!((loss - 3.0f32.ln()).abs() < 1e-6);
    }

    #[test]
    fn saturated_probabilities_keep_the_exact_gradient() {
        // The true class underflows: the loss caps at -ln(f32::MIN_POSITIVE) and the gradient
        // through the softmax is still p - y.
        let p = Floats2::<Const<2>>::from_rows(&[[1.0, f32::MIN_POSITIVE]]);
        let (mut d, loss) = CategoricalCrossentropy.get_grad(&p, &[1]).unwrap();
        assert!(loss.is_finite() && loss > 87.0);
        let y = p.view().to_owned();
        crate::kernels::ops::softmax_backward_in_place(
            y.as_slice().unwrap(),
            d.view_mut().as_slice_mut().unwrap(),
        );
        assert!((d.view()[[0, 0]] - 1.0).abs() < 1e-6);
        assert!((d.view()[[0, 1]] + 1.0).abs() < 1e-6);
    }

    #[test]
    fn binary_cross_entropy_is_the_mean_over_examples_and_classes() {
        // The same in PyTorch:
        //   p = torch.tensor([[0.25, 0.75, 0.5], [0.9, 0.1, 0.6]], requires_grad=True)
        //   y = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
        //   loss = torch.nn.functional.binary_cross_entropy(p, y); loss.backward()
        //   loss.item(), p.grad
        // By hand: the six terms -ln 0.75, -ln 0.75, -ln 0.5, -ln 0.9, -ln 0.9 and
        // -(ln 0.6 + ln 0.4) / 2 sum to 2.192790535, over 6; each gradient is
        // (p - y) / (p (1 - p) · 6).
        let p = Floats2::<Const<3>>::from_rows(&[[0.25, 0.75, 0.5], [0.9, 0.1, 0.6]]);
        let y = Floats2::from_rows(&[[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]]);
        let (d_p, loss) = BinaryCrossentropy.get_grad(&p, &y).unwrap();
        assert!((loss - 0.365_465_1).abs() < 1e-6, "{loss}");
        let expected = [
            [2.0 / 9.0, -2.0 / 9.0, -1.0 / 3.0],
            [-5.0 / 27.0, 5.0 / 27.0, 5.0 / 72.0],
        ];
        for (found, expected) in d_p.view().iter().zip(expected.as_flattened()) {
            assert!((found - expected).abs() < 1e-6, "{d_p:?}");
        }
    }

    #[test]
    fn through_sigmoid_the_binary_gradient_is_p_minus_y_over_n_c_even_when_saturated() {
        // Zero weights and a bias: the bias gradient is the logit gradient, summed over rows.
        let mut layer = Sigmoid::new(Const::<1>, Const::<2>);
        layer
            .for_each_param_mut(&mut |path, p| {
                if path.ends_with(".b") {
                    p.value_mut().copy_from_slice(&[0.0, 40.0]);
                }
            })
            .unwrap();
        let (p, backprop) = layer.begin_update(Floats2::from_rows(&[[1.0]]));
        let y = Floats2::from_rows(&[[1.0, 0.0]]);
        let (d_p, loss) = BinaryCrossentropy.get_grad(&p, &y).unwrap();
        backprop(d_p);
        let d_logits = grad_of(&layer, "0.sigmoid.b");
        // σ(40) rounds to 1 - 2⁻²⁴: the loss is finite and the gradient still (p - y) / 2.
        assert!(
            (d_logits[0] - (0.5 - 1.0) / 2.0).abs() < 1e-6,
            "{d_logits:?}"
        );
        assert!((d_logits[1] - 0.5).abs() < 1e-6, "{d_logits:?}");
        assert!(loss.is_finite() && loss > 8.0, "{loss}");
    }

    #[test]
    fn bad_binary_inputs_are_errors_that_say_where() {
        let p = Floats2::<Const<2>>::from_rows(&[[0.5, 0.5], [f32::NAN, 0.5]]);
        let y = Floats2::from_rows(&[[0.0, 1.0], [1.0, 0.0]]);
        let message = |p: &Floats2<Const<2>>, y: &Floats2<Const<2>>| {
            BinaryCrossentropy.get_grad(p, y).unwrap_err().to_string()
        };
        assert_eq!(message(&p, &y), "probability [1, 0] is not finite");
        let p = Floats2::from_rows(&[[0.5, 1.5]]);
        let y = Floats2::from_rows(&[[0.0, 1.0]]);
        assert_eq!(
            message(&p, &y),
            "probability [0, 1] must be in [0, 1], found 1.5"
        );
        let p = Floats2::from_rows(&[[0.5, 0.5]]);
        let y = Floats2::from_rows(&[[2.0, 1.0]]);
        assert_eq!(message(&p, &y), "target [0, 0] must be in [0, 1], found 2");
        let two_rows = Floats2::from_rows(&[[0.0, 1.0], [1.0, 0.0]]);
        assert_eq!(
            message(&p, &two_rows),
            "binary cross-entropy truths: expected the shape of the probabilities, (1, 2), \
             found (2, 2)"
        );
        let empty = Floats2::<Const<2>>::zeros(0, Const);
        assert!(BinaryCrossentropy.get_grad(&empty, &empty).is_err());
    }

    #[test]
    fn bad_inputs_are_errors_that_say_where() {
        let p = Floats2::<Const<2>>::from_rows(&[[0.5, 0.5], [f32::NAN, 0.5]]);
        let err = CategoricalCrossentropy.get_grad(&p, &[0, 1]).unwrap_err();
        assert_eq!(err.to_string(), "probability [1, 0] is not finite");
        let err = CategoricalCrossentropy.get_grad(&p, &[0]).unwrap_err();
        assert!(err.to_string().contains("2 rows"), "{err}");
        let not_probabilities = [
            (
                [0.5, 0.5],
                [-0.25, 1.25],
                "probability [1, 0] must be in [0, 1], found -0.25",
            ),
            (
                [0.5, 0.5],
                [0.5, 1.5],
                "probability [1, 1] must be in [0, 1], found 1.5",
            ),
            (
                [0.5, 0.25],
                [0.5, 0.5],
                "the sum of the probabilities of row 0 must be 1 within 0.001, found 0.75",
            ),
        ];
        for (first, second, message) in not_probabilities {
            let p = Floats2::<Const<2>>::from_rows(&[first, second]);
            let err = CategoricalCrossentropy.get_grad(&p, &[0, 1]).unwrap_err();
            assert_eq!(err.to_string(), message);
            let seqs = Ragged::new(p, vec![2]).unwrap();
            let err = SequenceCategoricalCrossentropy
                .get_grad(&seqs, &[vec![0, 1]])
                .unwrap_err();
            assert_eq!(err.to_string(), message);
        }
        let empty = Floats2::<Const<2>>::zeros(0, Const);
        assert!(CategoricalCrossentropy.get_grad(&empty, &[]).is_err());
        let seqs = Ragged::new(Floats2::<Const<2>>::from_rows(&[[0.5, 0.5]]), vec![1]).unwrap();
        let err = SequenceCategoricalCrossentropy
            .get_grad(&seqs, &[vec![0, 1]])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "sequence cross-entropy truths of sequence 0: expected 1 tokens, found 2 tags"
        );
    }
}
