//! [`Maxout`]: an affine map to `O × pieces` values, keeping the largest piece of each output.
//!
//! Shapes: `Floats2<I>` → `Floats2<O>`. Parameters `W` `(O·pieces, I)` (Glorot-uniform) and
//! `b` `(O·pieces)`; row `o·pieces + p` is piece `p` of output `o`: Thinc's `W` `(O, pieces, I)`
//! and `b` `(O, pieces)`, flattened, so that its weights load as they are.
//! `y[n, o] = max_p z[n, o·pieces + p]` (NaN when a piece is), `z = x · Wᵀ + b`. Backprop
//! routes each output's gradient to the piece that won.

use ndarray::Array2;

use super::boundary::{check_gradient, check_width};
use super::dense::Affine;
use crate::data::{Dim, Floats2, Values};
use crate::kernels::ops::beats;
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

    /// The outputs and, for each, the index in `z` of the piece that won.
    fn pool(&self, z: &Array2<f32>) -> (Floats2<O>, Vec<usize>) {
        let mut y = Floats2::zeros(z.nrows(), self.n_out);
        let mut winners = Vec::with_capacity(z.len() / self.pieces);
        let z = z.as_slice().expect("standard layout");
        for (out, pieces) in y.values_mut().iter_mut().zip(z.chunks(self.pieces)) {
            let pieces = pieces.iter().enumerate();
            let (best, value) = pieces.fold((0, f32::NEG_INFINITY), |best, (p, &v)| {
                if beats(v, best.1) { (p, v) } else { best }
            });
            *out = value;
            winners.push(winners.len() * self.pieces + best);
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
        let z = self.affine.forward(x.view());
        let (y, winners) = self.pool(&z);
        let backprop = move |d_y: Floats2<O>| {
            check_gradient("maxout", x.rows(), self.n_out, &d_y);
            let mut d_z = Array2::zeros(z.raw_dim());
            let flat = d_z.as_slice_mut().expect("standard layout");
            for (&winner, &d) in winners.iter().zip(d_y.values()) {
                flat[winner] = d;
            }
            Floats2::wrap(self.affine.backward(d_z.view(), x.view()))
        };
        (y, backprop)
    }

    fn predict(&self, x: Floats2<I>) -> Floats2<O> {
        check_width("maxout", self.n_in, x.width());
        self.pool(&self.affine.forward(x.view())).0
    }

    fn output_width(&self) -> Option<usize> {
        Some(self.n_out.size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn maxout_gradients_match_finite_differences() {
        let mut layer = Maxout::new(Const::<3>, Const::<4>, 3);
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
        gradcheck(&mut layer, &x, &GradcheckOptions::default()).unwrap();
    }
}
