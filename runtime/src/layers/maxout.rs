//! [`Maxout`]: an affine map to `O × pieces` values, keeping the largest piece of each output.
//!
//! Shapes: `Floats2<I>` → `Floats2<O>`. Parameters `W` `(O·pieces, I)` (Glorot-uniform) and
//! `b` `(O·pieces)`; row `o·pieces + p` is piece `p` of output `o`: Thinc's `W` `(O, pieces, I)`
//! and `b` `(O, pieces)`, flattened, so that its weights load as they are.
//! `y[n, o] = max_p z[n, o·pieces + p]` (NaN when a piece is), `z = x · Wᵀ + b`. Backprop
//! routes each output's gradient to the piece that won.
//!
//! `z` is computed piece by piece (column `p·O + o` of it is `z[n, o·pieces + p]`), so that each
//! piece's values of a row are consecutive and the maximum is taken over whole registers of
//! outputs at once: the forward pass multiplies by a copy of `W`'s rows in that order,
//! transposed, `(I, O·pieces)`, the layout its product reads in place. The backward pass copies
//! nothing and multiplies only by the rows of `W` that won (`crate::kernels::routed`): a
//! `pieces`-th of the dense products' multiply-adds.

use ndarray::{Array1, Array2};

use super::boundary::{check_gradient, check_width};
use super::dense::Affine;
use crate::data::{Dim, Floats2, Values};
use crate::kernels::matmul::affine_t;
use crate::kernels::ops::beats;
use crate::kernels::routed::{Routes, add_routed_gradients, add_routed_products};
use crate::model::{Model, Params, Visit, VisitMut};

/// A maxout layer (Goodfellow et al., 2013), as Thinc's `Maxout`.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, layers::Maxout};
/// let layer = Maxout::new(Const::<2>, Const::<3>, 4);
/// assert_eq!(layer.predict(Floats2::from_rows(&[[1.0, -2.0]])).view().shape(), &[1, 3]);
/// ```
pub struct Maxout<I: Dim, O: Dim> {
    n_in: I,
    n_out: O,
    pieces: usize,
    affine: Affine,
}

impl<I: Dim, O: Dim> Maxout<I, O> {
    /// A layer from `n_in` to `n_out` columns with `pieces` pieces per output (at least 1).
    ///
    /// # Panics
    /// When its weights would hold more values than `usize` counts.
    pub fn new(n_in: I, n_out: O, pieces: usize) -> Self {
        let pieces = pieces.max(1);
        let outputs = n_out.size();
        let rows = outputs.checked_mul(pieces).unwrap_or_else(|| {
            panic!("maxout: {outputs} outputs of {pieces} pieces are more than usize counts")
        });
        Maxout {
            n_in,
            n_out,
            pieces,
            affine: Affine::new(n_in.size(), rows, false),
        }
    }

    /// The input width.
    pub fn n_in(&self) -> I {
        self.n_in
    }

    /// Pieces per output.
    pub fn pieces(&self) -> usize {
        self.pieces
    }

    /// The row of `W` (and value of `b`) that is row `piece_row` of them piece by piece.
    fn thinc_row(&self, piece_row: usize) -> usize {
        let outputs = self.n_out.size();
        (piece_row % outputs) * self.pieces + piece_row / outputs
    }

    /// `W` piece by piece transposed, `(I, O·pieces)`, and `b` piece by piece.
    fn by_piece_t(&self) -> (Array2<f32>, Array1<f32>) {
        let (w, b) = self.affine.params();
        let (w, b) = (w.matrix(), b.vector());
        let mut w_t = Array2::zeros((w.ncols(), w.nrows()));
        for (row, mut column) in w_t.columns_mut().into_iter().enumerate() {
            column.assign(&w.row(self.thinc_row(row)));
        }
        let b = (0..b.len()).map(|row| b[self.thinc_row(row)]).collect();
        (w_t, b)
    }

    /// The outputs of `z` (piece by piece) and, for each, the piece that won.
    fn pool(&self, z: &Array2<f32>) -> (Floats2<O>, Vec<u32>) {
        let outputs = self.n_out.size();
        let mut y = Floats2::zeros(z.nrows(), self.n_out);
        let mut winners = vec![0u32; z.nrows() * outputs];
        // Chunks of at least one, so that a layer of no outputs has no rows to walk.
        let (outputs, pieces) = (outputs.max(1), self.pieces * outputs.max(1));
        let z = z.as_slice().expect("standard layout");
        let rows = y.values_mut().chunks_exact_mut(outputs);
        let winners_by_row = winners.chunks_exact_mut(outputs);
        for ((out, won), z) in rows.zip(winners_by_row).zip(z.chunks_exact(pieces)) {
            out.copy_from_slice(&z[..outputs]);
            for (p, piece) in z.chunks_exact(outputs).enumerate().skip(1) {
                // Bit masks rather than branches, so that the loop runs on registers.
                let (won, piece) = (&mut won[..out.len()], &piece[..out.len()]);
                for o in 0..out.len() {
                    let takes = u32::from(beats(piece[o], out[o])).wrapping_neg();
                    let bits = (piece[o].to_bits() & takes) | (out[o].to_bits() & !takes);
                    out[o] = f32::from_bits(bits);
                    won[o] = (p as u32 & takes) | (won[o] & !takes);
                }
            }
        }
        (y, winners)
    }
}

