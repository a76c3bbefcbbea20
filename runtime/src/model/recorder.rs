//! How a walk records the architecture [`Signature`]: the layers in walk order, a part of the
//! model that names no layer, and the combinators other than chains with their branches.
//!
//! Saved models of format version 1 recorded combinators otherwise, and no unnamed parts:
//! loading one compares it with the model's signature recorded by the rules of version 1
//! ([`Rules::Version1`]), so that the files that loaded then load now.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use crate::model::{LayerSignature, Signature};

/// The kind of a part of a model that names no layer.
const UNNAMED: &str = "unnamed";

/// How a walk records a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rules {
    /// As this build saves it: a part of a model that records no layer stands as `unnamed`; a
    /// combinator's `branches` counts the entries each branch holds; a concatenation or sum
    /// whose branch is a concatenation or sum of its own kind records the inner branches as
    /// its own.
    Current,
    /// As format version 1 did: parts that record no layer do not appear, `branches` gives the
    /// layer positions each branch spans, and combinators nest as they are written.
    Version1,
}

/// The layers a combinator's branch walked: the positions they took in the scope, and the
/// entries they recorded.
pub(crate) struct Branch {
    pub(crate) positions: Range<usize>,
    pub(crate) entries: Range<usize>,
}

/// What a signature walk keeps: the layers seen so far, and the stack of layers it is inside.
pub(crate) struct Recorder {
    signature: Signature,
    open: Vec<usize>,
    rules: Rules,
}

impl Recorder {
    /// A recorder of no layer yet, following `rules`.
    pub(crate) fn new(rules: Rules) -> Self {
        Recorder {
            signature: Signature::default(),
            open: Vec::new(),
            rules,
        }
    }

    /// The number of entries recorded so far.
    pub(crate) fn len(&self) -> usize {
        self.signature.layers.len()
    }

    /// Enters the layer at `path`.
    pub(crate) fn open(&mut self, path: &str) {
        self.open.push(self.len());
        self.push(path.to_owned());
    }

    /// Leaves the innermost open layer.
    pub(crate) fn close(&mut self) {
        self.open.pop();
    }

    /// Records a part of the model at `scope` as `unnamed` when it recorded nothing, that is
    /// when there are still `before` entries; by the rules of version 1, nothing.
    pub(crate) fn name_if_silent(&mut self, before: usize, scope: &str) {
        if self.rules == Rules::Current && self.len() == before {
            self.push(scoped(scope, UNNAMED));
        }
    }

    /// Holds the next place in walk order for a combinator, whose entry is known only once
    /// its branches have been walked; see [`describe`](Self::describe).
    pub(crate) fn reserve(&mut self) -> usize {
        self.push(String::new());
        self.len() - 1
    }

    /// Fills the place `reserve` held with the combinator of `kind` at `scope` and its
    /// `branches`. When `associative`, a branch that is a combinator of the same kind and
    /// nothing else gives its branches in its stead, so that `(a | b) | c` records as
    /// `a | (b | c)` does.
    pub(crate) fn describe(
        &mut self,
        place: usize,
        scope: &str,
        kind: &str,
        associative: bool,
        branches: &[Branch],
    ) {
        let path = scoped(scope, kind);
        let text = match self.rules {
            Rules::Version1 => (branches.iter())
                .map(|branch| format!("{}..{}", branch.positions.start, branch.positions.end))
                .collect::<Vec<_>>(),
            Rules::Current => {
                let mut counts = Vec::new();
                // The last branch first, so that taking out an inner entry moves none of the
                // branches still to look at.
                for branch in branches.iter().rev() {
                    let held = (self.take_nested(associative, &path, &branch.entries))
                        .unwrap_or_else(|| vec![branch.entries.len()]);
                    counts.splice(0..0, held);
                }
                counts.iter().map(usize::to_string).collect()
            }
        };
        let entry = &mut self.signature.layers[place];
        entry.path = path;
        entry.attrs.insert("branches".to_owned(), text.join(" "));
    }

    /// The branches of the combinator at `path` that fills `entries` alone, whose entry it
    /// takes out; `None` when the combinator is not `associative`, or the branch is another.
    fn take_nested(
        &mut self,
        associative: bool,
        path: &str,
        entries: &Range<usize>,
    ) -> Option<Vec<usize>> {
        let inner = self.signature.layers.get(entries.start)?;
        if !associative || inner.path != path {
            return None;
        }
        let counts: Vec<usize> = (inner.attrs.get("branches")?.split(' '))
            .map(|count| count.parse().ok())
            .collect::<Option<_>>()?;
        (1 + counts.iter().sum::<usize>() == entries.len()).then_some(())?;
        self.signature.layers.remove(entries.start);
        Some(counts)
    }

    /// Records an attribute of the innermost open layer; outside every layer, nothing.
    pub(crate) fn attr(&mut self, name: &str, value: &dyn fmt::Display) {
        if let Some(&layer) = self.open.last() {
            let attrs = &mut self.signature.layers[layer].attrs;
            attrs.insert(name.to_owned(), value.to_string());
        }
    }

    /// The signature recorded.
    pub(crate) fn finish(self) -> Signature {
        self.signature
    }

    fn push(&mut self, path: String) {
        self.signature.layers.push(LayerSignature {
            path,
            attrs: BTreeMap::new(),
        });
    }
}

/// `kind` under `scope`: `concat`, or `0.highway.concat` inside a layer.
fn scoped(scope: &str, kind: &str) -> String {
    match scope.is_empty() {
        true => kind.to_owned(),
        false => format!("{scope}.{kind}"),
    }
}
