//! [`Align`]: soft alignment of the two sides of pairs, then an element-wise comparison of
//! each token with what it aligns to: the "attend" and "compare" steps of decomposable
//! attention (Parikh et al. 2016), without parameters.
//!
//! Shapes: `Pairs<Ragged<Floats2<W>>>` → `Pairs<Ragged<Floats2<O>>>`, the same lengths, with
//! `O = W × (2 + difference + product)`. For a pair whose first side has rows `a_i` and second
//! side rows `b_j`: scores `e_ij = a_i · b_j`; each token attends over the tokens of the other
//! side, `β_i = Σ_j softmax_j(e_ij) b_j` and `α_j = Σ_i softmax_i(e_ij) a_i`. A first-side
//! token comes out as `[a_i; β_i]`, followed by `a_i - β_i` with `difference` and by
//! `a_i ⊙ β_i` with `product`; a second-side token as `[b_j; α_j; ...]` alike. A side facing an
//! empty side aligns to zeros.
//!
//! Backprop, with `P = softmax_j(E)` and `Q = softmax_i(E)` (so `β = P B`, `α = Qᵀ A`): the
//! comparison gives `dA`, `dβ` (and `dB`, `dα`) from the output's gradient; then
//! `dB += Pᵀ dβ`, `dA += Q dα`, `dE = P ⊙ (dP - rowsum(dP ⊙ P)) + Q ⊙ (dQ - colsum(dQ ⊙ Q))`
//! with `dP = dβ Bᵀ`, `dQ = A dαᵀ`, and `dA += dE B`, `dB += dEᵀ A`.

use std::marker::PhantomData;
use std::ops::Range;

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis, s};

use super::boundary::{check_sequences_gradient, check_width};
use crate::data::{Dim, Floats2, Pairs, Ragged};
use crate::kernels::ops::softmax_in_place;
use crate::model::{Model, Params, Visit, VisitMut};

/// Soft alignment of the two sides of pairs, and the comparison of each token with its
/// aligned vector.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Pairs, Ragged, layers::Align};
/// let premise = Ragged::new(Floats2::from_rows(&[[1.0, 0.0], [0.0, 1.0]]), vec![2])?;
/// let hypothesis = Ragged::new(Floats2::from_rows(&[[3.0, 4.0]]), vec![1])?;
/// let align = Align::<_, Const<6>>::new(Const::<2>, true, false);
/// let (premise, hypothesis) = align.predict(Pairs::new(premise, hypothesis)?).into_sides();
/// // A one-token side is what every token of the other side aligns to: [a; β; a - β].
/// assert_eq!(premise.data().view().row(0).to_vec(), [1.0, 0.0, 3.0, 4.0, -2.0, -4.0]);
/// // The hypothesis token aligns to the premise's tokens weighted by softmax(3, 4).
/// let weight = 1.0 / (1.0 + (-1.0f32).exp());
/// let aligned = hypothesis.data().view().row(0).to_vec();
/// assert!((aligned[3] - weight).abs() < 1e-6);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub struct Align<W: Dim, O: Dim> {
    width: W,
    difference: bool,
    product: bool,
    out: PhantomData<fn() -> O>,
}

/// What the backward pass needs of one pair: where its sides are, the attention weights
/// `P` (first side over second) and `Qᵀ` (second over first), and the aligned vectors.
struct Alignment {
    first: Range<usize>,
    second: Range<usize>,
    p: Array2<f32>,
    q_t: Array2<f32>,
    beta: Array2<f32>,
    alpha: Array2<f32>,
}

impl<W: Dim, O: Dim> Align<W, O> {
    /// Alignment of rows of width `width`, each token compared with its aligned vector by
    /// concatenation, then by `difference` and by `product` when they are set.
    ///
    /// # Panics
    /// When `O` is a constant other than `width × (2 + difference + product)`: `model!` works
    /// it out, and a network built by hand names it.
    pub fn new(width: W, difference: bool, product: bool) -> Self {
        let parts = 2 + usize::from(difference) + usize::from(product);
        let out = width.size() * parts;
        assert!(
            O::from_size(out).is_some(),
            "align: the output width must be {parts} × {} = {out}, not {}",
            width.size(),
            O::CONST.unwrap_or(out)
        );
        Align {
            width,
            difference,
            product,
            out: PhantomData,
        }
    }

    fn out_width(&self) -> O {
        let parts = 2 + usize::from(self.difference) + usize::from(self.product);
        O::from_size(self.width.size() * parts).expect("checked when built")
    }

