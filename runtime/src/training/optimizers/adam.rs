//! [`Adam`], its kernel, and the check of its steps.

use std::collections::HashMap;

use super::state::SavedState;
use super::{Largest, WeightDecay, check_learn_rate, check_setting, within_limit};
use crate::error::{Error, Result};
use crate::io::serialize::tensor_of;
use crate::kernels::ops::multiversion;
use crate::kernels::threads::threads;
use crate::model::{Optimizer, Param, Params, check_grad_clip};
use crate::training::named_settings::NamedSettings;

/// Adam (Kingma & Ba), with bias correction, as in PyTorch and Thinc.
///
/// Its state (the step count, and the moments of each parameter by path) goes to bytes and
/// back with [`save_state`](Optimizer::save_state) and [`load_state`](Optimizer::load_state),
/// which refuses a state saved under other settings (`beta1`, `beta2`, `eps`, the weight decay
/// or `grad_clip`; the learning rate may differ, as schedules set it at every step).
///
/// The settings are checked by [`validate`](Optimizer::validate), which
/// [`finish_update`](crate::Params::finish_update) calls before every update: `learn_rate`
/// finite and at least 0, `beta1` and `beta2` in `[0, 1)`, `eps` finite and above 0, a weight
/// decay rate finite and at least 0, and `grad_clip` `None` or finite and above 0.
///
/// Its check of each update ([`Optimizer::check`]) costs nothing beside the step when
/// `beta1² < beta2`, as with the defaults; otherwise no bound of the step is known beforehand,
/// and each step is computed twice, once without being written.
///
/// ```
/// use weft_runtime::{Adam, Optimizer, Param};
/// let mut w = Param::new(&[1], vec![1.0]);
/// let mut adam = Adam::new(0.001);
/// w.value_and_grad_mut().1[0] = 3.0;
/// adam.begin_step();
/// adam.update("w", &mut w, 1.0);
/// // The first bias-corrected step moves by learn_rate * sign(g).
/// assert!((w.value()[0] - 0.999).abs() < 1e-6);
/// let error = Adam::new(f32::NAN).validate().unwrap_err();
/// assert_eq!(error.to_string(), "Adam's learn_rate must be finite and at least 0, found NaN");
/// ```
#[derive(Clone, Debug)]
pub struct Adam {
    /// Step size.
    pub learn_rate: f32,
    /// Decay of the first moment.
    pub beta1: f32,
    /// Decay of the second moment.
    pub beta2: f32,
    /// Added to the root of the second moment.
    pub eps: f32,
    /// Weight decay.
    pub weight_decay: WeightDecay,
    /// Global gradient-norm clipping.
    pub grad_clip: Option<f32>,
    step: i32,
    moments: HashMap<String, Moments>,
}

/// The moments of one parameter.
#[derive(Clone, Debug)]
struct Moments {
    mean: Vec<f32>,
    var: Vec<f32>,
}

impl Moments {
    /// Zeros for a parameter of `n` values.
    fn zeros(n: usize) -> Self {
        Moments {
            mean: vec![0.0; n],
            var: vec![0.0; n],
        }
    }
}

/// The constants of one Adam step, for [`adam_kernel`].
struct AdamStep {
    b1: f32,
    b2: f32,
    step_size: f32,
    eps_hat: f32,
    l2: f32,
    decay: f32,
    grad_scale: f32,
}

impl AdamStep {
    /// The new value, mean and variance of one value `w` of gradient `grad`.
    #[inline(always)]
    fn apply(&self, w: f32, grad: f32, m: f32, v: f32) -> (f32, f32, f32) {
        let grad = grad * self.grad_scale + self.l2 * w;
        let m = self.b1 * m + (1.0 - self.b1) * grad;
        let v = self.b2 * v + (1.0 - self.b2) * grad * grad;
        let w = w - self.step_size * m / (v.sqrt() + self.eps_hat) - self.decay * w;
        (w, flush(m), flush(v))
    }

    /// A bound of `|m| / (√v + eps_hat)`, the step's ratio, for every mean `m` and variance
    /// `v` of a history of gradients from zero moments; NaN when `beta1² >= beta2`.
    ///
    /// By Cauchy–Schwarz over the gradients `g` so far, `|m| ≤ K √v` with
    /// `K = (1 - β₁) / √((1 - β₂)(1 - β₁²/β₂))`, whatever they were. [`flush`] breaks that only
    /// where it sets `v` to 0 and leaves `m`: what remains of such means is below
    /// `K √TINY / (1 - β₁)` in all, and is divided by `eps_hat`. Twice `K` leaves room for the
    /// rounding of the moments' sums.
    fn ratio_bound(&self) -> f64 {
        let (b1, b2) = (f64::from(self.b1), f64::from(self.b2));
        let k = (1.0 - b1) / ((1.0 - b2) * (1.0 - b1 * b1 / b2)).sqrt();
        let flushed = f64::from(TINY).sqrt() / ((1.0 - b1) * f64::from(self.eps_hat));
        k * (2.0 + flushed)
    }

