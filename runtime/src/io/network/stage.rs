//! [`Stage`]: a part of a network built at run time, typed by what it takes and what it
//! outputs, and the combinators over stages. The grammar has checked that the parts fit; a
//! pair that does not fit is an internal error, never a panic.

use std::any::Any;

use crate::combinators::{add, chain, concat, residual, sentences, with_array};
use crate::data::{Documents, Floats2, Ids, Keys, Ragged};
use crate::error::{Error, Result};
use crate::model::{Boxed, Model};

/// A vector per token.
pub(crate) type Tokens = Ragged<Floats2>;

/// A built part of a network, by what it takes (token ids, hash keys, documents of either, a
/// vector per token, one vector per example) and what it outputs (a vector per token, one per
/// example). Over documents, a token is a sentence: `DocsTokens` outputs a vector per sentence.
pub(crate) enum Stage {
    IdsTokens(Boxed<Ragged<Ids>, Tokens>),
    IdsRows(Boxed<Ragged<Ids>, Floats2>),
    KeysTokens(Boxed<Ragged<Keys>, Tokens>),
    KeysRows(Boxed<Ragged<Keys>, Floats2>),
    DocsTokens(Boxed<Documents, Tokens>),
    DocsRows(Boxed<Documents, Floats2>),
    KeyDocsTokens(Boxed<Documents<Keys>, Tokens>),
    KeyDocsRows(Boxed<Documents<Keys>, Floats2>),
    TokensTokens(Boxed<Tokens, Tokens>),
    TokensRows(Boxed<Tokens, Floats2>),
    RowsRows(Boxed<Floats2, Floats2>),
}

use Stage::*;

/// `$join(a, b)` of two stages of one kind, a stage of that kind; an internal error for two
/// kinds.
macro_rules! one_kind {
    ($first:expr, $second:expr, $what:expr, $join:expr) => {
        match ($first, $second) {
            (IdsTokens(a), IdsTokens(b)) => Ok(IdsTokens($join(a, b).boxed())),
            (IdsRows(a), IdsRows(b)) => Ok(IdsRows($join(a, b).boxed())),
            (KeysTokens(a), KeysTokens(b)) => Ok(KeysTokens($join(a, b).boxed())),
            (KeysRows(a), KeysRows(b)) => Ok(KeysRows($join(a, b).boxed())),
            (DocsTokens(a), DocsTokens(b)) => Ok(DocsTokens($join(a, b).boxed())),
            (DocsRows(a), DocsRows(b)) => Ok(DocsRows($join(a, b).boxed())),
            (KeyDocsTokens(a), KeyDocsTokens(b)) => Ok(KeyDocsTokens($join(a, b).boxed())),
            (KeyDocsRows(a), KeyDocsRows(b)) => Ok(KeyDocsRows($join(a, b).boxed())),
            (TokensTokens(a), TokensTokens(b)) => Ok(TokensTokens($join(a, b).boxed())),
            (TokensRows(a), TokensRows(b)) => Ok(TokensRows($join(a, b).boxed())),
            (RowsRows(a), RowsRows(b)) => Ok(RowsRows($join(a, b).boxed())),
            _ => Err(misfit($what)),
        }
    };
}

/// An error for parts the grammar should not have let through.
fn misfit(what: &str) -> Error {
    Error::Network {
        message: format!(
            "internal error: {what} of parts that do not fit, which the grammar let through"
        ),
    }
}