    /// The compared rows of every side, and each pair's alignment.
    fn forward(&self, x: &Pairs<Ragged<Floats2<W>>>) -> (Floats2<O>, Vec<Alignment>) {
        let sides = x.sides();
        check_width("align", self.width, sides.data().width());
        let rows = sides.data().view();
        let ranges: Vec<Range<usize>> = sides.ranges().collect();
        let mut y = Array2::zeros((rows.nrows(), self.out_width().size()));
        let (firsts, seconds) = ranges.split_at(x.len());
        let alignments = firsts
            .iter()
            .zip(seconds)
            .map(|(first, second)| {
                let a = rows.slice(s![first.clone(), ..]);
                let b = rows.slice(s![second.clone(), ..]);
                let p = softmax_rows(a.dot(&b.t()));
                let q_t = softmax_rows(b.dot(&a.t()));
                let (beta, alpha) = (p.dot(&b), q_t.dot(&a));
                self.compare(y.slice_mut(s![first.clone(), ..]), a, beta.view());
                self.compare(y.slice_mut(s![second.clone(), ..]), b, alpha.view());
                let (first, second) = (first.clone(), second.clone());
                Alignment {
                    first,
                    second,
                    p,
                    q_t,
                    beta,
                    alpha,
                }
            })
            .collect();
        (Floats2::wrap(y), alignments)
    }

    /// Writes `[x; aligned]`, then `x - aligned` and `x ⊙ aligned` as set, into `out`.
    fn compare(
        &self,
        mut out: ArrayViewMut2<'_, f32>,
        x: ArrayView2<'_, f32>,
        aligned: ArrayView2<'_, f32>,
    ) {
        let w = self.width.size();
        out.slice_mut(s![.., ..w]).assign(&x);
        out.slice_mut(s![.., w..2 * w]).assign(&aligned);
        let mut next = 2 * w;
        if self.difference {
            out.slice_mut(s![.., next..next + w])
                .assign(&(&x - &aligned));
            next += w;
        }
        if self.product {
            out.slice_mut(s![.., next..next + w])
                .assign(&(&x * &aligned));
        }
    }

    /// The gradients of `x` and of `aligned` for `d_out`, the gradient of [`compare`]'s rows.
    ///
    /// [`compare`]: Self::compare
    fn uncompare(
        &self,
        d_out: ArrayView2<'_, f32>,
        x: ArrayView2<'_, f32>,
        aligned: ArrayView2<'_, f32>,
    ) -> (Array2<f32>, Array2<f32>) {
        let w = self.width.size();
        let mut d_x = d_out.slice(s![.., ..w]).to_owned();
        let mut d_aligned = d_out.slice(s![.., w..2 * w]).to_owned();
        let mut next = 2 * w;
        if self.difference {
            let d = d_out.slice(s![.., next..next + w]);
            d_x += &d;
            d_aligned -= &d;
            next += w;
        }
        if self.product {
            let d = d_out.slice(s![.., next..next + w]);
            d_x += &(&d * &aligned);
            d_aligned += &(&d * &x);
        }
        (d_x, d_aligned)
    }

    /// The gradient of the input rows for `d_y`, the gradient of the output rows.
    fn backward(
        &self,
        x: &Pairs<Ragged<Floats2<W>>>,
        alignments: &[Alignment],
        d_y: &Floats2<O>,
    ) -> Floats2<W> {
        let rows = x.sides().data().view();
        let d_y = d_y.view();
        let mut d_x = Array2::zeros(rows.raw_dim());
        for pair in alignments {
            let (first, second) = (pair.first.clone(), pair.second.clone());
            let (a, b) = (
                rows.slice(s![first.clone(), ..]),
                rows.slice(s![second.clone(), ..]),
            );
            let d_first = d_y.slice(s![first.clone(), ..]);
            let d_second = d_y.slice(s![second.clone(), ..]);
            let (mut d_a, d_beta) = self.uncompare(d_first, a, pair.beta.view());
            let (mut d_b, d_alpha) = self.uncompare(d_second, b, pair.alpha.view());
            d_b += &pair.p.t().dot(&d_beta);
            d_a += &pair.q_t.t().dot(&d_alpha);
            let d_e = softmax_rows_backward(&pair.p, d_beta.dot(&b.t()));
            let d_e_t = softmax_rows_backward(&pair.q_t, d_alpha.dot(&a.t()));
            let d_e = d_e + d_e_t.t();
            d_a += &d_e.dot(&b);
            d_b += &d_e.t().dot(&a);
            d_x.slice_mut(s![first, ..]).assign(&d_a);
            d_x.slice_mut(s![second, ..]).assign(&d_b);
        }
        Floats2::wrap(d_x)
    }
}