    /// A bound of the values after the step, for values of magnitude at most `value`: it moves
    /// them by `step_size` times the [`ratio_bound`](Self::ratio_bound) at most, after the
    /// decay.
    fn value_bound(&self, value: f32) -> f64 {
        let decayed = f64::from(value) * f64::from(1.0 - self.decay).abs();
        decayed + f64::from(self.step_size) * self.ratio_bound()
    }

    /// Whether the step keeps every value, mean and variance it computes [`within_limit`], for
    /// values of magnitude at most `value` and gradients (before scaling) `grad`. A mean or a
    /// variance is a weighted mean of the one before and the gradient (or its square), each
    /// within the limit: so is the result when the gradient, squared, is.
    fn stays_within_limit(&self, value: f32, grad: f32) -> bool {
        let f = f64::from;
        let grad = f(grad) * f(self.grad_scale) + f(self.l2) * f(value);
        within_limit(&[grad * grad, self.value_bound(value)])
    }
}

/// Moments smaller than this in magnitude are set to zero. The moments of a row that no batch
/// touches decay by `beta1` (and `beta2`) at every step; some 800 steps on, the mean would be a
/// subnormal float, and arithmetic on those is many times slower on x86. Their effect on a value
/// is far below its precision: `step_size * 1e-30 / (√v + eps)` with `eps` at least `3e-10`
/// after bias correction.
const TINY: f32 = 1e-30;

/// `x`, or zero when it is smaller than [`TINY`] in magnitude.
#[inline(always)]
fn flush(x: f32) -> f32 {
    if x.abs() < TINY { 0.0 } else { x }
}

multiversion! {
    /// One Adam step over rows of `width` values (the last may be shorter) and their moments.
    /// The gradient is read and zeroed in the `touched` rows; elsewhere it is zero and not read.
    fn adam_kernel(
        s: &AdamStep,
        values: &mut [f32],
        grads: &mut [f32],
        mean: &mut [f32],
        var: &mut [f32],
        width: usize,
        touched: &[bool],
    ) {
        for (r, &touched) in touched.iter().enumerate() {
            let rows = r * width..((r + 1) * width).min(values.len());
            // Slices of one length, indexed: no bounds checks, and the loops vectorize.
            let values = &mut values[rows.clone()];
            let n = values.len();
            let (mean, var) = (&mut mean[rows.clone()][..n], &mut var[rows.clone()][..n]);
            if touched {
                let grads = &mut grads[rows][..n];
                for i in 0..n {
                    (values[i], mean[i], var[i]) = s.apply(values[i], grads[i], mean[i], var[i]);
                    grads[i] = 0.0;
                }
            } else {
                for i in 0..n {
                    (values[i], mean[i], var[i]) = s.apply(values[i], 0.0, mean[i], var[i]);
                }
            }
        }
    }
}

multiversion! {
    /// The largest magnitudes one Adam step over `values` with the gradient `grads` and the
    /// moments `mean` and `var` would write, all four of one length; nothing is written.
    fn adam_dry_run(
        s: &AdamStep,
        values: &[f32],
        grads: &[f32],
        mean: &[f32],
        var: &[f32],
    ) -> Largest {
        let mut largest = Largest::default();
        let n = values.len();
        let (grads, mean, var) = (&grads[..n], &mean[..n], &var[..n]);
        for i in 0..n {
            let (w, m, v) = s.apply(values[i], grads[i], mean[i], var[i]);
            largest.add(w, m, v);
        }
        largest
    }
}

/// [`adam_kernel`] over halves on the thread pool, down to blocks of 32k values (an embedding
/// table is most of a model's values). A single row (a dense gradient) is split as well.
fn adam_in_parallel(
    s: &AdamStep,
    values: &mut [f32],
    grads: &mut [f32],
    (mean, var): (&mut [f32], &mut [f32]),
    width: usize,
    touched: &[bool],
) {
    const BLOCK: usize = 1 << 15;
    if values.len() <= BLOCK || threads() == 1 {
        return adam_kernel(s, values, grads, mean, var, width, touched);
    }
    let (mid, (t0, t1)) = match touched.len() {
        1 => (values.len() / 2, (touched, touched)),
        rows => (rows / 2 * width, touched.split_at(rows / 2)),
    };
    let (v0, v1) = values.split_at_mut(mid);
    let (g0, g1) = grads.split_at_mut(mid);
    let (m0, m1) = mean.split_at_mut(mid);
    let (s0, s1) = var.split_at_mut(mid);
    crate::kernels::threads::join(
        || adam_in_parallel(s, v0, g0, (m0, s0), width, t0),
        || adam_in_parallel(s, v1, g1, (m1, s1), width, t1),
    );
}

