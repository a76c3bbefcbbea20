//! [`ParamAverages`]: moving averages of a model's parameters, as Thinc's optimizers keep them
//! with `use_averages`, and [`Averaged`], a model with its averages swapped in.

use std::ops::Deref;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::kernels::threads::threads;
use crate::model::Params;

/// Exponential moving averages of a model's parameters, updated after each optimizer step:
/// Thinc's `use_averages` (`Optimizer.__call__` in `thinc/optimizers.py`, which calls
/// `Ops.update_averages` in `thinc/backends/ops.py`).
///
/// The `t`-th [`update`](Self::update) (from 1) moves each average towards the parameter's
/// values, `average -= (1 - decay) * (average - value)` in `f32`, with
/// `decay = min((1 + t) / (10 + t), 0.9999)`; the averages are zeros before the first, as
/// Thinc's are. The decay starts at 2/11, so the zeros are soon forgotten (their weight after
/// `t` updates is the product of the decays, below 1e-6 from `t = 19`), and rises to 0.9999
/// (at `t = 89990`): an average over the last ten thousand updates or so.
///
/// The averages are what a run evaluates and saves: [`swap_in`](Self::swap_in) puts them in
/// the model until the [`Averaged`] it returns is dropped, and training goes on with the
/// model's own values.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, Params, Sgd, layers::Linear};
/// use weft_runtime::training::ParamAverages;
/// let mut model = Linear::new(Const::<1>, Const::<1>);
/// model.for_each_param_mut(&mut |_, p| p.value_mut().fill(0.0));
/// let mut averages = ParamAverages::new();
/// let x = Floats2::from_rows(&[[1.0]]);
/// let (_, backprop) = model.begin_update(x.clone());
/// backprop(Floats2::from_rows(&[[-1.0]]));
/// model.finish_update(&mut Sgd::new(0.5))?; // W and b: 0 - 0.5 * -1 = 0.5
/// averages.update(&model)?;
/// {
///     let averaged = averages.swap_in(&mut model)?;
///     // W and b: 0 - (1 - 2/11) * (0 - 0.5) = 9/22, and y = W * 1 + b.
///     assert_eq!(averaged.predict(x.clone()).view()[[0, 0]], 9.0 / 22.0 * 2.0);
/// }
/// assert_eq!(model.predict(x).view()[[0, 0]], 1.0);
/// # Ok::<(), weft_runtime::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ParamAverages {
    updates: u64,
    /// One per parameter of the model, in walk order.
    averages: Vec<Average>,
}

/// The average of one parameter.
#[derive(Clone, Debug)]
struct Average {
    path: String,
    values: Vec<f32>,
}

impl ParamAverages {
    /// Averages of no update yet: [`swap_in`](Self::swap_in) leaves a model as it is until the
    /// first [`update`](Self::update).
    pub fn new() -> Self {
        Self::default()
    }

    /// Averages holding the values of `averaged`, as after `updates` updates: to resume a run
    /// whose averages were saved as a model (through [`swap_in`](Self::swap_in) and
    /// [`to_disk`](Params::to_disk)) and loaded into another of the same architecture.
    ///
    /// ```
    /// use weft_runtime::{Const, Params, layers::Linear};
    /// use weft_runtime::training::ParamAverages;
    /// let mut model = Linear::new(Const::<1>, Const::<1>);
    /// let mut averages = ParamAverages::new();
    /// averages.update(&model)?;
    /// let saved = averages.swap_in(&mut model)?.to_bytes()?;
    /// let mut loaded = Linear::new(Const::<1>, Const::<1>);
    /// loaded.from_bytes(&saved)?;
    /// let mut resumed = ParamAverages::resume(&loaded, averages.updates());
    /// assert_eq!(resumed.swap_in(&mut model)?.to_bytes()?, saved);
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    pub fn resume<M: Params + ?Sized>(averaged: &M, updates: u64) -> Self {
        let mut averages = Vec::new();
        averaged.for_each_param(&mut |path, p| {
            averages.push(Average {
                path: path.to_owned(),
                values: p.value().to_vec(),
            })
        });
        ParamAverages { updates, averages }
    }

    /// The number of updates averaged so far.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// Moves the averages towards `model`'s values, as the type's doc states; call it after
    /// each [`finish_update`](Params::finish_update). The first update takes the model's
    /// parameters; later ones must find the same: else an [`Error::Shape`] naming the first
    /// that differs (its path or its number of values, or a parameter more or less), and
    /// nothing changes.
    pub fn update<M: Params + ?Sized>(&mut self, model: &M) -> Result<()> {
        if self.updates == 0 {
            // The model's parameters, averages of zero as Thinc's start.
            *self = Self::resume(model, 0);
            self.averages.iter_mut().for_each(|a| a.values.fill(0.0));
        }
        self.check(model)?;
        self.updates = self.updates.saturating_add(1);
        let rate = rate_of(self.updates);
        let mut averages = self.averages.iter_mut();
        model.for_each_param(&mut |_, p| {
            if let Some(average) = averages.next() {
                move_towards(&mut average.values, p.value(), rate);
            }
        });
        Ok(())
    }

