//! [`Exchange`]: how the processes of a data-parallel run add up their gradients; [`Alone`],
//! the one process that has no one to exchange with.
//!
//! Every process holds the whole model and the whole training set, shuffles it alike and cuts
//! it into the same batches. Of each batch of `n` examples, process `r` of `N` takes the
//! examples `n·r/N .. n·(r+1)/N` ([`shard`]), runs them forward and back, and then
//! [`sum_gradients`] adds up every process's gradient, so that every process updates the same
//! weights with the same gradient: that of one process that took the whole batch.
//!
//! The loss is a mean over the batch's `W` units (examples for a classifier, tokens for a
//! tagger); a process's loss is a mean over its `w_r`. So each process scales its gradient (and
//! its loss) by its share `w_r / W` before the sum: `Σ_r (w_r / W) · ∇L_r = ∇L` of the whole
//! batch. The gradient-norm clipping and the check for NaN that follow read the sum.
//!
//! What is sent: a dense parameter's gradient whole; of a lookup table's (an embedding's,
//! whose gradient records the rows a batch touched, [`Param::touched_rows`](crate::Param::touched_rows)), only the rows
//! some process touched. A first exchange ([`Exchange::gather`]) tells every process which
//! rows each touched; the second ([`Exchange::sum`]) adds up the gradients of the parameters
//! and the rows of the tables that any touched, and the losses, in one buffer. For a table of
//! 20,000 rows of which a batch of 64 texts touches about a thousand, that sends a twentieth
//! of the table (README, "Running on a cluster", has the measurements).

use std::ops::Range;

use crate::error::{Error, Result};
use crate::model::Params;

/// The processes of a data-parallel run, as the training loop needs them: who this one is, and
/// the two collective operations its gradient exchange is made of. Every process calls each
/// operation at the same point of the run, in the same order.
///
/// [`Alone`] is the run of one process; with the `mpi` feature,
/// `training::Mpi` is a run started by `mpirun`.
pub trait Exchange: Send {
    /// This process's place among them, from 0. Process 0 is the one that tells: the training
    /// loop calls its observer and writes its checkpoints there only.
    fn rank(&self) -> usize;

    /// How many processes train together.
    fn processes(&self) -> usize;

    /// Adds up `values` elementwise over every process, in place: each process passes as many,
    /// and each gets the same sums, to the bit.
    fn sum(&mut self, values: &mut [f32]) -> Result<()>;

    /// Every process's `values` (of any length), one after another in the order of the ranks.
    fn gather(&mut self, values: &[u32]) -> Result<Vec<u32>>;
}

/// The one process of a run that is not data-parallel: its gradient is the sum.
///
/// ```
/// use weft_runtime::training::{Alone, Exchange};
/// let mut alone = Alone;
/// let mut values = [1.0, 2.0];
/// alone.sum(&mut values)?;
/// assert_eq!((alone.rank(), alone.processes(), values), (0, 1, [1.0, 2.0]));
/// assert_eq!(alone.gather(&[7, 8])?, [7, 8]);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Alone;

impl Exchange for Alone {
    fn rank(&self) -> usize {
        0
    }

    fn processes(&self) -> usize {
        1
    }

    fn sum(&mut self, _: &mut [f32]) -> Result<()> {
        Ok(())
    }

    fn gather(&mut self, values: &[u32]) -> Result<Vec<u32>> {
        Ok(values.to_vec())
    }
}

/// The part of a batch of `n` examples that this process of `exchange` takes: `n·r/N ..
/// n·(r+1)/N`. The parts of the processes follow one another and cover the batch.
pub(crate) fn shard(exchange: &dyn Exchange, n: usize) -> Range<usize> {
    let (rank, processes) = (exchange.rank(), exchange.processes());
    n * rank / processes..n * (rank + 1) / processes
}

/// In [`sum_gradients`]' first exchange, a parameter whose gradient may be non-zero anywhere.
const DENSE: u32 = u32::MAX;

