//! Optimizers: [`Sgd`] and [`Adam`], with L2 or decoupled weight decay and gradient clipping.
//!
//! An optimizer is handed every parameter by [`Params::finish_update`](crate::Params::finish_update),
//! which also computes the global gradient norm for clipping. State (Adam's moments) is kept per
//! parameter path, so use one optimizer per model.
//!
//! Both update a lookup table's untouched rows (see [`Param::update`]) without reading their
//! gradient, which is zero: the results are those of a dense update.

use std::collections::HashMap;

use crate::kernels::ops::multiversion;
use crate::kernels::threads::threads;
use crate::model::{Optimizer, Param};

/// How weights are pulled towards zero.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum WeightDecay {
    /// None.
    None,
    /// L2 penalty: `rate * w` is added to the gradient (before Adam's scaling).
    L2(f32),
    /// Decoupled weight decay (AdamW): `w -= learn_rate * rate * w`, outside the gradient.
    Decoupled(f32),
}

impl WeightDecay {
    fn penalty(self) -> f32 {
        match self {
            WeightDecay::L2(rate) => rate,
            _ => 0.0,
        }
    }
    fn decoupled(self) -> f32 {
        match self {
            WeightDecay::Decoupled(rate) => rate,
            _ => 0.0,
        }
    }
}

/// Stochastic gradient descent: `w -= learn_rate * g`.
///
/// ```
/// use weft_runtime::{Optimizer, Param, Sgd};
/// let mut w = Param::new(&[2], vec![1.0, 2.0]);
/// w.value_and_grad_mut().1.copy_from_slice(&[0.5, -1.0]);
/// Sgd::new(0.1).update("w", &mut w, 1.0);
/// assert_eq!(w.value(), &[0.95, 2.1]);
/// assert_eq!(&w.grad()[..], &[0.0, 0.0]);
/// ```
#[derive(Clone, Debug)]
pub struct Sgd {
    /// Step size.
    pub learn_rate: f32,
    /// Weight decay.
    pub weight_decay: WeightDecay,
    /// Global gradient-norm clipping.
    pub grad_clip: Option<f32>,
}

impl Sgd {
    /// SGD with `learn_rate`, no weight decay, no clipping.
    pub fn new(learn_rate: f32) -> Self {
        Sgd {
            learn_rate,
            weight_decay: WeightDecay::None,
            grad_clip: None,
        }
    }
}

impl Optimizer for Sgd {
    fn grad_clip(&self) -> Option<f32> {
        self.grad_clip
    }

    fn begin_step(&mut self) {}

    fn update(&mut self, _: &str, param: &mut Param, grad_scale: f32) {
        let (lr, l2, decay) = (
            self.learn_rate,
            self.weight_decay.penalty(),
            self.weight_decay.decoupled(),
        );
        param.update(|u| {
            let rows = u.values.chunks_mut(u.width.max(1));
            let rows = rows.zip(u.grad.chunks_mut(u.width.max(1))).zip(u.touched);
            // Without weight decay, a row of zero gradient does not move.
            for ((values, grads), _) in rows.filter(|(_, t)| **t || l2 != 0.0 || decay != 0.0) {
                for (w, g) in values.iter_mut().zip(grads.iter_mut()) {
                    let grad = *g * grad_scale + l2 * *w;
                    *w -= lr * (grad + decay * *w);
                    *g = 0.0;
                }
            }
        });
    }
}

/// Adam (Kingma & Ba), with bias correction, as in PyTorch and Thinc.
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

#[derive(Clone, Debug)]
struct Moments {
    mean: Vec<f32>,
    var: Vec<f32>,
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
}

impl Optimizer for Adam {
    fn grad_clip(&self) -> Option<f32> {
        self.grad_clip
    }

    fn begin_step(&mut self) {
        self.step += 1;
    }