    /// Swaps the averages into `model`, which must have the parameters averaged (else an
    /// [`Error::Shape`], and nothing changes), and returns the model with them in, read-only:
    /// evaluate it, save it. Dropping the [`Averaged`] swaps the model's own values back.
    /// Before the first [`update`](Self::update) there are no averages, and the model is as it
    /// was.
    pub fn swap_in<'a, M: Params + ?Sized>(
        &'a mut self,
        model: &'a mut M,
    ) -> Result<Averaged<'a, M>> {
        if self.updates > 0 {
            self.check(model)?;
            self.swap(model)?;
        }
        Ok(Averaged {
            model,
            averages: self,
        })
    }

    /// Swaps the averages with `model`'s values; [`check`](Self::check) has passed.
    fn swap<M: Params + ?Sized>(&mut self, model: &mut M) -> Result<()> {
        let mut averages = self.averages.iter_mut();
        model.for_each_param_mut(&mut |_, p| {
            if let Some(average) = averages.next() {
                p.value_mut().swap_with_slice(&mut average.values);
            }
        })
    }

    /// `Ok` when `model` has the parameters averaged, in the same order and of the same
    /// lengths; else an [`Error::Shape`] naming the first that differs.
    fn check<M: Params + ?Sized>(&self, model: &M) -> Result<()> {
        let described = |average: Option<&Average>| match average {
            Some(a) => format!("{} of length {}", a.path, a.values.len()),
            None => "no parameter".to_owned(),
        };
        let mut index = 0;
        let mut differs = None;
        model.for_each_param(&mut |path, p| {
            let average = self.averages.get(index);
            let same = average.is_some_and(|a| a.path == path && a.values.len() == p.len());
            if !same && differs.is_none() {
                let found = format!("{path} of length {}", p.len());
                differs = Some((index, described(average), found));
            }
            index += 1;
        });
        if differs.is_none() && index < self.averages.len() {
            let expected = described(self.averages.get(index));
            differs = Some((index, expected, "no parameter".to_owned()));
        }
        match differs {
            None => Ok(()),
            Some((index, expected, found)) => Err(Error::shape(
                format!("the model's parameter {index} (from 0), against the averages"),
                expected,
                found,
            )),
        }
    }
}

/// Thinc's `1 - decay` of the `t`-th update (from 1), `decay = min((1 + t) / (10 + t),
/// 0.9999)`: computed in `f64` as Python does, and rounded to `f32` as numpy does when it
/// multiplies an `f32` array by it.
fn rate_of(t: u64) -> f32 {
    let t = t as f64;
    let decay = ((1.0 + t) / (10.0 + t)).min(0.9999);
    (1.0 - decay) as f32
}

/// `average -= rate * (average - values)`, on the pool's threads for large parameters (an
/// embedding table), by blocks of 32k values.
fn move_towards(average: &mut [f32], values: &[f32], rate: f32) {
    const BLOCK: usize = 1 << 15;
    let step = |(average, values): (&mut [f32], &[f32])| {
        let pairs = average.iter_mut().zip(values);
        pairs.for_each(|(a, &v)| *a -= rate * (*a - v));
    };
    if threads() == 1 || average.len() <= BLOCK {
        step((average, values));
    } else {
        let blocks = average.par_chunks_mut(BLOCK).zip(values.par_chunks(BLOCK));
        blocks.for_each(step);
    }
}

/// A model with the averages of a [`ParamAverages`] in place of its values, read-only; its
/// own values come back when it is dropped. [`ParamAverages::swap_in`] makes it.
pub struct Averaged<'a, M: Params + ?Sized> {
    model: &'a mut M,
    averages: &'a mut ParamAverages,
}

impl<M: Params + ?Sized> Deref for Averaged<'_, M> {
    type Target = M;

    /// The model, with the averages in.
    fn deref(&self) -> &M {
        self.model
    }
}

