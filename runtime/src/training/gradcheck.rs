//! Finite-difference gradient checking, for built-in and user layers alike.
//!
//! The check projects the output onto a fixed random direction `r`, so the scalar loss is
//! `L = Σ r ⊙ y`, computed in `f64`. The analytic gradient comes from one call of the model's
//! backprop closure with `d_y = r`; the numeric one from central differences
//! `(L(w + ε) - L(w - ε)) / 2ε` for the input and for a sample of every parameter's entries.

use std::fmt;

use crate::data::{Data, Grad, Values};

use crate::kernels::rng::Rng;

use crate::model::Model;

/// Settings of [`gradcheck`].
#[derive(Clone, Debug)]
pub struct GradcheckOptions {
    /// Step of the central difference.
    pub eps: f32,
    /// Allowed absolute difference between analytic and numeric gradient.
    pub abs_tol: f64,
    /// Allowed difference relative to the larger of the two gradients.
    pub rel_tol: f64,
    /// At most this many entries of each parameter (and of the input) are checked.
    pub max_checks_per_param: usize,
    /// Seed of the projection and of the sample of entries.
    pub seed: u64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-3,
            abs_tol: 1e-3,
            rel_tol: 1e-2,
            max_checks_per_param: 40,
            seed: 0,
        }
    }
}

/// One compared entry: where it is and both gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct GradEntry {
    /// `input`, or the parameter's path.
    pub name: String,
    /// Index into the flattened input or parameter.
    pub index: usize,
    /// Gradient from the backprop closure.
    pub analytic: f64,
    /// Gradient from central differences.
    pub numeric: f64,
    /// `|analytic - numeric| / (abs_tol + rel_tol * max(|analytic|, |numeric|))`: above 1 fails.
    pub error: f64,
}

/// What a gradient check compared; [`gradcheck`] returns it as the error when it fails.
#[derive(Clone, Debug)]
pub struct GradcheckReport {
    /// Number of entries compared.
    pub checked: usize,
    /// Largest `|analytic|` seen: a check where every gradient is zero proves nothing.
    pub max_abs_grad: f64,
    /// The entry with the largest error.
    pub worst: Option<GradEntry>,
}

impl GradcheckReport {
    /// True when every entry is within tolerance and some gradient is non-zero.
    pub fn passed(&self) -> bool {
        self.max_abs_grad > 0.0 && self.worst.as_ref().is_none_or(|w| w.error <= 1.0)
    }
}