/// Softmax of each row of `scores`, in place.
fn softmax_rows(mut scores: Array2<f32>) -> Array2<f32> {
    let width = scores.ncols();
    softmax_in_place(scores.as_slice_mut().expect("a new product"), width);
    scores
}

/// The gradient of a row-wise softmax's scores: `s ⊙ (d - rowsum(d ⊙ s))` for its output `s`
/// and the output's gradient `d`.
fn softmax_rows_backward(s: &Array2<f32>, mut d: Array2<f32>) -> Array2<f32> {
    let mean = (&d * s).sum_axis(Axis(1)).insert_axis(Axis(1));
    d -= &mean;
    d *= s;
    d
}

impl<W: Dim, O: Dim> Params for Align<W, O> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("align", |walk| {
            walk.attr("width", &self.width.size());
            walk.attr("difference", &self.difference);
            walk.attr("product", &self.product);
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("align", |_| {});
    }
}

impl<W: Dim, O: Dim> Model for Align<W, O> {
    type In = Pairs<Ragged<Floats2<W>>>;
    type Out = Pairs<Ragged<Floats2<O>>>;

    fn begin_update<'a>(
        &'a self,
        x: Self::In,
    ) -> (Self::Out, impl FnOnce(Self::Out) -> Self::In + Send + 'a) {
        let (y, alignments) = self.forward(&x);
        let lengths = x.sides().lengths().to_vec();
        let y = Pairs::wrap(Ragged::wrap(y, lengths), x.len());
        let backprop = move |d_y: Self::Out| {
            let (d_y, _) = d_y.into_parts();
            let lengths = x.sides().lengths();
            check_sequences_gradient("align", lengths, self.out_width(), &d_y);
            let d_x = self.backward(&x, &alignments, d_y.data());
            let (sides, pairs) = x.into_parts();
            Pairs::wrap(Ragged::wrap(d_x, sides.into_parts().1), pairs)
        };
        (y, backprop)
    }

    fn predict(&self, x: Self::In) -> Self::Out {
        let (y, _) = self.forward(&x);
        let (sides, pairs) = x.into_parts();
        Pairs::wrap(Ragged::wrap(y, sides.into_parts().1), pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::training::testing::random_ragged;
    use crate::training::{GradcheckOptions, gradcheck};

    /// Pairs of different lengths, one facing an empty side and one empty on both.
    fn pairs() -> Pairs<Ragged<Floats2<Const<3>>>> {
        let first = random_ragged::<3>(&[3, 2, 0, 0], 5);
        let second = random_ragged::<3>(&[1, 0, 2, 0], 6);
        Pairs::new(first, second).unwrap()
    }

    #[test]
    fn align_gradients_match_finite_differences() {
        for (difference, product) in [(false, false), (true, false), (false, true)] {
            let mut align = Align::<_, usize>::new(Const::<3>, difference, product);
            gradcheck(&mut align, &pairs(), &GradcheckOptions::default()).unwrap();
        }
        let mut align = Align::<_, Const<12>>::new(Const::<3>, true, true);
        gradcheck(&mut align, &pairs(), &GradcheckOptions::default()).unwrap();
    }

    /// A token facing an empty side aligns to zeros, and its comparison is itself.
    #[test]
    fn a_side_facing_an_empty_side_aligns_to_zeros() {
        let x = pairs();
        let y = Align::<_, Const<12>>::new(Const::<3>, true, true).predict(x.clone());
        let (first, _) = y.into_sides();
        let a = x.sides().data().view().slice(s![3..5, ..]).to_owned();
        let out = first.data().view().slice(s![3..5, ..]).to_owned();
        assert_eq!(out.slice(s![.., ..3]), a);
        assert!(out.slice(s![.., 3..6]).iter().all(|&v| v == 0.0));
        assert_eq!(out.slice(s![.., 6..9]), a);
        assert!(out.slice(s![.., 9..]).iter().all(|&v| v == 0.0));
    }

    #[test]
    #[should_panic(expected = "align: the output width must be 3 × 3 = 9, not 8")]
    fn a_wrong_output_width_is_named() {
        let _ = Align::<_, Const<8>>::new(Const::<3>, true, false);
    }
}