/// Sets the gradients of `model` in every process to the sum over the processes of each one's
/// gradient times its `share` of the batch (see the module doc), and returns the sum of their
/// `loss`es times their shares: the mean loss of the whole batch. One process's gradient and
/// loss are the sums already. An error when the processes' models differ, or from the
/// exchange.
pub(crate) fn sum_gradients(
    exchange: &mut dyn Exchange,
    model: &mut dyn Params,
    share: f32,
    loss: f32,
) -> Result<f32> {
    if exchange.processes() == 1 {
        return Ok(loss);
    }
    let (mut shapes, mut rows) = (Vec::new(), Vec::new());
    model.for_each_param(&mut |_, p| {
        shapes.push(p.matrix().dim());
        rows.push(p.touched_rows());
    });
    let touched = exchange.gather(&encode(&shapes, &rows)?)?;
    let rows = union(&touched, &shapes, exchange.processes())?;

    let mut sums = Vec::new();
    let mut rows_of = rows.iter();
    model.for_each_param(&mut |_, p| {
        let grad = p.grad();
        let scaled = |values: &[f32]| values.iter().map(|g| g * share).collect::<Vec<_>>();
        match rows_of.next().and_then(Option::as_ref) {
            None => sums.extend(scaled(&grad)),
            Some(rows) => {
                let width = p.matrix().ncols();
                for row in rows {
                    sums.extend(scaled(&grad[row * width..(row + 1) * width]));
                }
            }
        }
    });
    sums.push(loss * share);
    exchange.sum(&mut sums)?;

    let mut rows_of = rows.iter();
    let mut from = 0;
    model.for_each_param_mut(&mut |_, p| match rows_of.next().and_then(Option::as_ref) {
        None => {
            p.grad().copy_from_slice(&sums[from..from + p.len()]);
            from += p.len();
        }
        Some(rows) => {
            let values = rows.len() * p.matrix().ncols();
            p.set_grad_rows(rows, &sums[from..from + values]);
            from += values;
        }
    })?;
    Ok(sums[from])
}

/// The rows each parameter's gradient may be non-zero in (`None`: anywhere), as the first
/// exchange sends them: the count of the parameters, and for each its shape as a matrix (rows,
/// columns), and [`DENSE`], or the count of the rows touched and the rows. The shapes let each
/// process check that all sum buffers of the same length.
fn encode(shapes: &[(usize, usize)], rows: &[Option<Vec<usize>>]) -> Result<Vec<u32>> {
    let number = |n: usize| {
        u32::try_from(n)
            .ok()
            .filter(|&n| n != DENSE)
            .ok_or_else(|| Error::shape("a lookup table's rows", "fewer than 2³² - 1", n))
    };
    let mut encoded = vec![number(rows.len())?];
    for (&(n_rows, n_columns), rows) in shapes.iter().zip(rows) {
        encoded.extend([number(n_rows)?, number(n_columns)?]);
        match rows {
            None => encoded.push(DENSE),
            Some(rows) => {
                encoded.push(number(rows.len())?);
                for &row in rows {
                    encoded.push(number(row)?);
                }
            }
        }
    }
    Ok(encoded)
}

