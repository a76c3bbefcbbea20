//! [`Mpi`]: the processes `mpirun` started, as an [`Exchange`] (feature `mpi`, through the
//! `mpi` crate: Open MPI or MPICH underneath).
//!
//! The sums are `MPI_Allreduce` of `f32`s; Open MPI's algorithms add the processes' values in
//! an order that does not depend on the rank that receives them, so every process gets the same
//! sums, to the bit (the two-process test checks it, for every weight). The rows are
//! `MPI_Allgatherv` of `u32`s, after an `MPI_Allgather` of their counts. MPI is started with
//! `MPI_THREAD_SERIALIZED`: the training loop calls it from a thread of its pool, one call at a
//! time. An MPI error ends every process of the job (MPI's default handler), as does a process
//! that dies; [`Mpi::abort`] ends them on an error of weft's.

use std::time::Instant;

use mpi::Threading;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::CommunicatorCollectives;

use crate::error::{Error, Result};
use crate::training::Exchange;

/// The processes of `MPI_COMM_WORLD`, and what this one has sent to them.
///
/// ```no_run
/// use weft_runtime::training::{Exchange, Mpi};
/// let mut mpi = Mpi::initialize()?;
/// let mut values = [mpi.rank() as f32];
/// mpi.sum(&mut values)?;
/// let n = mpi.processes() as f32;
/// assert_eq!(values[0], n * (n - 1.0) / 2.0);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
pub struct Mpi {
    /// MPI, finalized when dropped.
    _universe: Universe,
    rank: usize,
    processes: usize,
    /// Bytes this process has put into collective operations, and the seconds spent in them.
    bytes: u64,
    seconds: f64,
}

impl Mpi {
    /// Starts MPI: an error when it was started before, or cannot call it from any thread one
    /// call at a time.
    pub fn initialize() -> Result<Mpi> {
        let error = |message: &str| Error::Threads {
            message: format!("MPI: {message}"),
        };
        let (universe, threading) = mpi::initialize_with_threading(Threading::Serialized)
            .ok_or_else(|| error("it was started before"))?;
        if threading < Threading::Serialized {
            return Err(error("it cannot be called from the pool's threads"));
        }
        let world = universe.world();
        let (rank, processes) = (world.rank() as usize, world.size() as usize);
        Ok(Mpi {
            _universe: universe,
            rank,
            processes,
            bytes: 0,
            seconds: 0.0,
        })
    }

    /// Bytes this process has put into the sums and gathers so far: the size of what it sends
    /// (an allreduce moves about twice that over the network, in each direction).
    pub fn bytes_sent(&self) -> u64 {
        self.bytes
    }

    /// Seconds spent in the sums and gathers so far, waiting for the slowest process included.
    pub fn seconds(&self) -> f64 {
        self.seconds
    }

    /// Ends every process of the job with exit code `code`: after an error in one of them,
    /// which the others would wait for forever.
    pub fn abort(&self, code: i32) -> ! {
        SimpleCommunicator::world().abort(code)
    }

    /// Runs `collective` on the world, counting `bytes` and the time it takes.
    fn counted<R>(&mut self, bytes: usize, collective: impl FnOnce(&SimpleCommunicator) -> R) -> R {
        let started = Instant::now();
        let result = collective(&SimpleCommunicator::world());
        self.seconds += started.elapsed().as_secs_f64();
        self.bytes += bytes as u64;
        result
    }
}

impl Exchange for Mpi {
    fn rank(&self) -> usize {
        self.rank
    }

    fn processes(&self) -> usize {
        self.processes
    }

    fn sum(&mut self, values: &mut [f32]) -> Result<()> {
        let mine = values.to_vec();
        self.counted(size_of_val(values), |world| {
            world.all_reduce_into(&mine[..], values, mpi::collective::SystemOperation::sum())
        });
        Ok(())
    }

    fn gather(&mut self, values: &[u32]) -> Result<Vec<u32>> {
        let count = i32::try_from(values.len())
            .map_err(|_| Error::shape("the values to gather", "fewer than 2³¹", values.len()))?;
        let mut counts = vec![0i32; self.processes];
        self.counted(size_of::<i32>(), |world| {
            world.all_gather_into(&count, &mut counts[..])
        });
        let total = counts.iter().map(|&c| c as usize).sum();
        let displacements: Vec<i32> = (counts.iter())
            .scan(0, |start, &count| {
                Some(std::mem::replace(start, *start + count))
            })
            .collect();
        let mut gathered = vec![0u32; total];
        let mut partition = PartitionMut::new(&mut gathered[..], counts, displacements);
        self.counted(size_of_val(values), |world| {
            world.all_gather_varcount_into(values, &mut partition)
        });
        Ok(gathered)
    }
}
