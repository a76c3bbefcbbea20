//! The attributes of tokens that spaCy's networks embed, and their keys.

use super::lexeme::{is_space, norm, prefix, shape, suffix};
use super::strings::string_id;
use crate::data::Keys;
use crate::error::{Error, Result};

/// A token as spaCy's `Doc` holds it: its text (`words`) and whether a space follows it
/// (`spaces`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// The token's text.
    pub text: &'a str,
    /// Whether a space follows the token.
    pub space_after: bool,
}

/// A token attribute of spaCy's (`spacy.attrs`), as its networks' `MultiHashEmbed` embeds it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Attr {
    /// The text as written: the key of its vector in a table of [`Vectors`](super::Vectors).
    Orth,
    /// The [`norm`](super::norm): lower-cased, with spaCy's base exceptions.
    Norm,
    /// The [`prefix`](super::prefix): the first code point.
    Prefix,
    /// The [`suffix`](super::suffix): the last three code points.
    Suffix,
    /// The [`shape`](super::shape): `Xxxx`, `dd`, ...
    Shape,
    /// Whether a space follows the token: key 1 or 0.
    Spacy,
    /// Whether the token is all white space ([`is_space`](super::is_space)): key 1 or 0.
    IsSpace,
}

impl Attr {
    /// Every attribute, in the order of this enum.
    pub const ALL: [Attr; 7] = [
        Attr::Orth,
        Attr::Norm,
        Attr::Prefix,
        Attr::Suffix,
        Attr::Shape,
        Attr::Spacy,
        Attr::IsSpace,
    ];

    /// spaCy's name of the attribute (`ORTH`, `NORM`, `PREFIX`, `SUFFIX`, `SHAPE`, `SPACY`,
    /// `IS_SPACE`).
    pub fn name(self) -> &'static str {
        match self {
            Attr::Orth => "ORTH",
            Attr::Norm => "NORM",
            Attr::Prefix => "PREFIX",
            Attr::Suffix => "SUFFIX",
            Attr::Shape => "SHAPE",
            Attr::Spacy => "SPACY",
            Attr::IsSpace => "IS_SPACE",
        }
    }

    /// The token's key for this attribute, the value spaCy's `Doc.to_array` gives: the
    /// [`string_id`](super::string_id) of a string attribute, 1 or 0 for a flag. The empty text
    /// (which spaCy's `Doc` refuses) has the keys of spaCy's empty lexeme: 0 for every
    /// attribute but [`Attr::Spacy`].
    ///
    /// ```
    /// use weft_runtime::text::{Attr, Token, hash_string};
    /// let token = Token { text: "Apples", space_after: true };
    /// assert_eq!(Attr::Orth.key(token), hash_string("Apples"));
    /// assert_eq!(Attr::Norm.key(token), hash_string("apples"));
    /// assert_eq!(Attr::Shape.key(token), hash_string("Xxxxx"));
    /// assert_eq!(Attr::Spacy.key(token), 1);
    /// assert_eq!(Attr::IsSpace.key(token), 0);
    /// ```
    pub fn key(self, token: Token<'_>) -> u64 {
        let text = token.text;
        match self {
            Attr::Orth => string_id(text),
            Attr::Norm => string_id(&norm(text)),
            Attr::Prefix => string_id(prefix(text)),
            Attr::Suffix => string_id(suffix(text)),
            Attr::Shape => string_id(&shape(text)),
            Attr::Spacy => u64::from(token.space_after),
            Attr::IsSpace => u64::from(is_space(text)),
        }
    }

    /// The keys of a batch of tokens for this attribute, one a row: the input of a
    /// [`HashEmbed`](crate::layers::HashEmbed) (spaCy's `FeatureExtractor`, one column).
    ///
    /// ```
    /// use weft_runtime::text::{Attr, Token, string_id};
    /// let tokens = [
    ///     Token { text: "Hi", space_after: false },
    ///     Token { text: "!", space_after: false },
    /// ];
    /// assert_eq!(Attr::Prefix.keys(&tokens).as_slice(), [string_id("H"), string_id("!")]);
    /// ```
    pub fn keys(self, tokens: &[Token<'_>]) -> Keys {
        Keys::new(tokens.iter().map(|&token| self.key(token)).collect())
    }

    /// The keys of a batch of tokens for each of `attrs`: a row per token, a column per
    /// attribute in the order of `attrs` (spaCy's `FeatureExtractor`, `Doc.to_array(attrs)`).
    /// The input of spaCy's `MultiHashEmbed`: a [`HashEmbed`](crate::layers::HashEmbed) per
    /// column.
    ///
    /// ```
    /// use weft_runtime::text::{Attr, Token, string_id};
    /// let tokens = [Token { text: "Hi", space_after: true }];
    /// let keys = Attr::table(&[Attr::Prefix, Attr::Spacy], &tokens)?;
    /// assert_eq!(keys.row(0), [string_id("H"), 1]);
    /// assert!(Attr::table(&[], &tokens).is_err());
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// When `attrs` is empty: a token needs a key at least.
    pub fn table(attrs: &[Attr], tokens: &[Token<'_>]) -> Result<Keys> {
        if attrs.is_empty() {
            return Err(Error::shape(
                "the attributes of a table of keys",
                "at least one",
                "none",
            ));
        }
        let keys = tokens
            .iter()
            .flat_map(|&token| attrs.iter().map(move |attr| attr.key(token)));
        Keys::table(attrs.len(), keys.collect())
    }
}
