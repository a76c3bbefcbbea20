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
//!
//! How: a pair's products are small (a premise of some 40 tokens against a hypothesis of some
//! 16, 64 wide), so each runs on `add_matmul` (the register-tiled kernel of
//! `crate::kernels::product` on AVX-512 or AVX2) in views of buffers made once a batch: the
//! aligned vectors of all the tokens, the weights `P` and `Qᵀ` of all the pairs, and scratch
//! for the side transposed (`Bᵀ` for `A Bᵀ`: the kernel reads its right-hand side row-major).
//! The scores are computed once and transposed for `Qᵀ`. The comparison and its gradient run
//! over all the rows at once. No allocation per pair; one thread (a pair is too little work
//! to hand to another).

use std::marker::PhantomData;
use std::ops::Range;

use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2, s};

use super::boundary::{check_sequences_gradient, check_width};
use crate::data::{Dim, Floats2, Pairs, Ragged};
use crate::kernels::matmul::add_matmul;
use crate::kernels::ops::{softmax_backward_in_place, softmax_in_place};
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

/// What the backward pass needs: each token's aligned vector (`β_i` for a first-side token,
/// `α_j` for a second-side one), and each pair's attention weights, `P` (`m × n`, first side
/// over second) then `Qᵀ` (`n × m`, second over first), one pair after another.
struct Alignment {
    aligned: Array2<f32>,
    weights: Vec<f32>,
}

/// One pair: where its sides are among the rows, and where its weights start.
struct Pair {
    first: Range<usize>,
    second: Range<usize>,
    weights: usize,
}

impl Pair {
    /// Each pair of `x` in order, the ranges of both sides with the offset of its weights; and
    /// the floats of all the weights.
    fn all<T>(x: &Pairs<Ragged<T>>) -> (Vec<Pair>, usize) {
        let ranges: Vec<Range<usize>> = x.sides().ranges().collect();
        let (firsts, seconds) = ranges.split_at(x.len());
        let mut offset = 0;
        let pairs = firsts
            .iter()
            .zip(seconds)
            .map(|(first, second)| {
                let pair = Pair {
                    first: first.clone(),
                    second: second.clone(),
                    weights: offset,
                };
                offset += 2 * first.len() * second.len();
                pair
            })
            .collect();
        (pairs, offset)
    }

    /// The lengths of its sides, `m` and `n`.
    fn lengths(&self) -> (usize, usize) {
        (self.first.len(), self.second.len())
    }
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

    /// The compared rows of every side, and what the backward pass needs.
    fn forward(&self, x: &Pairs<Ragged<Floats2<W>>>) -> (Floats2<O>, Alignment) {
        let sides = x.sides();
        check_width("align", self.width, sides.data().width());
        let rows = sides.data().view();
        let w = self.width.size();
        let (pairs, floats) = Pair::all(x);
        let mut aligned = Array2::zeros((rows.nrows(), w));
        let mut weights = vec![0.0; floats];
        let mut transposed = vec![0.0; w * longest_second(&pairs)];
        for pair in &pairs {
            let (m, n) = pair.lengths();
            if m == 0 || n == 0 {
                continue; // Aligned to zeros.
            }
            let a = rows.slice(s![pair.first.clone(), ..]);
            let b = rows.slice(s![pair.second.clone(), ..]);
            let (p, q_t) = weights[pair.weights..pair.weights + 2 * m * n].split_at_mut(m * n);
            // E = A Bᵀ into P, copied transposed into Qᵀ; then the softmax of each row.
            add_matmul(&mut view_mut(p, m, n), a, transpose(b, &mut transposed));
            view_mut(q_t, n, m).assign(&view(p, m, n).t());
            softmax_in_place(p, n);
            softmax_in_place(q_t, m);
            let mut beta = aligned.slice_mut(s![pair.first.clone(), ..]);
            add_matmul(&mut beta, view(p, m, n), b);
            let mut alpha = aligned.slice_mut(s![pair.second.clone(), ..]);
            add_matmul(&mut alpha, view(q_t, n, m), a);
        }
        let y = self.compare(rows, aligned.view());
        (Floats2::wrap(y), Alignment { aligned, weights })
    }

