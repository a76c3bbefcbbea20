//! Helpers for the unit tests.

use crate::Params;

/// The gradient accumulated in the parameter at `path`.
pub(crate) fn grad_of(model: &impl Params, path: &str) -> Vec<f32> {
    let mut grad = None;
    model.for_each_param(&mut |p, param| {
        if p == path {
            grad = Some(param.grad().clone());
        }
    });
    grad.unwrap_or_else(|| panic!("no parameter {path} in {:?}", model.param_names()))
}
