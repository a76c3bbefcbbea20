//! [`Stage`]: a part of a network built at run time, typed by what it takes and what it
//! outputs, and the combinators over stages. The grammar has checked that the parts fit; a
//! pair that does not fit is an internal error, never a panic.

use std::any::Any;

use crate::combinators::{add, both, chain, concat, residual, sentences, with_array};
use crate::data::{Documents, Floats2, Ids, Keys, Pairs, Ragged};
use crate::error::{Error, Result};
use crate::layers::AttentionBy;
use crate::model::{Boxed, Model};

/// A vector per token.
pub(crate) type Tokens = Ragged<Floats2>;

/// Pairs of token ids.
pub(crate) type PairIds = Pairs<Ragged<Ids>>;
/// Pairs of a vector per token.
pub(crate) type PairTokens = Pairs<Tokens>;
/// Pairs of one vector per side.
pub(crate) type PairRows = Pairs<Floats2>;

/// A built part of a network, by what it takes (token ids, hash keys, documents of either, a
/// vector per token, one vector per example, or pairs of token ids, of vectors per token or of
/// vectors) and what it outputs (a vector per token, one per example, or pairs of them). Over
/// documents, a token is a sentence: `DocsTokens` outputs a vector per sentence.
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
    PairIdsPairTokens(Boxed<PairIds, PairTokens>),
    PairIdsPairRows(Boxed<PairIds, PairRows>),
    PairIdsRows(Boxed<PairIds, Floats2>),
    PairTokensPairTokens(Boxed<PairTokens, PairTokens>),
    PairTokensPairRows(Boxed<PairTokens, PairRows>),
    PairTokensRows(Boxed<PairTokens, Floats2>),
    PairRowsPairRows(Boxed<PairRows, PairRows>),
    PairRowsRows(Boxed<PairRows, Floats2>),
}

use Stage::*;

/// `$join(a, b)` of two stages of one of the `$kind`s, a stage of that kind; an internal error
/// for two kinds, or another.
macro_rules! one_kind {
    ($first:expr, $second:expr, $what:expr, $join:expr; $($kind:ident),*) => {
        match ($first, $second) {
            $(($kind(a), $kind(b)) => Ok($kind($join(a, b).boxed())),)*
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
            PairIdsPairTokens(_) => {
                "takes pairs of token ids and outputs pairs of a vector per token"
            }
            PairIdsPairRows(_) => "takes pairs of token ids and outputs pairs of vectors",
            PairIdsRows(_) => "takes pairs of token ids and outputs one vector per pair",
            PairTokensPairTokens(_) => {
                "takes pairs of a vector per token and outputs pairs of a vector per token"
            }
            PairTokensPairRows(_) => {
                "takes pairs of a vector per token and outputs pairs of vectors"
            }
            PairTokensRows(_) => {
                "takes pairs of a vector per token and outputs one vector per pair"
            }
            PairRowsPairRows(_) => "takes pairs of vectors and outputs pairs of vectors",
            PairRowsRows(_) => "takes pairs of vectors and outputs one vector per pair",
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
            PairIdsPairTokens(m) => Box::new(m),
            PairIdsPairRows(m) => Box::new(m),
            PairIdsRows(m) => Box::new(m),
            PairTokensPairTokens(m) => Box::new(m),
            PairTokensPairRows(m) => Box::new(m),
            PairTokensRows(m) => Box::new(m),
            PairRowsPairRows(m) => Box::new(m),
            PairRowsRows(m) => Box::new(m),
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
            PairIdsPairTokens >> PairTokensPairTokens => PairIdsPairTokens,
            PairIdsPairTokens >> PairTokensPairRows => PairIdsPairRows,
            PairIdsPairTokens >> PairTokensRows => PairIdsRows,
            PairIdsPairRows >> PairRowsPairRows => PairIdsPairRows,
            PairIdsPairRows >> PairRowsRows => PairIdsRows,
            PairIdsRows >> RowsRows => PairIdsRows,
            PairTokensPairTokens >> PairTokensPairTokens => PairTokensPairTokens,
            PairTokensPairTokens >> PairTokensPairRows => PairTokensPairRows,
            PairTokensPairTokens >> PairTokensRows => PairTokensRows,
            PairTokensPairRows >> PairRowsPairRows => PairTokensPairRows,
            PairTokensPairRows >> PairRowsRows => PairTokensRows,
            PairTokensRows >> RowsRows => PairTokensRows,
            PairRowsPairRows >> PairRowsPairRows => PairRowsPairRows,
            PairRowsPairRows >> PairRowsRows => PairRowsRows,
            PairRowsRows >> RowsRows => PairRowsRows,
        )
    }

    /// `self + other`: parts of one kind, their outputs summed.
    pub(crate) fn add(self, other: Stage) -> Result<Stage> {
        one_kind!(self, other, "a sum", add; IdsTokens, IdsRows, KeysTokens, KeysRows,
            DocsTokens, DocsRows, KeyDocsTokens, KeyDocsRows, TokensTokens, TokensRows, RowsRows,
            PairIdsPairTokens, PairIdsPairRows, PairIdsRows, PairTokensPairTokens,
            PairTokensPairRows, PairTokensRows, PairRowsPairRows, PairRowsRows)
    }

    /// `self | other`: parts of one kind, their vectors side by side.
    pub(crate) fn concat(self, other: Stage) -> Result<Stage> {
        // Pairs of outputs are not side by side: `concat_sides` joins the two sides.
        one_kind!(self, other, "a concatenation", concat::<_, _, _, _, usize>; IdsTokens, IdsRows,
            KeysTokens, KeysRows, DocsTokens, DocsRows, KeyDocsTokens, KeyDocsRows, TokensTokens,
            TokensRows, RowsRows, PairIdsRows, PairTokensRows, PairRowsRows)
    }

    /// `x + self(x)`.
    pub(crate) fn residual(self) -> Result<Stage> {
        match self {
            TokensTokens(a) => Ok(TokensTokens(residual(a).boxed())),
            RowsRows(a) => Ok(RowsRows(residual(a).boxed())),
            PairTokensPairTokens(a) => Ok(PairTokensPairTokens(residual(a).boxed())),
            PairRowsPairRows(a) => Ok(PairRowsPairRows(residual(a).boxed())),
            _ => Err(misfit("a residual")),
        }
    }

    /// Attention pooling against the queries `self` gives.
    pub(crate) fn attention_by(self) -> Result<Stage> {
        match self {
            TokensRows(query) => Ok(TokensRows(AttentionBy::new(query).boxed())),
            _ => Err(misfit("`attention_by`")),
        }
    }

    /// `self` on both sides of pairs.
    pub(crate) fn both(self) -> Result<Stage> {
        match self {
            IdsTokens(a) => Ok(PairIdsPairTokens(both(a).boxed())),
            IdsRows(a) => Ok(PairIdsPairRows(both(a).boxed())),
            TokensTokens(a) => Ok(PairTokensPairTokens(both(a).boxed())),
            TokensRows(a) => Ok(PairTokensPairRows(both(a).boxed())),
            RowsRows(a) => Ok(PairRowsPairRows(both(a).boxed())),
            KeysTokens(_) | KeysRows(_) => Err(Error::Network {
                message: "pairs of hash keys cannot be built at run time yet: give `model!` \
                          the network"
                    .into(),
            }),
            _ => Err(misfit("`both`")),
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