/// The rows of each parameter (of `shapes`, as matrices) that any of the `processes` may have
/// a non-zero gradient in, in order (`None`: anywhere), from every process's [`encode`]d rows.
/// An error when a process's rows are not of parameters of these shapes.
fn union(
    touched: &[u32],
    shapes: &[(usize, usize)],
    processes: usize,
) -> Result<Vec<Option<Vec<usize>>>> {
    let differ = |process: usize| {
        let what = "the parameters of the processes' models";
        let expected = "the same in every process (each must build the same network)";
        Error::shape(what, expected, format!("others in process {process}"))
    };
    let mut union: Vec<Option<Vec<usize>>> = vec![Some(Vec::new()); shapes.len()];
    let mut touched = touched.iter().map(|&n| n as usize);
    for process in 0..processes {
        let differ = || differ(process);
        if touched.next() != Some(shapes.len()) {
            return Err(differ());
        }
        for (union, &(n_rows, n_columns)) in union.iter_mut().zip(shapes) {
            if (touched.next(), touched.next()) != (Some(n_rows), Some(n_columns)) {
                return Err(differ());
            }
            match touched.next().ok_or_else(differ)? {
                n if n == DENSE as usize => *union = None,
                n => {
                    let rows: Vec<usize> = touched.by_ref().take(n).collect();
                    if rows.len() < n || rows.iter().any(|&row| row >= n_rows) {
                        return Err(differ());
                    }
                    if let Some(union) = union {
                        union.extend(rows);
                    }
                }
            }
        }
    }
    for rows in union.iter_mut().flatten() {
        rows.sort_unstable();
        rows.dedup();
    }
    Ok(union)
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;
    use crate::model::{Param, Visit, VisitMut};
    use crate::training::testing::Threads;

    /// A table and a dense layer.
    struct TwoParams {
        table: Param,
        dense: Param,
    }

    impl Params for TwoParams {
        fn visit(&self, walk: &mut Visit<'_>) {
            walk.param("table", &self.table);
            walk.param("dense", &self.dense);
        }
        fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
            walk.param("table", &mut self.table);
            walk.param("dense", &mut self.dense);
        }
    }

    #[test]
    fn the_sum_holds_every_process_s_rows_scaled_by_its_share() {
        let sums = std::thread::scope(|scope| {
            let threads = Threads::new(2).into_iter().map(|mut exchange| {
                scope.spawn(move || {
                    let rank = exchange.rank();
                    let mut model = TwoParams {
                        table: Param::zeros(&[4, 2]),
                        dense: Param::zeros(&[3]),
                    };
                    // Process 0 touches rows 1 and 3, process 1 row 3 and none of the dense.
                    let (row, d) = ([1, 3][rank], array![1.0, 2.0]);
                    model.table.add_grad_rows([(row, d.view()), (3, d.view())]);
                    if rank == 0 {
                        model.dense.grad().copy_from_slice(&[4.0, 4.0, 4.0]);
                    }
                    let share = [0.25, 0.75][rank];
                    let loss = sum_gradients(&mut exchange, &mut model, share, 4.0).unwrap();
                    let table = model.table.grad().to_vec();
                    (
                        loss,
                        table,
                        model.table.touched_rows(),
                        model.dense.grad().to_vec(),
                    )
                })
            });
            threads
                .collect::<Vec<_>>()
                .into_iter()
                .map(|t| t.join().unwrap())
                .collect::<Vec<_>>()
        });
        let table = vec![0.0, 0.0, 0.25, 0.5, 0.0, 0.0, 1.75, 3.5];
        let expected = (4.0, table, Some(vec![1, 3]), vec![1.0, 1.0, 1.0]);
        assert_eq!(sums, [expected.clone(), expected]);
    }

    #[test]
    fn processes_of_other_models_are_refused() {
        let shapes = [(4, 2), (1, 3)];
        let one = encode(&shapes, &[Some(vec![1]), None]).unwrap();
        let beyond = encode(&shapes, &[Some(vec![7]), None]).unwrap();
        let wider = encode(&[(4, 2), (1, 4)], &[Some(vec![1]), None]).unwrap();
        let fewer = encode(&shapes[..1], &[None]).unwrap();
        let both = union(&[one.clone(), one.clone()].concat(), &shapes, 2).unwrap();
        assert_eq!(both, [Some(vec![1]), None]);
        for other in [beyond, wider, fewer] {
            let touched = [one.clone(), other].concat();
            let error = union(&touched, &shapes, 2).unwrap_err().to_string();
            let expected = "the parameters of the processes' models: expected the same in every \
                process (each must build the same network), found others in process 1";
            assert_eq!(error, expected);
        }
    }

    #[test]
    fn shards_cover_the_batch() {
        let mut exchanges = Threads::new(3);
        let parts: Vec<_> = exchanges.iter_mut().map(|e| shard(e, 7)).collect();
        assert_eq!(parts, [0..2, 2..4, 4..7]);
        assert_eq!(shard(&Alone, 7), 0..7);
    }
}
