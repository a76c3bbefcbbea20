//! [`Pairs`]: a batch of pairs of texts (a premise and a hypothesis, say), both sides in one
//! batch.
//!
//! The items of a batch of `n` pairs are the `2n` sides, first sides then second sides: item `i`
//! and item `n + i` make pair `i`. A network runs on both sides at once (one product per layer
//! for the whole batch, [`both`](crate::combinators::both)), and layers that relate the two sides
//! ([`Align`](crate::layers::Align), [`ConcatSides`](crate::layers::ConcatSides)) find pair `i`'s sides at
//! items `i` and `n + i`.

use crate::data::batch::split::Split;
use crate::data::{Accumulate, Batch, Columns, Data, Dim, Values};
use crate::error::{Error, Result};

/// A batch of pairs: the sides of every pair in one batch `T` (`Ragged<Ids>` of token ids,
/// `Ragged<Floats2<W>>` of a vector per token, `Floats2<W>` of one vector per side), first
/// sides then second sides.
///
/// ```
/// use weft_runtime::{Ids, Pairs, Ragged};
/// let premises = Ragged::from_sequences([vec![1, 2, 3], vec![4]]);
/// let hypotheses = Ragged::from_sequences([vec![5], vec![]]);
/// let pairs = Pairs::new(premises.clone(), hypotheses.clone())?;
/// assert_eq!(pairs.len(), 2);
/// assert_eq!(pairs.sides().lengths(), &[3, 1, 1, 0]);
/// assert_eq!(pairs.into_sides(), (premises, hypotheses));
///
/// let err = Pairs::new(Ragged::from_sequences([vec![1]]), Ragged::from_sequences([vec![2]; 2]));
/// assert_eq!(
///     err.unwrap_err().to_string(),
///     "pairs: expected a second side for each of the 1 first sides, found 2 second sides",
/// );
/// # Ok::<(), weft_runtime::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Pairs<T> {
    sides: T,
    pairs: usize,
}

impl<T: Batch> Pairs<T> {
    /// The pairs of `first[i]` and `second[i]`: an error unless both hold as many items.
    pub fn new(first: T, second: T) -> Result<Self> {
        let pairs = first.items();
        if second.items() != pairs {
            return Err(Error::shape(
                "pairs",
                format!("a second side for each of the {pairs} first sides"),
                format!("{} second sides", second.items()),
            ));
        }
        Ok(Pairs {
            sides: T::concat(vec![first, second]),
            pairs,
        })
    }

    /// The first sides and the second sides.
    pub fn into_sides(self) -> (T, T) {
        let mut halves = self
            .sides
            .split_at(&[self.pairs, 2 * self.pairs])
            .into_iter();
        let first = halves.next().expect("two halves");
        (first, halves.next().expect("two halves"))
    }
}

impl<T> Pairs<T> {
    /// `sides`, whose first `pairs` items are the first sides and the next `pairs` the second:
    /// the caller knows that it holds `2 * pairs` items.
    pub(crate) fn wrap(sides: T, pairs: usize) -> Self {
        Pairs { sides, pairs }
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.pairs
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs == 0
    }

    /// Every side: the first sides, then the second sides.
    pub fn sides(&self) -> &T {
        &self.sides
    }

    /// The sides (as [`sides`](Self::sides)) and the number of pairs.
    pub fn into_parts(self) -> (T, usize) {
        (self.sides, self.pairs)
    }
}

impl<T: Data> Data for Pairs<T> {
    type Grad = Pairs<T::Grad>;
}

impl<T: Accumulate> Accumulate for Pairs<T> {
    /// Panics when the counts of pairs differ, or as `T`'s sum does.
    fn accumulate(&mut self, other: &Self) {
        assert!(
            self.pairs == other.pairs,
            "sum of pairs of {} pairs and {}",
            self.pairs,
            other.pairs
        );
        self.sides.accumulate(&other.sides);
    }
}

impl<T: Values> Values for Pairs<T> {
    fn values(&self) -> &[f32] {
        self.sides.values()
    }
    fn values_mut(&mut self) -> &mut [f32] {
        self.sides.values_mut()
    }
}

impl<T: Columns> Columns for Pairs<T> {
    type Width = T::Width;
    type Of<W: Dim> = Pairs<T::Of<W>>;
    type Layout = (T::Layout, usize);

    fn unpack(self) -> (ndarray::Array2<f32>, (T::Layout, usize)) {
        let (rows, layout) = self.sides.unpack();
        (rows, (layout, self.pairs))
    }

    fn pack(rows: ndarray::Array2<f32>, (layout, pairs): (T::Layout, usize)) -> Self {
        Pairs {
            sides: T::pack(rows, layout),
            pairs,
        }
    }
}

/// Pairs are cut into runs of whole pairs: each part holds the first and the second sides of
/// its pairs.
impl<T: Split> Split for Pairs<T> {
    fn items(&self) -> usize {
        self.pairs
    }

    fn sizes(&self) -> Vec<usize> {
        let sizes = self.sides.sizes();
        let (first, second) = sizes.split_at(self.pairs);
        first.iter().zip(second).map(|(a, b)| a + b).collect()
    }

    fn split_at(self, ends: &[usize]) -> Vec<Self> {
        let n = self.pairs;
        let side_ends: Vec<usize> = ends
            .iter()
            .copied()
            .chain(ends.iter().map(|e| n + e))
            .collect();
        let mut sides = self.sides.split_at(&side_ends).into_iter();
        let firsts: Vec<T> = sides.by_ref().take(ends.len()).collect();
        let starts = std::iter::once(0).chain(ends.iter().copied());
        (firsts.into_iter().zip(sides))
            .zip(starts.zip(ends))
            .map(|((first, second), (start, end))| {
                Pairs::wrap(T::concat(vec![first, second]), end - start)
            })
            .collect()
    }

    fn concat(parts: Vec<Self>) -> Self {
        let pairs = parts.iter().map(|p| p.pairs).sum();
        let (mut firsts, mut seconds) = (Vec::new(), Vec::new());
        for part in parts {
            let mut halves = part
                .sides
                .split_at(&[part.pairs, 2 * part.pairs])
                .into_iter();
            firsts.extend(halves.next());
            seconds.extend(halves.next());
        }
        firsts.append(&mut seconds);
        Pairs::wrap(T::concat(firsts), pairs)
    }
}