impl Stage {
    /// What it takes and outputs, in words.
    pub(crate) fn ends(&self) -> &'static str {
        match self {
            IdsTokens(_) => "takes token ids and outputs a vector per token",
            IdsRows(_) => "takes token ids and outputs one vector per example",
            KeysTokens(_) => "takes hash keys and outputs a vector per token",
            KeysRows(_) => "takes hash keys and outputs one vector per example",
            DocsTokens(_) => "takes documents of token ids and outputs a vector per sentence",
            DocsRows(_) => "takes documents of token ids and outputs one vector per document",
            KeyDocsTokens(_) => "takes documents of hash keys and outputs a vector per sentence",
            KeyDocsRows(_) => "takes documents of hash keys and outputs one vector per document",
            TokensTokens(_) => "takes a vector per token and outputs a vector per token",
            TokensRows(_) => "takes a vector per token and outputs one vector per example",
            RowsRows(_) => "takes one vector per example and outputs one per example",
        }
    }

    /// The model, to be taken as its type.
    pub(crate) fn into_any(self) -> Box<dyn Any> {
        match self {
            IdsTokens(m) => Box::new(m),
            IdsRows(m) => Box::new(m),
            KeysTokens(m) => Box::new(m),
            KeysRows(m) => Box::new(m),
            DocsTokens(m) => Box::new(m),
            DocsRows(m) => Box::new(m),
            KeyDocsTokens(m) => Box::new(m),
            KeyDocsRows(m) => Box::new(m),
            TokensTokens(m) => Box::new(m),
            TokensRows(m) => Box::new(m),
            RowsRows(m) => Box::new(m),
        }
    }

    /// A layer from rows to rows, or, run on every token, from tokens to tokens.
    pub(crate) fn rows(
        layer: impl Model<In = Floats2, Out = Floats2> + 'static,
        per_token: bool,
    ) -> Stage {
        match per_token {
            true => TokensTokens(with_array(layer).boxed()),
            false => RowsRows(layer.boxed()),
        }
    }

    /// `self` then `next`.
    pub(crate) fn chain(self, next: Stage) -> Result<Stage> {
        macro_rules! chains {
            ($($first:ident >> $second:ident => $whole:ident),* $(,)?) => {
                match (self, next) {
                    $(($first(a), $second(b)) => Ok($whole(chain(a, b).boxed())),)*
                    _ => Err(misfit("a chain")),
                }
            };
        }
        chains!(
            IdsTokens >> TokensTokens => IdsTokens,
            IdsTokens >> TokensRows => IdsRows,
            IdsRows >> RowsRows => IdsRows,
            KeysTokens >> TokensTokens => KeysTokens,
            KeysTokens >> TokensRows => KeysRows,
            KeysRows >> RowsRows => KeysRows,
            DocsTokens >> TokensTokens => DocsTokens,
            DocsTokens >> TokensRows => DocsRows,
            DocsRows >> RowsRows => DocsRows,
            KeyDocsTokens >> TokensTokens => KeyDocsTokens,
            KeyDocsTokens >> TokensRows => KeyDocsRows,
            KeyDocsRows >> RowsRows => KeyDocsRows,
            TokensTokens >> TokensTokens => TokensTokens,
            TokensTokens >> TokensRows => TokensRows,
            TokensRows >> RowsRows => TokensRows,
            RowsRows >> RowsRows => RowsRows,
        )
    }

    /// `self + other`: parts of one kind, their outputs summed.
    pub(crate) fn add(self, other: Stage) -> Result<Stage> {
        one_kind!(self, other, "a sum", add)
    }

    /// `self | other`: parts of one kind, their vectors side by side.
    pub(crate) fn concat(self, other: Stage) -> Result<Stage> {
        one_kind!(self, other, "a concatenation", concat::<_, _, _, _, usize>)
    }

    /// `x + self(x)`.
    pub(crate) fn residual(self) -> Result<Stage> {
        match self {
            TokensTokens(a) => Ok(TokensTokens(residual(a).boxed())),
            RowsRows(a) => Ok(RowsRows(residual(a).boxed())),
            _ => Err(misfit("a residual")),
        }
    }

    /// `self` on every token's vector.
    pub(crate) fn with_array(self) -> Result<Stage> {
        match self {
            RowsRows(a) => Ok(TokensTokens(with_array(a).boxed())),
            _ => Err(misfit("`with_array`")),
        }
    }

    /// `self` over every sentence of documents, a vector per sentence.
    pub(crate) fn sentences(self) -> Result<Stage> {
        match self {
            IdsRows(a) => Ok(DocsTokens(sentences(a).boxed())),
            KeysRows(a) => Ok(KeyDocsTokens(sentences(a).boxed())),
            _ => Err(misfit("`sentences`")),
        }
    }

    /// `count` copies, chained, each made by `make`: as `a ** n` in `model!`, whose copies
    /// name their parameters as a chain's.
    pub(crate) fn clones(count: usize, mut make: impl FnMut() -> Result<Stage>) -> Result<Stage> {
        let mut copies = make()?;
        for _ in 1..count {
            copies = copies.chain(make()?)?;
        }
        Ok(copies)
    }
}
