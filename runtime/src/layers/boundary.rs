//! The checks at a layer's boundary, once per call: the width of the rows a layer is given (or
//! the column of keys it reads), and the shape of the gradient its backprop closure is given.
//!
//! A width given as a `Const` is the layer's by type, and its check compiles to nothing; a
//! run-time `usize` width can differ. Both checks panic with a message that names the layer and
//! both shapes, as [`Model`](crate::Model)'s `# Panics` states: its methods return values, not
//! `Result`s.

use crate::data::{Dim, Floats2, Keys, Ragged};

/// Panics unless `given`, the width of the rows handed to `layer`, is the width it was `built`
/// for.
#[track_caller]
pub(crate) fn check_width<W: Dim>(layer: &str, built: W, given: W) {
    if built != given {
        panic!(
            "{layer}: given rows of width {}, but the layer was built for rows of width {}",
            given.size(),
            built.size()
        );
    }
}

/// The keys of column `column` of `keys`, which `layer` reads, one per row; panics when the
/// rows have no such column.
#[track_caller]
pub(crate) fn key_column<'k>(
    layer: &str,
    column: usize,
    keys: &'k Keys,
) -> impl ExactSizeIterator<Item = u64> + 'k {
    if column >= keys.columns() {
        panic!(
            "{layer}: reads column {column} of its keys, but they come in rows of {} \
             (give each token one key per attribute: `text::Attr::table`)",
            keys.columns()
        );
    }
    keys.column(column)
}

/// Panics unless `gradient`, handed to `layer`'s backprop, has the shape of its output: `rows`
/// rows of width `width`.
#[track_caller]
pub(crate) fn check_gradient<W: Dim>(layer: &str, rows: usize, width: W, gradient: &Floats2<W>) {
    let given = (gradient.rows(), gradient.width().size());
    if given != (rows, width.size()) {
        panic!(
            "{layer}: backprop given a gradient of shape {given:?}, but the output has shape {:?}",
            (rows, width.size())
        );
    }
}

/// Panics unless `gradient`, handed to `layer`'s backprop, has the shape of its output:
/// sequences of `lengths`, rows of width `width`.
#[track_caller]
pub(crate) fn check_sequences_gradient<W: Dim>(
    layer: &str,
    lengths: &[usize],
    width: W,
    gradient: &Ragged<Floats2<W>>,
) {
    let given = gradient.lengths();
    let difference = if given.len() != lengths.len() {
        format!(
            "{} sequences, for an output of {}",
            given.len(),
            lengths.len()
        )
    } else if let Some(i) = (0..given.len()).find(|&i| given[i] != lengths[i]) {
        let (found, expected) = (given[i], lengths[i]);
        format!("{found} rows in sequence {i}, where the output has {expected}")
    } else if gradient.data().width() != width {
        let found = gradient.data().width().size();
        format!(
            "rows of width {found}, for an output of width {}",
            width.size()
        )
    } else {
        return;
    };
    panic!("{layer}: backprop given a gradient of {difference}");
}