impl Adam {
    /// Adam with `learn_rate`, betas (0.9, 0.999), eps 1e-8, no weight decay, no clipping.
    pub fn new(learn_rate: f32) -> Self {
        Adam {
            learn_rate,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: WeightDecay::None,
            grad_clip: None,
            step: 0,
            moments: HashMap::new(),
        }
    }

    /// The constants of step number `step` (from 1), for gradients times `grad_scale`.
    fn constants(&self, step: i32, grad_scale: f32) -> AdamStep {
        let (b1, b2) = (self.beta1, self.beta2);
        let correction1 = 1.0 - b1.powi(step);
        let correction2 = 1.0 - b2.powi(step);
        AdamStep {
            b1,
            b2,
            step_size: self.learn_rate * correction2.sqrt() / correction1,
            eps_hat: self.eps * correction2.sqrt(),
            l2: self.weight_decay.penalty(),
            decay: self.learn_rate * self.weight_decay.decoupled(),
            grad_scale,
        }
    }

    /// The settings a saved state must have been saved under: all but the learning rate.
    pub(super) fn settings(&self) -> NamedSettings {
        NamedSettings::new([
            ("beta1", self.beta1.to_string()),
            ("beta2", self.beta2.to_string()),
            ("eps", self.eps.to_string()),
            ("weight_decay", format!("{:?}", self.weight_decay)),
            ("grad_clip", format!("{:?}", self.grad_clip)),
        ])
    }

    /// The moments kept for the parameter at `path` of `n` values, if any.
    fn moments_of(&self, path: &str, n: usize) -> Option<&Moments> {
        self.moments.get(path).filter(|m| m.mean.len() == n)
    }
}

impl Optimizer for Adam {
    fn set_learn_rate(&mut self, rate: f32) -> Result<()> {
        self.learn_rate = rate;
        self.validate()
    }
    fn grad_clip(&self) -> Option<f32> {
        self.grad_clip
    }

