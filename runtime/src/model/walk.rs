//! The walk over a model's parameters that names them: [`Walk`], and its two forms [`Visit`]
//! and [`VisitMut`].
//!
//! Every parameter has a stable path such as `2.bilstm.0.fwd.W`: the position of its layer among
//! the layers of the flattened expression, the layer's kind, then the names inside the layer.
//! Combinators are transparent, so `a >> (b >> c)` and `(a >> b) >> c` name their parameters alike.

use std::fmt;

use crate::model::recorder::{Branch, Recorder, Rules};
use crate::model::sharing::SharedUses;
use crate::model::{Param, Params, Signature};

/// A walk over a model's parameters that keeps track of their paths.
///
/// Layers call [`layer`](Walk::layer) once with their kind and name their parameters inside it
/// with [`param`](Walk::param); a layer with inner structure (the directions of a BiLSTM) opens
/// [`scope`](Walk::scope)s, and records what its parameters do not tell about its architecture
/// with [`attr`](Walk::attr). Combinators walk each model they hold as a
/// [`child`](Walk::child), in a [`combinator`](Walk::combinator) unless they chain them. `F`
/// is the visitor: see [`Visit`] and [`VisitMut`].
pub struct Walk<'f, F: ?Sized> {
    path: String,
    counters: Vec<usize>,
    visit: &'f mut F,
    /// The layers and their attributes, in a walk for [`Params::signature`].
    signature: Option<Recorder>,
    /// The shared layers met so far.
    pub(super) shared: SharedUses,
}

/// A walk that reads every parameter.
pub type Visit<'f> = Walk<'f, dyn FnMut(&str, &Param) + 'f>;
/// A walk that changes every parameter.
pub type VisitMut<'f> = Walk<'f, dyn FnMut(&str, &mut Param) + 'f>;

impl<'f, F: ?Sized> Walk<'f, F> {
    /// A walk from the top of a model, calling `visit` with every parameter and its path.
    pub fn new(visit: &'f mut F) -> Self {
        Walk {
            path: String::new(),
            counters: vec![0],
            visit,
            signature: None,
            shared: SharedUses::default(),
        }
    }

    /// A walk that also records the architecture signature, by `rules`.
    pub(crate) fn recording(visit: &'f mut F, rules: Rules) -> Self {
        Walk {
            signature: Some(Recorder::new(rules)),
            ..Self::new(visit)
        }
    }

    /// The signature a [`recording`](Self::recording) walk saw.
    pub(crate) fn into_signature(self) -> Signature {
        self.signature.map(Recorder::finish).unwrap_or_default()
    }

    /// Enters the next layer of the current scope: its parameters are named
    /// `<position>.<kind>.<name>`.
    pub fn layer(&mut self, kind: &str, body: impl FnOnce(&mut Self)) {
        let counter = self
            .counters
            .last_mut()
            .expect("the top scope is never closed");
        let position = *counter;
        *counter += 1;
        self.nested(&format!("{position}.{kind}"), |walk| {
            if let Some(signature) = &mut walk.signature {
                signature.open(&walk.path);
            }
            body(walk);
            if let Some(signature) = &mut walk.signature {
                signature.close();
            }
        });
    }

    /// Records attribute `name` of the current layer in the architecture signature: a width,
    /// a seed, a rate, anything a saved model must agree on that its parameters' shapes do not
    /// show. Only a signature walk formats `value`; other walks ignore it, and so does a call
    /// outside every [`layer`](Self::layer).
    ///
    /// ```
    /// use weft_runtime::{Params, Visit, VisitMut};
    /// struct Noise {
    ///     rate: f32,
    /// }
    /// impl Params for Noise {
    ///     fn visit(&self, walk: &mut Visit<'_>) {
    ///         walk.layer("noise", |walk| walk.attr("rate", &self.rate));
    ///     }
    ///     fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
    ///         walk.layer("noise", |_| {});
    ///     }
    /// }
    /// assert_eq!(Noise { rate: 0.5 }.signature().to_string(), "0.noise rate=0.5\n");
    /// ```
    pub fn attr(&mut self, name: &str, value: &dyn fmt::Display) {
        if let Some(signature) = &mut self.signature {
            signature.attr(name, value);
        }
    }

