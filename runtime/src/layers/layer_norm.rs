//! [`LayerNorm`]: normalizes each row to zero mean and unit variance, then scales and shifts.
//!
//! Shapes: `Floats2<W>` → `Floats2<W>`. Parameters `G` `(W)` (ones) and `b` `(W)` (zeros).
//! `x̂ = (x - μ) / sqrt(σ² + ε)`, `y = G ⊙ x̂ + b`, with μ and σ² the row's mean and variance
//! and ε = 1e-8, as Thinc's `LayerNorm` (whose parameters are named `G` and `b` too, so that
//! its weights load as they are). Backprop:
//! `dx = (dx̂ - mean(dx̂) - x̂ ⊙ mean(dx̂ ⊙ x̂)) / sqrt(σ² + ε)` with `dx̂ = dy ⊙ G`.

use ndarray::{Array2, Axis, Zip};

use super::boundary::{check_gradient, check_width};
use crate::data::{Dim, Floats2};

use crate::model::{Model, Param, Params, Visit, VisitMut};

const EPS: f32 = 1e-8;

/// Layer normalization (Ba et al., 2016).
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, layers::LayerNorm};
/// let y = LayerNorm::new(Const::<3>).predict(Floats2::from_rows(&[[1.0, 2.0, 3.0]]));
/// assert!(y.view().sum().abs() < 1e-5);
/// ```
pub struct LayerNorm<W: Dim> {
    width: W,
    gain: Param,
    bias: Param,
}

impl<W: Dim> LayerNorm<W> {
    /// Normalization of rows of width `width`.
    pub fn new(width: W) -> Self {
        let n = width.size();
        LayerNorm {
            width,
            gain: Param::new(&[n], vec![1.0; n]),
            bias: Param::zeros(&[n]),
        }
    }

    /// `x̂` and `1 / sqrt(σ² + ε)` of every row.
    fn normalize(&self, x: &Floats2<W>) -> (Array2<f32>, Vec<f32>) {
        check_width("layer_norm", self.width, x.width());
        let mut x_hat = x.view().to_owned();
        let n = self.width.size().max(1) as f32;
        let inv_std = x_hat
            .axis_iter_mut(Axis(0))
            .map(|mut row| {
                let mean = row.sum() / n;
                row -= mean;
                let var = row.iter().map(|v| v * v).sum::<f32>() / n;
                let inv = 1.0 / (var + EPS).sqrt();
                row *= inv;
                inv
            })
            .collect();
        (x_hat, inv_std)
    }

    fn scale_shift(&self, x_hat: &Array2<f32>) -> Floats2<W> {
        Floats2::wrap(x_hat * &self.gain.vector() + self.bias.vector())
    }
}

impl<W: Dim> Params for LayerNorm<W> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("layer_norm", |walk| {
            walk.attr("width", &self.width.size());
            walk.param("G", &self.gain);
            walk.param("b", &self.bias);
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("layer_norm", |walk| {
            walk.param("G", &mut self.gain);
            walk.param("b", &mut self.bias);
        });
    }
}

impl<W: Dim> Model for LayerNorm<W> {
    type In = Floats2<W>;
    type Out = Floats2<W>;

    fn begin_update<'a>(
        &'a self,
        x: Floats2<W>,
    ) -> (
        Floats2<W>,
        impl FnOnce(Floats2<W>) -> Floats2<W> + Send + 'a,
    ) {
        let (x_hat, inv_std) = self.normalize(&x);
        let y = self.scale_shift(&x_hat);
        let backprop = move |d_y: Floats2<W>| {
            check_gradient("layer_norm", x_hat.nrows(), self.width, &d_y);
            let d_y = d_y.into_array();
            {
                let mut d_gain = self.gain.grad();
                let mut d_bias = self.bias.grad();
                for (dy, xh) in d_y.rows().into_iter().zip(x_hat.rows()) {
                    for (((dg, db), &dy), &xh) in
                        d_gain.iter_mut().zip(d_bias.iter_mut()).zip(dy).zip(xh)
                    {
                        *dg += dy * xh;
                        *db += dy;
                    }
                }
            }
            let mut d_x = d_y * self.gain.vector();
            let n = self.width.size().max(1) as f32;
            Zip::from(d_x.axis_iter_mut(Axis(0)))
                .and(x_hat.axis_iter(Axis(0)))
                .and(&inv_std)
                .for_each(|mut d, xh, &inv| {
                    let mean_d = d.sum() / n;
                    let mean_dx = d.iter().zip(xh).map(|(a, b)| a * b).sum::<f32>() / n;
                    Zip::from(&mut d).and(xh).for_each(|d, &xh| {
                        *d = (*d - mean_d - xh * mean_dx) * inv;
                    });
                });
            Floats2::wrap(d_x)
        };
        (y, backprop)
    }

    fn predict(&self, x: Floats2<W>) -> Floats2<W> {
        self.scale_shift(&self.normalize(&x).0)
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

    #[test]
    fn layer_norm_gradients_match_finite_differences() {
        let mut layer = LayerNorm::new(Const::<4>);
        draw_weights(&mut layer, "", 3);
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0, 0.1], [1.5, 0.3, -0.7, 2.2]]);
        gradcheck(&mut layer, &x, &GradcheckOptions::default()).unwrap();
    }
}
