//! Helpers for the unit tests.

use crate::data::{Const, Floats2, Ragged};
use crate::kernels::rng::Rng;
use crate::model::Params;

/// The gradient accumulated in the parameter at `path`.
pub(crate) fn grad_of(model: &impl Params, path: &str) -> Vec<f32> {
    let mut grad = None;
    model.for_each_param(&mut |p, param| {
        if p == path {
            grad = Some(param.grad().to_vec());
        }
    });
    grad.unwrap_or_else(|| panic!("no parameter {path} in {:?}", model.param_names()))
}

/// Whether a kernel test's case of about `work` multiply-adds runs: every case does, but under
/// Miri, which interprets each instruction, only the small ones, whose shapes still reach the
/// edges of the kernels' blocks.
pub(crate) fn affordable(work: usize) -> bool {
    !cfg!(miri) || work <= 10_000
}

/// A ragged batch of `N`-wide rows, uniform in ±1, with these sequence `lengths`.
pub(crate) fn random_ragged<const N: usize>(
    lengths: &[usize],
    seed: u64,
) -> Ragged<Floats2<Const<N>>> {
    let rows: usize = lengths.iter().sum();
    let mut rng = Rng::new(seed);
    let mut data = Floats2::zeros(rows, Const::<N>);
    data.view_mut().mapv_inplace(|_| rng.uniform(-1.0, 1.0));
    Ragged::new(data, lengths.to_vec()).expect("rows match the lengths")
}

/// Asserts that `found` has `expected`'s shape and values within `tol`, naming the first
/// entry that differs.
pub(crate) fn assert_close(
    found: ndarray::ArrayView2<'_, f32>,
    expected: ndarray::ArrayView2<'_, f32>,
    tol: f32,
) {
    assert_eq!(found.shape(), expected.shape());
    for ((index, &f), &e) in found.indexed_iter().zip(&expected) {
        assert!(
            (f - e).abs() <= tol,
            "at {index:?}: found {f}, expected {e}"
        );
    }
}