    /// Walks a model that a combinator holds: a link of a chain, a copy of [`clones`], a
    /// branch, a sub-layer of a derived layer. Parameter paths do not change; a signature walk
    /// records the child as `unnamed` when it records no layer (its `Params` walk nothing), so
    /// that every layer has its place in the signature, and `a >> b` does not load a file of
    /// `a >> square >> b`.
    ///
    /// [`clones`]: crate::combinators::clones
    ///
    /// ```
    /// use weft_runtime::{Params, Visit, VisitMut};
    /// /// A layer without parameters, whose `Params` record nothing.
    /// struct Square;
    /// impl Params for Square {
    ///     fn visit(&self, _: &mut Visit<'_>) {}
    ///     fn visit_mut(&mut self, _: &mut VisitMut<'_>) {}
    /// }
    /// struct Twice(Square, Square);
    /// impl Params for Twice {
    ///     fn visit(&self, walk: &mut Visit<'_>) {
    ///         walk.child(|walk| self.0.visit(walk));
    ///         walk.child(|walk| self.1.visit(walk));
    ///     }
    ///     fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
    ///         walk.child(|walk| self.0.visit_mut(walk));
    ///         walk.child(|walk| self.1.visit_mut(walk));
    ///     }
    /// }
    /// assert_eq!(Twice(Square, Square).signature().to_string(), "unnamed\nunnamed\n");
    /// ```
    pub fn child(&mut self, body: impl FnOnce(&mut Self)) {
        let before = self.recorded();
        body(self);
        if let Some(signature) = &mut self.signature {
            signature.name_if_silent(before, &self.path);
        }
    }

    /// Walks the `branches` of a combinator other than a chain (`residual`). Parameter paths
    /// do not change; a signature walk records the combinator's kind and the number of
    /// entries each branch holds (`residual branches=1`), so that the same layers put together
    /// another way (`a >> residual(b)` against `a >> b`) are another architecture, and a saved
    /// model of one does not load into the other.
    pub fn combinator(&mut self, kind: &str, branches: &mut [&mut dyn FnMut(&mut Self)]) {
        self.combine(kind, false, branches);
    }

    /// Walks the `branches` of a combinator whose nesting does not matter (`concat`, `add`) as
    /// [`combinator`](Self::combinator) does, but for a branch that is a combinator of the
    /// same kind and nothing else: its branches are recorded as this one's, so that
    /// `(a | b) | c` and `a | (b | c)` have one signature (`concat branches=1 1 1`) and load
    /// each other's files.
    pub fn associative(&mut self, kind: &str, branches: &mut [&mut dyn FnMut(&mut Self)]) {
        self.combine(kind, true, branches);
    }

    fn combine(
        &mut self,
        kind: &str,
        associative: bool,
        branches: &mut [&mut dyn FnMut(&mut Self)],
    ) {
        let place = self.signature.as_mut().map(Recorder::reserve);
        let mut walked = Vec::with_capacity(branches.len());
        for branch in branches {
            let (position, entry) = (self.position(), self.recorded());
            self.child(|walk| branch(walk));
            walked.push(Branch {
                positions: position..self.position(),
                entries: entry..self.recorded(),
            });
        }
        if let (Some(place), Some(signature)) = (place, &mut self.signature) {
            signature.describe(place, &self.path, kind, associative, &walked);
        }
    }

    /// The position the next layer of the current scope will have.
    pub(super) fn position(&self) -> usize {
        *self.counters.last().expect("the top scope is never closed")
    }

    /// The number of entries a signature walk recorded so far; 0 for other walks.
    fn recorded(&self) -> usize {
        self.signature.as_ref().map_or(0, Recorder::len)
    }

    /// Enters a named part of the current layer (`fwd`, `bwd`, a sub-layer field); layers
    /// inside it are numbered from 0 again.
    pub fn scope(&mut self, name: &str, body: impl FnOnce(&mut Self)) {
        self.nested(name, body);
    }

    fn nested(&mut self, segment: &str, body: impl FnOnce(&mut Self)) {
        let len = self.path.len();
        self.push(segment);
        self.counters.push(0);
        body(self);
        self.counters.pop();
        self.path.truncate(len);
    }

    fn push(&mut self, segment: &str) {
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(segment);
    }

    fn with_name<R>(&mut self, name: &str, f: impl FnOnce(&str, &mut F) -> R) -> R {
        let len = self.path.len();
        self.push(name);
        let result = f(&self.path, self.visit);
        self.path.truncate(len);
        result
    }
}

impl Visit<'_> {
    /// Visits parameter `name` of the current layer.
    pub fn param(&mut self, name: &str, param: &Param) {
        self.with_name(name, |path, visit| visit(path, param));
    }
}

impl VisitMut<'_> {
    /// Visits parameter `name` of the current layer.
    pub fn param(&mut self, name: &str, param: &mut Param) {
        self.with_name(name, |path, visit| visit(path, param));
    }
}

/// The signature of `model`, recorded by `rules`.
pub(crate) fn signature_of<P: Params + ?Sized>(model: &P, rules: Rules) -> Signature {
    let mut ignore = |_: &str, _: &Param| {};
    let mut walk = Walk::recording(&mut ignore as &mut dyn FnMut(&str, &Param), rules);
    model.visit(&mut walk);
    walk.into_signature()
}