impl<I: Dim, O: Dim> Params for Maxout<I, O> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("maxout", |walk| {
            walk.attr("n_in", &self.n_in.size());
            walk.attr("n_out", &self.n_out.size());
            walk.attr("pieces", &self.pieces);
            self.affine.visit(walk);
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("maxout", |walk| self.affine.visit_mut(walk));
    }
}

impl<I: Dim, O: Dim> Model for Maxout<I, O> {
    type In = Floats2<I>;
    type Out = Floats2<O>;

    fn begin_update<'a>(
        &'a self,
        x: Floats2<I>,
    ) -> (
        Floats2<O>,
        impl FnOnce(Floats2<O>) -> Floats2<I> + Send + 'a,
    ) {
        check_width("maxout", self.n_in, x.width());
        let (w_t, b) = self.by_piece_t();
        let z = affine_t(x.view(), w_t.view(), b.view());
        drop(w_t);
        let (y, winners) = self.pool(&z);
        drop(z);
        let backprop = move |d_y: Floats2<O>| {
            check_gradient("maxout", x.rows(), self.n_out, &d_y);
            let routes = Routes {
                d_y: d_y.values(),
                won: &winners,
                outputs: self.n_out.size(),
                pieces: self.pieces,
            };
            let (w_param, b_param) = self.affine.params();
            let width = x.width().size();
            let mut d_x = Array2::zeros((x.rows(), width));
            let d_x_values = d_x.as_slice_mut().expect("standard layout");
            add_routed_products(d_x_values, routes, w_param.value(), width);
            w_param.add_grad_matrix(|mut g| {
                let g = g.as_slice_mut().expect("standard layout");
                add_routed_gradients(g, routes, x.values(), width);
            });
            let mut g = b_param.grad();
            let outputs = routes.outputs.max(1);
            for (d_y, won) in d_y.values().chunks(outputs).zip(winners.chunks(outputs)) {
                for (o, (&d, &p)) in d_y.iter().zip(won).enumerate() {
                    g[o * self.pieces + p as usize] += d;
                }
            }
            drop(g);
            Floats2::wrap(d_x)
        };
        (y, backprop)
    }

    fn predict(&self, x: Floats2<I>) -> Floats2<O> {
        check_width("maxout", self.n_in, x.width());
        let (w_t, b) = self.by_piece_t();
        self.pool(&affine_t(x.view(), w_t.view(), b.view())).0
    }

    fn output_width(&self) -> Option<usize> {
        Some(self.n_out.size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::model::Params;
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn maxout_gradients_match_finite_differences() {
        let mut layer = Maxout::new(Const::<3>, Const::<4>, 3);
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
        gradcheck(&mut layer, &x, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn a_layer_of_no_outputs_gives_rows_of_none() {
        let layer = Maxout::new(Const::<2>, 0usize, 3);
        let x = Floats2::from_rows(&[[1.0, 2.0], [3.0, 4.0]]);
        let (y, backprop) = layer.begin_update(x);
        assert_eq!(y.view().shape(), &[2, 0]);
        assert_eq!(backprop(y).view().shape(), &[2, 2]);
    }

    /// `W` and `b` as Thinc stores them: row `o·pieces + p` is piece `p` of output `o`.
    #[test]
    fn each_output_is_the_largest_of_its_pieces_in_thincs_order() {
        let mut layer = Maxout::new(Const::<2>, Const::<2>, 3);
        let w = [
            [1.0, 0.0],
            [0.0, 1.0],
            [1.0, 1.0],
            [-1.0, 0.0],
            [0.0, -1.0],
            [2.0, 0.0],
        ];
        let b = [0.0, 0.0, 0.0, 0.0, 0.0, -10.0];
        layer
            .for_each_param_mut(&mut |path, p| {
                let values: Vec<f32> = if path.ends_with('W') {
                    w.concat()
                } else {
                    b.to_vec()
                };
                p.value_mut().copy_from_slice(&values);
            })
            .unwrap();
        let y = layer.predict(Floats2::from_rows(&[[3.0, 5.0]]));
        // Output 0: max(3, 5, 8); output 1: max(-3, -5, 6 - 10).
        assert_eq!(y, Floats2::from_rows(&[[8.0, -3.0]]));
    }
}