    fn validate(&self) -> Result<()> {
        check_learn_rate("Adam", self.learn_rate)?;
        for (name, beta) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            check_setting((0.0..1.0).contains(&beta), "Adam", name, "in [0, 1)", beta)?;
        }
        let eps_valid = self.eps.is_finite() && self.eps > 0.0;
        check_setting(eps_valid, "Adam", "eps", "finite and above 0", self.eps)?;
        self.weight_decay.validate("Adam")?;
        check_grad_clip("Adam", self.grad_clip)
    }

    fn begin_step(&mut self) {
        self.step = self.step.saturating_add(1);
    }

    fn check(&self, path: &str, param: &Param, grad_scale: f32, grad_norm: f32) -> Result<()> {
        // From bounds: the values' (`Param::magnitude_bound`, which the updates carry forward
        // with `AdamStep::value_bound`), the gradient's norm and the step's ratio
        // (`AdamStep::ratio_bound`); then from the values' exact magnitude; and only when the
        // bounds cannot tell, from the step computed without being written.
        let step = self.constants(self.step.saturating_add(1), grad_scale);
        let bounded = |value| step.stays_within_limit(value, grad_norm);
        if bounded(param.magnitude_bound()) || bounded(param.largest_magnitude()) {
            return Ok(());
        }
        let fresh;
        let moments = match self.moments_of(path, param.len()) {
            Some(moments) => moments,
            None => {
                fresh = Moments::zeros(param.len());
                &fresh
            }
        };
        let (mean, var) = (&moments.mean, &moments.var);
        let largest = adam_dry_run(&step, param.value(), &param.grad(), mean, var);
        largest.within_limit_or_refused(path)
    }

    fn update(&mut self, path: &str, param: &mut Param, grad_scale: f32) {
        let n = param.len();
        let step = self.constants(self.step.max(1), grad_scale);
        if !self.moments.contains_key(path) {
            self.moments.insert(path.to_owned(), Moments::zeros(n));
        }
        let moments = self.moments.get_mut(path).expect("inserted above");
        if moments.mean.len() != n {
            // Another parameter under the same path (another model): start it afresh.
            *moments = Moments::zeros(n);
        }
        let bound = step.value_bound(param.magnitude_bound()) as f32;
        let moments = (&mut moments.mean[..], &mut moments.var[..]);
        param.update_bounded(|u| {
            adam_in_parallel(&step, u.values, u.grad, moments, u.width, u.touched);
            bound
        });
    }

    /// The step count, and the moments of `model`'s parameters (those it has for them).
    fn save_state(&self, model: &dyn Params) -> Result<Vec<u8>> {
        let mut state = SavedState::new("Adam", self.settings());
        state.step = i64::from(self.step);
        model.for_each_param(&mut |path, param| {
            if let Some(moments) = self.moments_of(path, param.len()) {
                state.means.push(tensor_of(path, param, &moments.mean));
                state.variances.push(tensor_of(path, param, &moments.var));
            }
        });
        Ok(state.seal())
    }

    /// Replaces the step count and all the moments with the state's.
    fn load_state(&mut self, state: &[u8], model: &dyn Params) -> Result<()> {
        let state = SavedState::open(state, "Adam", &self.settings())?;
        let step = i32::try_from(state.step).ok().filter(|&step| step >= 0);
        let step = step.ok_or_else(|| {
            Error::checkpoint(format!(
                "the state's step count, {}, is not one Adam counts to (0 to {})",
                state.step,
                i32::MAX
            ))
        })?;
        let moments = state.moments(model)?;
        self.step = step;
        self.moments = (moments.into_iter())
            .map(|(path, mean, var)| (path, Moments { mean, var }))
            .collect();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row touched once and then left for a thousand steps: its mean decays by `beta1` at
    /// every step and is set to zero before it becomes subnormal (about step 780), and its
    /// values then stay where they are.
    #[test]
    fn adam_moments_of_idle_rows_go_to_zero_never_subnormal() {
        let mut table = Param::zeros(&[2, 4]);
        let mut adam = Adam::new(0.01);
        table.add_grad_rows([(0, ndarray::arr1(&[1.0, -1.0, 1e-3, 0.5]).view())]);
        for _ in 0..1000 {
            adam.begin_step();
            adam.update("E", &mut table, 1.0);
            let moments = &adam.moments["E"];
            let mut all = moments.mean.iter().chain(&moments.var);
            assert!(all.all(|m| *m == 0.0 || m.is_normal()), "{moments:?}");
        }
        assert!(adam.moments["E"].mean.iter().all(|&m| m == 0.0));
        let before = table.value().to_vec();
        adam.begin_step();
        adam.update("E", &mut table, 1.0);
        assert_eq!(table.value(), before);
        assert_ne!(&before[..4], &[0.0; 4]);
    }

    /// The bound an update leaves on the parameter holds for the values it wrote, on any
    /// number of threads, for steps whose gradients vary wildly; it grows by less than
    /// `step_size` times the ratio bound (some 15 at the default betas) per step.
    #[test]
    fn updates_bound_the_values_they_write() {
        let mut rng = crate::kernels::rng::Rng::new(3);
        let mut table = Param::uniform(&[700, 64], 0.1, &mut rng);
        let mut adam = Adam::new(0.5);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build();
        let pool = pool.expect("a pool");
        for step in 0..50 {
            let scale = [1e-20, 1.0, 1e6][step % 3];
            let row = ndarray::Array1::from_shape_fn(64, |_| rng.uniform(-scale, scale));
            table.add_grad_rows([(step * 7 % 700, row.view())]);
            let before = table.magnitude_bound();
            adam.begin_step();
            pool.install(|| adam.update("E", &mut table, 1.0));
            let largest = table.value().iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let bound = table.magnitude_bound();
            assert!(
                largest <= bound && bound < before + 0.5 * 15.0,
                "{largest} {bound}"
            );
        }
    }

    /// The ratio bound holds step after step, for gradients from 1e-25 to 1e10 in magnitude,
    /// with idle steps between (where means and variances decay and are flushed), at several
    /// settings: no value moves by more than `step_size` times it.
    #[test]
    fn no_step_moves_a_value_beyond_the_ratio_bound() {
        let mut rng = crate::kernels::rng::Rng::new(11);
        for (beta1, beta2, eps) in [(0.9, 0.999, 1e-8), (0.5, 0.99, 1e-8), (0.0, 0.9, 1e-20)] {
            let mut adam = Adam::new(0.1);
            (adam.beta1, adam.beta2, adam.eps) = (beta1, beta2, eps);
            let mut w = Param::zeros(&[256]);
            let mut worst = 0.0f64;
            for _ in 0..3000 {
                let idle = rng.below(4) == 0;
                let (_, grad) = w.value_and_grad_mut();
                for g in grad.iter_mut().filter(|_| !idle) {
                    *g = rng.uniform(-1.0, 1.0) * 10f32.powf(rng.uniform(-25.0, 10.0));
                }
                let before = w.value().to_vec();
                adam.begin_step();
                let step = adam.constants(adam.step, 1.0);
                adam.update("w", &mut w, 1.0);
                let moved = w
                    .value()
                    .iter()
                    .zip(&before)
                    .map(|(a, b)| f64::from(a - b).abs());
                let ratio = moved.fold(0.0, f64::max) / f64::from(step.step_size);
                worst = worst.max(ratio / step.ratio_bound());
            }
            assert!(worst <= 1.0, "{beta1} {beta2} {eps}: {worst} of the bound");
        }
    }
}