impl fmt::Display for GradcheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} gradient entries checked", self.checked)?;
        if self.max_abs_grad == 0.0 {
            write!(f, "; every gradient is zero, so nothing was tested")?;
        }
        if let Some(w) = &self.worst {
            write!(
                f,
                "; worst: {}[{}]: analytic {:.6e}, numeric {:.6e} ({:.2}x the tolerance)",
                w.name, w.index, w.analytic, w.numeric, w.error
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for GradcheckReport {}

/// Compares `model`'s backprop with finite differences at input `x`.
///
/// Checks the input gradient (for float inputs) and a sample of every parameter's entries.
/// `Ok` holds the report of a passed check; `Err` the report naming the worst entry.
/// The model's gradients are zero afterwards and its values are unchanged. Non-smooth layers
/// (ReLU, max) fail near their kinks: use inputs away from them.
///
/// # Panics
/// When a layer the model shares ([`Shared`](crate::combinators::Shared)) is also held
/// outside it: its values cannot be moved.
///
/// ```
/// use weft_runtime::{Const, Floats2, gradcheck, GradcheckOptions, layers::Linear};
/// let mut layer = Linear::new(Const::<3>, Const::<2>);
/// let x = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
/// let report = gradcheck(&mut layer, &x, &GradcheckOptions::default()).unwrap();
/// assert!(report.checked > 0);
/// ```
pub fn gradcheck<M>(
    model: &mut M,
    x: &M::In,
    options: &GradcheckOptions,
) -> Result<GradcheckReport, GradcheckReport>
where
    M: Model,
    M::In: Clone + Values,
    M::Out: Values + Data<Grad = M::Out>,
    Grad<M::In>: Values,
{
    let mut rng = Rng::new(options.seed);
    clear_grads(model);
    let (mut d_y, backprop) = model.begin_update(x.clone());
    for r in d_y.values_mut() {
        *r = rng.uniform(-1.0, 1.0);
    }
    let projection: Vec<f32> = d_y.values().to_vec();
    let d_x = backprop(d_y);
    let loss = |model: &M, x: M::In| -> f64 {
        let (y, _) = model.begin_update(x);
        y.values()
            .iter()
            .zip(&projection)
            .map(|(&y, &r)| f64::from(y) * f64::from(r))
            .sum()
    };
    let eps = options.eps;
    let mut report = GradcheckReport {
        checked: 0,
        max_abs_grad: 0.0,
        worst: None,
    };

    let input_grad = d_x.values().to_vec();
    for index in sample(&input_grad, options.max_checks_per_param, &mut rng) {
        let at = |delta: f32| {
            let mut shifted = x.clone();
            shifted.values_mut()[index] += delta;
            loss(model, shifted)
        };
        let numeric = (at(eps) - at(-eps)) / (2.0 * f64::from(eps));
        report.compare(options, "input", index, input_grad[index], numeric);
    }

    let mut params = Vec::new();
    model.for_each_param(&mut |path, p| params.push((path.to_owned(), p.grad().to_vec())));
    clear_grads(model);
    for (k, (path, grad)) in params.iter().enumerate() {
        for index in sample(grad, options.max_checks_per_param, &mut rng) {
            let mut at = |delta: f32| {
                let mut original = 0.0;
                nth_param(model, k, |v| {
                    original = v[index];
                    v[index] += delta;
                });
                let l = loss(model, x.clone());
                nth_param(model, k, |v| v[index] = original);
                l
            };
            let numeric = (at(eps) - at(-eps)) / (2.0 * f64::from(eps));
            report.compare(options, path, index, grad[index], numeric);
        }
    }
    clear_grads(model);
    if report.passed() {
        Ok(report)
    } else {
        Err(report)
    }
}

impl GradcheckReport {
    /// Records one compared entry, keeping the worst.
    fn compare(
        &mut self,
        options: &GradcheckOptions,
        name: &str,
        index: usize,
        analytic: f32,
        numeric: f64,
    ) {
        let analytic = f64::from(analytic);
        let scale = analytic.abs().max(numeric.abs());
        let error = (analytic - numeric).abs() / (options.abs_tol + options.rel_tol * scale);
        self.checked += 1;
        self.max_abs_grad = self.max_abs_grad.max(analytic.abs());
        if self.worst.as_ref().is_none_or(|w| error > w.error) {
            self.worst = Some(GradEntry {
                name: name.to_owned(),
                index,
                analytic,
                numeric,
                error,
            });
        }
    }
}

/// Up to `max` indices into `grad`: its non-zero entries first (a random subset if there are
/// many), then random entries, so sparse gradients (embedding tables) are checked where they act.
fn sample(grad: &[f32], max: usize, rng: &mut Rng) -> Vec<usize> {
    if grad.len() <= max {
        return (0..grad.len()).collect();
    }
    let mut nonzero: Vec<usize> = (0..grad.len()).filter(|&i| grad[i] != 0.0).collect();
    rng.shuffle(&mut nonzero);
    nonzero.truncate(max - max / 4);
    while nonzero.len() < max {
        nonzero.push(rng.below(grad.len()));
    }
    nonzero
}

fn nth_param<M: Model>(model: &mut M, k: usize, f: impl FnOnce(&mut [f32])) {
    let mut f = Some(f);
    let mut i = 0;
    walk_mut(model, &mut |_, p| {
        if i == k {
            (f.take().expect("one parameter per index"))(p.value_mut());
        }
        i += 1;
    });
}

fn clear_grads<M: Model>(model: &mut M) {
    walk_mut(model, &mut |_, p| p.zero_grad());
}

/// [`Params::for_each_param_mut`], which fails only when a layer the model shares is held
/// outside it.
fn walk_mut<M: Model>(model: &mut M, f: &mut dyn FnMut(&str, &mut crate::model::Param)) {
    model
        .for_each_param_mut(f)
        .expect("gradcheck checks models that hold every use of their shared layers");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Const, Floats2};
    use crate::model::{Params, Visit, VisitMut};

    /// `y = x`, with a backprop that returns `scale · d_y`: right only for `scale = 1`.
    struct Scaled(f32);

    impl Params for Scaled {
        fn visit(&self, _: &mut Visit<'_>) {}
        fn visit_mut(&mut self, _: &mut VisitMut<'_>) {}
    }

    impl Model for Scaled {
        type In = Floats2<Const<2>>;
        type Out = Floats2<Const<2>>;
        fn begin_update<'a>(
            &'a self,
            x: Self::In,
        ) -> (Self::Out, impl FnOnce(Self::Out) -> Self::In + Send + 'a) {
            (x, move |mut d: Self::Out| {
                d.values_mut().iter_mut().for_each(|v| *v *= self.0);
                d
            })
        }
        fn predict(&self, x: Self::In) -> Self::Out {
            x
        }
    }

    #[test]
    fn a_wrong_gradient_fails_and_is_named() {
        let x = Floats2::from_rows(&[[0.5, -1.0]]);
        assert!(gradcheck(&mut Scaled(1.0), &x, &GradcheckOptions::default()).is_ok());
        let report = gradcheck(&mut Scaled(1.1), &x, &GradcheckOptions::default()).unwrap_err();
        let worst = report.worst.as_ref().unwrap();
        assert_eq!(worst.name, "input");
        assert!(report.to_string().contains("worst: input["), "{report}");
    }

    #[test]
    fn all_zero_gradients_prove_nothing() {
        let x = Floats2::from_rows(&[[0.5, -1.0]]);
        let report = gradcheck(&mut Scaled(0.0), &x, &GradcheckOptions::default()).unwrap_err();
        assert!(
            report.to_string().contains("nothing was tested"),
            "{report}"
        );
    }
}
