//! Optimizers: [`Sgd`] and [`Adam`], with L2 or decoupled weight decay and gradient clipping.
//!
//! An optimizer is handed every parameter by [`Params::finish_update`](crate::Params::finish_update),
//! which also computes the global gradient norm for clipping. State (Adam's moments) is kept per
//! parameter path, so use one optimizer per model.

use std::collections::HashMap;

use crate::Param;
use crate::ops::multiversion;

/// Updates parameters from their gradients.
pub trait Optimizer {
    /// The largest global gradient L2 norm allowed; larger gradients are scaled down to it.
    fn grad_clip(&self) -> Option<f32>;
    /// Called once per update, before the parameters.
    fn begin_step(&mut self);
    /// Updates `param` (at `path`) from its gradient times `grad_scale`, and zeroes the gradient.
    fn update(&mut self, path: &str, param: &mut Param, grad_scale: f32);
}

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
        let (values, grads) = param.value_and_grad_mut();
        for (w, g) in values.iter_mut().zip(grads.iter_mut()) {
            let grad = *g * grad_scale + l2 * *w;
            *w -= lr * (grad + decay * *w);
            *g = 0.0;
        }
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

multiversion! {
    /// One Adam step over a parameter's values, moments and gradient (zeroed on the way).
    fn adam_kernel(s: &AdamStep, values: &mut [f32], grads: &mut [f32], mean: &mut [f32], var: &mut [f32]) {
        // Slices of one length, indexed: no bounds checks, and the loop vectorizes.
        let n = values.len();
        let (grads, mean, var) = (&mut grads[..n], &mut mean[..n], &mut var[..n]);
        for i in 0..n {
            let w = values[i];
            let grad = grads[i] * s.grad_scale + s.l2 * w;
            let m = s.b1 * mean[i] + (1.0 - s.b1) * grad;
            let v = s.b2 * var[i] + (1.0 - s.b2) * grad * grad;
            (mean[i], var[i], grads[i]) = (m, v, 0.0);
            values[i] = w - s.step_size * m / (v.sqrt() + s.eps_hat) - s.decay * w;
        }
    }
}

/// [`adam_kernel`] over halves on the thread pool, down to blocks of 32k values (an embedding
/// table is most of a model's values).
fn adam_in_parallel(
    s: &AdamStep,
    values: &mut [f32],
    grads: &mut [f32],
    mean: &mut [f32],
    var: &mut [f32],
) {
    const BLOCK: usize = 1 << 15;
    if values.len() <= BLOCK || rayon::current_num_threads() == 1 {
        return adam_kernel(s, values, grads, mean, var);
    }
    let mid = values.len() / 2;
    let (v0, v1) = values.split_at_mut(mid);
    let (g0, g1) = grads.split_at_mut(mid);
    let (m0, m1) = mean.split_at_mut(mid);
    let (s0, s1) = var.split_at_mut(mid);
    rayon::join(
        || adam_in_parallel(s, v0, g0, m0, s0),
        || adam_in_parallel(s, v1, g1, m1, s1),
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
        let moments = self.moments.entry(path.to_owned()).or_insert_with(fresh);
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
        let (values, grads) = param.value_and_grad_mut();
        let step = AdamStep {
            b1,
            b2,
            step_size,
            eps_hat,
            l2,
            decay,
            grad_scale,
        };
        adam_in_parallel(&step, values, grads, &mut moments.mean, &mut moments.var);
    }
}