    /// Each row `x_r` with its aligned vector `v_r`: `[x_r; v_r]`, then `x_r - v_r` and
    /// `x_r ⊙ v_r` as set.
    fn compare(&self, x: ArrayView2<'_, f32>, aligned: ArrayView2<'_, f32>) -> Array2<f32> {
        let w = self.width.size();
        let mut y = Array2::zeros((x.nrows(), self.out_width().size()));
        for ((mut out, x), v) in y.rows_mut().into_iter().zip(x.rows()).zip(aligned.rows()) {
            let out = out.as_slice_mut().expect("a row of a new array");
            let (x, v) = (rows_slice(&x), rows_slice(&v));
            out[..w].copy_from_slice(x);
            out[w..2 * w].copy_from_slice(v);
            let mut next = 2 * w;
            if self.difference {
                let out = &mut out[next..next + w];
                out.iter_mut()
                    .zip(x.iter().zip(v))
                    .for_each(|(o, (x, v))| *o = x - v);
                next += w;
            }
            if self.product {
                let out = &mut out[next..next + w];
                out.iter_mut()
                    .zip(x.iter().zip(v))
                    .for_each(|(o, (x, v))| *o = x * v);
            }
        }
        y
    }

    /// The gradients of the rows `x` and of their aligned vectors for `d_y`, the gradient of
    /// [`compare`]'s rows.
    ///
    /// [`compare`]: Self::compare
    fn uncompare(
        &self,
        d_y: ArrayView2<'_, f32>,
        x: ArrayView2<'_, f32>,
        aligned: ArrayView2<'_, f32>,
    ) -> (Array2<f32>, Array2<f32>) {
        let w = self.width.size();
        let mut d_x = Array2::zeros(x.raw_dim());
        let mut d_aligned = Array2::zeros(x.raw_dim());
        let grads = d_x.rows_mut().into_iter().zip(d_aligned.rows_mut());
        let rows = d_y.rows().into_iter().zip(x.rows()).zip(aligned.rows());
        for ((mut d_x, mut d_v), ((d_y, x), v)) in grads.zip(rows) {
            let d_x = d_x.as_slice_mut().expect("a row of a new array");
            let d_v = d_v.as_slice_mut().expect("a row of a new array");
            let d_y = rows_slice(&d_y);
            d_x.copy_from_slice(&d_y[..w]);
            d_v.copy_from_slice(&d_y[w..2 * w]);
            let mut next = 2 * w;
            if self.difference {
                let d = &d_y[next..next + w];
                for ((d_x, d_v), &d) in d_x.iter_mut().zip(d_v.iter_mut()).zip(d) {
                    *d_x += d;
                    *d_v -= d;
                }
                next += w;
            }
            if self.product {
                let (d, x, v) = (&d_y[next..next + w], rows_slice(&x), rows_slice(&v));
                let grads = d_x.iter_mut().zip(d_v.iter_mut());
                for ((d_x, d_v), ((&d, &x), &v)) in grads.zip(d.iter().zip(x).zip(v)) {
                    *d_x += d * v;
                    *d_v += d * x;
                }
            }
        }
        (d_x, d_aligned)
    }

    /// The gradient of the input rows for `d_y`, the gradient of the output rows.
    fn backward(
        &self,
        x: &Pairs<Ragged<Floats2<W>>>,
        alignment: &Alignment,
        d_y: &Floats2<O>,
    ) -> Floats2<W> {
        let rows = x.sides().data().view();
        let w = self.width.size();
        let (pairs, _) = Pair::all(x);
        let (mut d_x, d_aligned) = self.uncompare(d_y.view(), rows, alignment.aligned.view());
        let longest = pairs
            .iter()
            .map(|pair| pair.first.len().max(pair.second.len()));
        let mut transposed = vec![0.0; w * longest.max().unwrap_or(0)];
        let largest = pairs
            .iter()
            .map(|pair| pair.first.len() * pair.second.len());
        let (mut d_p, mut d_q_t) = (vec![0.0; largest.max().unwrap_or(0)], Vec::new());
        d_q_t.resize(d_p.len(), 0.0);
        for pair in &pairs {
            let (m, n) = pair.lengths();
            if m == 0 || n == 0 {
                continue;
            }
            let (first, second) = (pair.first.clone(), pair.second.clone());
            let (a, b) = (
                rows.slice(s![first.clone(), ..]),
                rows.slice(s![second.clone(), ..]),
            );
            let d_beta = d_aligned.slice(s![first.clone(), ..]);
            let d_alpha = d_aligned.slice(s![second.clone(), ..]);
            let (p, q_t) =
                alignment.weights[pair.weights..pair.weights + 2 * m * n].split_at(m * n);
            let (p, q_t) = (view(p, m, n), view(q_t, n, m));
            // dP = dβ Bᵀ and dQᵀ = dα Aᵀ, through the softmaxes: dE = dE_P + dE_Qᵀᵀ.
            let (d_p, d_q_t) = (&mut d_p[..m * n], &mut d_q_t[..m * n]);
            d_p.fill(0.0);
            add_matmul(
                &mut view_mut(d_p, m, n),
                d_beta,
                transpose(b, &mut transposed),
            );
            d_q_t.fill(0.0);
            add_matmul(
                &mut view_mut(d_q_t, n, m),
                d_alpha,
                transpose(a, &mut transposed),
            );
            softmax_rows_backward(p, d_p);
            softmax_rows_backward(q_t, d_q_t);
            let mut d_e = view_mut(d_p, m, n);
            d_e += &view(d_q_t, n, m).t();
            let d_e = d_e.view();
            let mut d_a = d_x.slice_mut(s![first, ..]);
            add_matmul(&mut d_a, q_t.t(), d_alpha);
            add_matmul(&mut d_a, d_e, b);
            let mut d_b = d_x.slice_mut(s![second, ..]);
            add_matmul(&mut d_b, p.t(), d_beta);
            add_matmul(&mut d_b, d_e.t(), a);
        }
        Floats2::wrap(d_x)
    }
}

