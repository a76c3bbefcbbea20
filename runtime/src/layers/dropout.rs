//! [`Dropout`]: zeroes a random fraction of the values during training.
//!
//! Shapes: `Floats2<W>` → `Floats2<W>`. No parameters. In [`begin_update`](Model::begin_update)
//! each value is kept with probability `1 - rate` and scaled by `1 / (1 - rate)` (inverted
//! dropout), so [`predict`](Model::predict) is the identity. Backprop applies the same mask.

use std::sync::Mutex;

use super::boundary::check_gradient;
use crate::data::{Dim, Floats2, Values};

use crate::kernels::rng::Rng;

use crate::model::{Model, Params, Visit, VisitMut};

/// Inverted dropout with a seeded mask generator.
///
/// ```
/// use weft_runtime::{Const, Floats2, Model, layers::Dropout};
/// let dropout = Dropout::<Const<4>>::new(0.5);
/// let x = Floats2::from_rows(&[[1.0, 1.0, 1.0, 1.0]]);
/// assert_eq!(dropout.predict(x.clone()), x);
/// let (y, _) = dropout.begin_update(x);
/// assert!(y.view().iter().all(|&v| v == 0.0 || v == 2.0));
/// ```
pub struct Dropout<W: Dim> {
    rate: f32,
    rng: Mutex<Rng>,
    width: std::marker::PhantomData<fn() -> W>,
}

impl<W: Dim> Dropout<W> {
    /// Drops each value with probability `rate`.
    ///
    /// # Panics
    /// When `rate` is not in `[0, 1)` (NaN among them): a rate out of range is a mistake, and
    /// no rate near it would be what was meant. `model!` refuses a literal rate out of range at
    /// compile time, and a network written as text when it is read.
    pub fn new(rate: f32) -> Self {
        assert!(
            (0.0..1.0).contains(&rate),
            "dropout: the rate must be at least 0 and below 1, found {rate}"
        );
        Dropout {
            rate,
            rng: Mutex::new(Rng::fresh()),
            width: std::marker::PhantomData,
        }
    }

    /// The drop probability.
    pub fn rate(&self) -> f32 {
        self.rate
    }

    /// Restarts the sequence of masks from `seed`, to reproduce a run.
    pub fn reseed(&self, seed: u64) {
        *self.lock_rng() = Rng::new(seed);
    }

    fn lock_rng(&self) -> std::sync::MutexGuard<'_, Rng> {
        self.rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<W: Dim> Params for Dropout<W> {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("dropout", |walk| walk.attr("rate", &self.rate));
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("dropout", |_| {});
    }
}

impl<W: Dim> Model for Dropout<W> {
    type In = Floats2<W>;
    type Out = Floats2<W>;

    fn begin_update<'a>(
        &'a self,
        mut x: Floats2<W>,
    ) -> (
        Floats2<W>,
        impl FnOnce(Floats2<W>) -> Floats2<W> + Send + 'a,
    ) {
        let keep = 1.0 / (1.0 - self.rate);
        let mask: Vec<f32> = {
            let mut rng = self.lock_rng();
            (0..x.values().len())
                .map(|_| {
                    if rng.next_f32() < self.rate {
                        0.0
                    } else {
                        keep
                    }
                })
                .collect()
        };
        let apply = |v: &mut Floats2<W>, mask: &[f32]| {
            v.values_mut()
                .iter_mut()
                .zip(mask)
                .for_each(|(v, m)| *v *= m);
        };
        apply(&mut x, &mask);
        let (rows, width) = (x.rows(), x.width());
        let backprop = move |mut d_y: Floats2<W>| {
            check_gradient("dropout", rows, width, &d_y);
            apply(&mut d_y, &mask);
            d_y
        };
        (x, backprop)
    }

    fn predict(&self, x: Floats2<W>) -> Floats2<W> {
        x
    }

    fn output_width(&self) -> Option<usize> {
        W::CONST
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::training::testing::Reseeded;
    use crate::training::{GradcheckOptions, gradcheck};

    #[test]
    fn dropout_gradients_match_finite_differences() {
        let mut model = Reseeded {
            model: Dropout::<Const<4>>::new(0.5),
            reseed: |dropout| dropout.reseed(5),
        };
        let x = Floats2::from_rows(&[[0.5, -1.0, 2.0, 0.1], [1.5, 0.3, -0.7, 2.2]]);
        gradcheck(&mut model, &x, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn drops_about_the_rate() {
        let dropout = Dropout::<usize>::new(0.25);
        let x = Floats2::<usize>::new(ndarray::Array2::ones((100, 100))).unwrap();
        let (y, _) = dropout.begin_update(x);
        let dropped = y.values().iter().filter(|&&v| v == 0.0).count();
        assert!(
            (2200..2800).contains(&dropped),
            "{dropped} of 10000 dropped"
        );
    }

    #[test]
    fn a_rate_out_of_range_is_refused_never_clamped() {
        for rate in [f32::NAN, -0.1, 1.0, 1.5] {
            let made = std::panic::catch_unwind(|| Dropout::<Const<4>>::new(rate));
            let message = *made.err().unwrap().downcast::<String>().unwrap();
            assert_eq!(
                message,
                format!("dropout: the rate must be at least 0 and below 1, found {rate}")
            );
        }
        assert_eq!(Dropout::<Const<4>>::new(0.0).rate(), 0.0);
    }
}