impl<M: Params + ?Sized> Drop for Averaged<'_, M> {
    /// Swaps the model's own values back (and the averages back into the [`ParamAverages`]).
    fn drop(&mut self) {
        if self.averages.updates > 0 {
            // `swap_in`'s swap succeeded, and the model has been borrowed since: this one
            // cannot fail.
            let _ = self.averages.swap(self.model);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::layers::Linear;

    /// A model of two parameters, W (one value) and b (one value), set to `values`.
    fn model_of(values: [f32; 2]) -> Linear<Const<1>, Const<1>> {
        let mut model = Linear::new(Const::<1>, Const::<1>);
        set(&mut model, values);
        model
    }

    fn set(model: &mut Linear<Const<1>, Const<1>>, values: [f32; 2]) {
        let mut values = values.into_iter();
        model
            .for_each_param_mut(&mut |_, p| p.value_mut()[0] = values.next().unwrap())
            .unwrap();
    }

    fn values_of(model: &impl Params) -> Vec<f32> {
        let mut values = Vec::new();
        model.for_each_param(&mut |_, p| values.extend_from_slice(p.value()));
        values
    }

    /// Asserts that the averages swapped into `model` are `expected`, within `f32` rounding.
    fn assert_averages(averages: &mut ParamAverages, model: &mut impl Params, expected: [f64; 2]) {
        let found = values_of(&*averages.swap_in(model).unwrap());
        for (&found, expected) in found.iter().zip(expected) {
            let close = (f64::from(found) - expected).abs() <= 1e-6 * expected.abs();
            assert!(close, "found {found:?}, expected {expected:?}");
        }
    }

    /// Three updates of W at 1, 2, 4 and b at -11, 0, 13, by hand: the averages start at 0
    /// and move by `1 - decay`, `decay = (1 + t) / (10 + t)`: 9/11, then 9/12, then 9/13.
    #[test]
    fn the_averages_follow_thincs_rule() {
        let mut model = model_of([1.0, -11.0]);
        let mut averages = ParamAverages::new();
        averages.update(&model).unwrap();
        // W: 9/11 * 1; b: 9/11 * -11.
        assert_averages(&mut averages, &mut model, [9.0 / 11.0, -9.0]);
        set(&mut model, [2.0, 0.0]);
        averages.update(&model).unwrap();
        // W: 3/12 * 9/11 + 9/12 * 2 = 75/44; b: 3/12 * -9 + 9/12 * 0 = -9/4.
        assert_averages(&mut averages, &mut model, [75.0 / 44.0, -2.25]);
        set(&mut model, [4.0, 13.0]);
        averages.update(&model).unwrap();
        // W: 4/13 * 75/44 + 9/13 * 4 = 471/143; b: 4/13 * -9/4 + 9/13 * 13 = 108/13.
        assert_averages(&mut averages, &mut model, [471.0 / 143.0, 108.0 / 13.0]);
        assert_eq!(averages.updates(), 3);
        // The model's own values are back.
        assert_eq!(values_of(&model), [4.0, 13.0]);
    }

    /// `decay` reaches 0.9999 at `(1 + t) / (10 + t) = 0.9999`, t = 89,990, and stays there.
    #[test]
    fn the_decay_stops_at_thincs_max_decay() {
        assert_eq!(rate_of(1), (1.0 - 2.0 / 11.0) as f32);
        assert_eq!(rate_of(10), (1.0 - 11.0 / 20.0) as f32);
        assert_eq!(rate_of(1_000_000), (1.0 - 0.9999f64) as f32);
        assert_eq!(rate_of(u64::MAX), rate_of(1_000_000));
        assert!(rate_of(89_000) > rate_of(1_000_000));
    }

    #[test]
    fn another_model_is_refused_and_nothing_changes() {
        let mut averages = ParamAverages::new();
        averages.update(&model_of([1.0, 2.0])).unwrap();
        let before = averages.averages[0].values.clone();
        let mut wider = Linear::new(Const::<2>, Const::<1>);
        let wider_values = values_of(&wider);
        let error = averages.update(&wider).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the model's parameter 0 (from 0), against the averages: expected 0.linear.W of length \
             1, found 0.linear.W of length 2"
        );
        assert!(averages.swap_in(&mut wider).is_err());
        assert_eq!(values_of(&wider), wider_values);
        assert_eq!(
            (averages.updates(), &averages.averages[0].values),
            (1, &before)
        );
    }

    #[test]
    fn before_the_first_update_the_model_is_as_it_was() {
        let mut model = model_of([1.0, 2.0]);
        let mut averages = ParamAverages::new();
        assert_eq!(
            values_of(&*averages.swap_in(&mut model).unwrap()),
            [1.0, 2.0]
        );
        assert_eq!(values_of(&model), [1.0, 2.0]);
    }

    /// A table larger than a block is averaged by blocks on the pool: the same values.
    #[test]
    fn large_parameters_are_averaged_by_blocks_alike() {
        let n = (1 << 16) + 3;
        let values: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let mut by_blocks = vec![1.0; n];
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| move_towards(&mut by_blocks, &values, 0.25));
        let expected: Vec<f32> = values.iter().map(|&v| 1.0 - 0.25 * (1.0 - v)).collect();
        assert_eq!(by_blocks, expected);
    }
}