/// The most tokens of any pair's second side.
fn longest_second(pairs: &[Pair]) -> usize {
    pairs
        .iter()
        .map(|pair| pair.second.len())
        .max()
        .unwrap_or(0)
}

/// `x` transposed, written row-major into the front of `scratch`.
fn transpose<'s>(x: ArrayView2<'_, f32>, scratch: &'s mut [f32]) -> ArrayView2<'s, f32> {
    let (rows, cols) = x.dim();
    view_mut(scratch, cols, rows).assign(&x.t());
    view(scratch, cols, rows)
}

/// The first `rows × cols` floats of `data` as a row-major matrix.
fn view(data: &[f32], rows: usize, cols: usize) -> ArrayView2<'_, f32> {
    ArrayView2::from_shape((rows, cols), &data[..rows * cols]).expect("a matrix's floats")
}

/// The first `rows × cols` floats of `data` as a writable row-major matrix.
fn view_mut(data: &mut [f32], rows: usize, cols: usize) -> ArrayViewMut2<'_, f32> {
    ArrayViewMut2::from_shape((rows, cols), &mut data[..rows * cols]).expect("a matrix's floats")
}

/// The floats of a row of a matrix whose rows are contiguous.
fn rows_slice<'a>(row: &'a ArrayView1<'_, f32>) -> &'a [f32] {
    row.as_slice().expect("a contiguous row")
}

/// The gradient of a row-wise softmax's scores, over the gradient `d` of its rows `s` in
/// place: `s ⊙ (d - rowsum(d ⊙ s))`.
fn softmax_rows_backward(s: ArrayView2<'_, f32>, d: &mut [f32]) {
    let width = s.ncols();
    let rows = s.as_slice().expect("a row-major view").chunks_exact(width);
    for (s, d) in rows.zip(d.chunks_exact_mut(width)) {
        softmax_backward_in_place(s, d);
    }
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
        let (y, alignment) = self.forward(&x);
        let lengths = x.sides().lengths().to_vec();
        let y = Pairs::wrap(Ragged::wrap(y, lengths), x.len());
        let backprop = move |d_y: Self::Out| {
            let (d_y, _) = d_y.into_parts();
            let lengths = x.sides().lengths();
            check_sequences_gradient("align", lengths, self.out_width(), &d_y);
            let d_x = self.backward(&x, &alignment, d_y.data());
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
        let first = random_ragged::<3>(&[3, 2, 0, 0, 2], 5);
        let second = random_ragged::<3>(&[1, 0, 2, 0, 3], 6);
        Pairs::new(first, second).unwrap()
    }

    /// Softmax of each row, in `f64`.
    fn softmax(e: &Array2<f64>) -> Array2<f64> {
        let mut p = e.mapv(f64::exp);
        for mut row in p.rows_mut() {
            let sum = row.sum();
            row.mapv_inplace(|v| v / sum);
        }
        p
    }

    /// The last pair (two tokens against three) comes out as the module doc's formulas.
    #[test]
    fn tokens_are_compared_with_the_softmax_weighted_other_side() {
        let x = pairs();
        let y = Align::<_, Const<12>>::new(Const::<3>, true, true).predict(x.clone());
        let rows = x.sides().data().view().mapv(f64::from);
        let (a, b) = (rows.slice(s![5..7, ..]), rows.slice(s![10..13, ..]));
        let e = a.dot(&b.t());
        let beta = softmax(&e).dot(&b);
        let alpha = softmax(&e.t().to_owned()).dot(&a);
        let y = y.sides().data().view().mapv(f64::from);
        for (side, x, aligned) in [(5..7, a, beta.view()), (10..13, b, alpha.view())] {
            let out = y.slice(s![side, ..]);
            let expected =
                ndarray::concatenate![ndarray::Axis(1), x, aligned, &x - &aligned, &x * &aligned];
            assert!(
                (&out - &expected).iter().all(|d| d.abs() < 1e-6),
                "{out} vs {expected}"
            );
        }
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