    fn update(&mut self, path: &str, param: &mut Param, grad_scale: f32) {
        let n = param.len();
        let fresh = || Moments {
            mean: vec![0.0; n],
            var: vec![0.0; n],
        };
        if !self.moments.contains_key(path) {
            self.moments.insert(path.to_owned(), fresh());
        }
        let moments = self.moments.get_mut(path).expect("inserted above");
        if moments.mean.len() != n {
            // Another parameter under the same path (another model): start it afresh.
            *moments = fresh();
        }
        let (b1, b2, eps) = (self.beta1, self.beta2, self.eps);
        let step = self.step.max(1);
        let correction1 = 1.0 - b1.powi(step);
        let correction2 = 1.0 - b2.powi(step);
        let step_size = self.learn_rate * correction2.sqrt() / correction1;
        let eps_hat = eps * correction2.sqrt();
        let l2 = self.weight_decay.penalty();
        let decay = self.learn_rate * self.weight_decay.decoupled();
        let step = AdamStep {
            b1,
            b2,
            step_size,
            eps_hat,
            l2,
            decay,
            grad_scale,
        };
        let moments = (&mut moments.mean[..], &mut moments.var[..]);
        param.update(|u| adam_in_parallel(&step, u.values, u.grad, moments, u.width, u.touched));
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;
    use crate::kernels::rng::Rng;

    /// Rows of a table big enough for [`adam_in_parallel`] to split it.
    const ROWS: usize = 700;
    const WIDTH: usize = 64;

    /// Steps `optimizer` over two copies of a table for the same gradients, added row by row
    /// (`add_grad_rows`, so the update skips untouched rows) and through `value_and_grad_mut`
    /// (which makes the update dense); the two must stay equal to the bit. On a pool of four
    /// threads, whatever the machine: 300 rows, some repeated, are enough for `add_grad_rows`
    /// to share the table out between them. Step 2 touches no row: momentum and decay still
    /// move the values, when `idle_moves`.
    fn sparse_matches_dense(optimizer: impl Optimizer + Clone + Send, idle_moves: bool) {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build();
        pool.expect("a pool")
            .install(|| steps(optimizer, idle_moves));
    }

    /// The steps of [`sparse_matches_dense`].
    fn steps(mut optimizer: impl Optimizer + Clone, idle_moves: bool) {
        let mut rng = Rng::new(4);
        let init = rng.uniform_vec(ROWS * WIDTH, 0.1);
        let mut sparse = Param::new(&[ROWS, WIDTH], init.clone());
        let mut dense = Param::new(&[ROWS, WIDTH], init);
        let mut dense_optimizer = optimizer.clone();
        for step in 0..4 {
            let touches = if step == 2 { 0 } else { 300 };
            let rows: Vec<usize> = (0..touches)
                .map(|i| (i * i * 7 + step * 11) % ROWS)
                .collect();
            let d = Array2::from_shape_fn((touches, WIDTH), |_| rng.uniform(-1.0, 1.0));
            sparse.add_grad_rows(rows.iter().copied().zip(d.rows()));
            let (_, grad) = dense.value_and_grad_mut();
            for (&row, d) in rows.iter().zip(d.rows()) {
                let target = &mut grad[row * WIDTH..(row + 1) * WIDTH];
                target.iter_mut().zip(d).for_each(|(g, &d)| *g += d);
            }
            // Summed in another order: equal to f64 rounding.
            let (a, b) = (sparse.grad_sum_of_squares(), dense.grad_sum_of_squares());
            assert!((a - b).abs() <= 1e-12 * b, "{a} vs {b}");
            let before = sparse.value().to_vec();
            optimizer.begin_step();
            optimizer.update("E", &mut sparse, 0.5);
            dense_optimizer.begin_step();
            dense_optimizer.update("E", &mut dense, 0.5);
            assert_eq!(sparse.value(), dense.value(), "step {step}");
            assert!(
                sparse
                    .grad()
                    .iter()
                    .chain(&dense.grad()[..])
                    .all(|&g| g == 0.0)
            );
            let moved = sparse.value() != before;
            assert_eq!(moved, step != 2 || idle_moves, "step {step}");
        }
    }

    #[test]
    fn adam_skips_untouched_rows_with_the_results_of_a_dense_update() {
        for weight_decay in [
            WeightDecay::None,
            WeightDecay::L2(0.01),
            WeightDecay::Decoupled(0.1),
        ] {
            let adam = Adam {
                weight_decay,
                ..Adam::new(0.01)
            };
            sparse_matches_dense(adam, true);
        }
    }

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

    #[test]
    fn sgd_skips_untouched_rows_with_the_results_of_a_dense_update() {
        for weight_decay in [
            WeightDecay::None,
            WeightDecay::L2(0.01),
            WeightDecay::Decoupled(0.1),
        ] {
            let sgd = Sgd {
                weight_decay,
                ..Sgd::new(0.1)
            };
            sparse_matches_dense(sgd, weight_decay != WeightDecay::None);
        }
    }
}
