//! Helpers for the unit tests.

use std::sync::{Arc, Barrier, Mutex};

use crate::data::{Const, Floats2, Grad, Ragged};
use crate::error::Result;
use crate::kernels::rng::Rng;
use crate::model::{Model, Params, Visit, VisitMut};
use crate::training::Exchange;

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

/// Draws the values of `model`'s parameters whose paths start with `under` uniform in ±1,
/// from a generator of `seed`: weights of a test's own, whatever tests ran before it.
pub(crate) fn draw_weights(model: &mut impl Params, under: &str, seed: u64) {
    let mut rng = Rng::new(seed);
    model
        .for_each_param_mut(&mut |path, p| {
            if path.starts_with(under) {
                p.value_mut().fill_with(|| rng.uniform(-1.0, 1.0));
            }
        })
        .expect("a test's model holds its shared layers");
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

/// A model whose random state `reseed` restarts before every training pass, so that
/// finite differences see the same dropout masks as the backprop closure.
pub(crate) struct Reseeded<M> {
    pub(crate) model: M,
    pub(crate) reseed: fn(&M),
}

impl<M: Params> Params for Reseeded<M> {
    fn visit(&self, walk: &mut Visit<'_>) {
        self.model.visit(walk)
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        self.model.visit_mut(walk)
    }
}

impl<M: Model> Model for Reseeded<M> {
    type In = M::In;
    type Out = M::Out;
    fn begin_update<'a>(
        &'a self,
        x: Self::In,
    ) -> (
        Self::Out,
        impl FnOnce(Grad<Self::Out>) -> Grad<Self::In> + Send + 'a,
    ) {
        (self.reseed)(&self.model);
        self.model.begin_update(x)
    }
    fn predict(&self, x: Self::In) -> Self::Out {
        self.model.predict(x)
    }
}

/// Processes that are threads of one test: each posts its values, waits for the others,
/// and reads them all.
pub(crate) struct Threads {
    rank: usize,
    processes: usize,
    barrier: Arc<Barrier>,
    posted: Arc<Mutex<Vec<Vec<f32>>>>,
    rows: Arc<Mutex<Vec<Vec<u32>>>>,
}

impl Threads {
    /// The exchanges of `processes` threads, by rank.
    pub(crate) fn new(processes: usize) -> Vec<Threads> {
        let barrier = Arc::new(Barrier::new(processes));
        let posted = Arc::new(Mutex::new(vec![Vec::new(); processes]));
        let rows = Arc::new(Mutex::new(vec![Vec::new(); processes]));
        (0..processes)
            .map(|rank| Threads {
                rank,
                processes,
                barrier: barrier.clone(),
                posted: posted.clone(),
                rows: rows.clone(),
            })
            .collect()
    }
}

impl Exchange for Threads {
    fn rank(&self) -> usize {
        self.rank
    }

    fn processes(&self) -> usize {
        self.processes
    }

    fn sum(&mut self, values: &mut [f32]) -> Result<()> {
        self.posted.lock().unwrap()[self.rank] = values.to_vec();
        self.barrier.wait();
        let posted = self.posted.lock().unwrap().clone();
        self.barrier.wait();
        for (i, value) in values.iter_mut().enumerate() {
            *value = posted.iter().map(|p| p[i]).sum();
        }
        Ok(())
    }

    fn gather(&mut self, values: &[u32]) -> Result<Vec<u32>> {
        self.rows.lock().unwrap()[self.rank] = values.to_vec();
        self.barrier.wait();
        let gathered = self.rows.lock().unwrap().concat();
        self.barrier.wait();
        Ok(gathered)
    }
}
