//! Reading labelled text, and turning tokens and labels into ids.
//!
//! Four plain-text formats ([`Format`]), all UTF-8 (a byte-order mark at the start is dropped,
//! and a line may end in `\n` or `\r\n`), the fields of a line separated by tabs:
//! - **texts** (`tsv`, read by [`read_texts`]): `label<TAB>token token token`, one text per
//!   line, tokens separated by spaces; blank lines are skipped.
//! - **tagged tokens** (`conll`, read by [`read_tagged`]): `token<TAB>tag`, one token per line,
//!   a blank line after each sentence (CoNLL-style).
//! - **documents** (`docs`, read by [`read_documents`]): `label<TAB>sentence ||| sentence ...`,
//!   one document per line, the tokens of a sentence separated by spaces; blank lines are
//!   skipped.
//! - **sentence pairs** (`pairs`, read by [`read_pairs`]): `label<TAB>tokens<TAB>tokens`, one
//!   pair of texts per line (a premise and a hypothesis, say); blank lines are skipped.
//!
//! A reader first looks at the file's first lines ([`guess_format`]): a file that looks like
//! another format is an [`Error::Format`] saying which and how to read it, before any example is
//! read. A tagged file is not read as thousands of one-token texts, nor a file of texts as one
//! sentence.
//!
//! The readers stream the file a line at a time, a line at most [`MAX_LINE_BYTES`] long. What
//! they refuse is an [`Error::Parse`] naming the file and the line: a line that is not UTF-8, a
//! missing or extra tab, an empty field, a label or tag with white space at its edges (which
//! would silently be another class), a file without a single example. Each example keeps the
//! number of its line, so that later checks (a dev label the training data lacks:
//! [`Labels::index_at`]) can name it too.

mod documents;
mod format;
mod lines;
mod vocab;

use std::path::Path;

use crate::error::{Error, Result};
use lines::Lines;

pub use documents::{LabelledDocument, read_documents};
pub use format::{Format, guess_format};
pub use lines::MAX_LINE_BYTES;
pub use vocab::{Labels, Vocab};

/// One labelled text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelledText {
    /// The text's class.
    pub label: String,
    /// Its tokens.
    pub tokens: Vec<String>,
    /// The line of the file it was read from, from 1.
    pub line: usize,
}

/// One sentence of tagged tokens.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaggedSentence {
    /// The tokens.
    pub tokens: Vec<String>,
    /// One tag per token.
    pub tags: Vec<String>,
    /// The line of the file its first token was read from, from 1; token `i` is on line
    /// `line + i`.
    pub line: usize,
}

/// One labelled pair of texts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelledPair {
    /// The pair's class.
    pub label: String,
    /// The tokens of its first text (a premise, say).
    pub first: Vec<String>,
    /// The tokens of its second text (a hypothesis, say).
    pub second: Vec<String>,
    /// The line of the file it was read from, from 1.
    pub line: usize,
}

fn parse_error(path: &Path, line: usize, message: impl Into<String>) -> Error {
    Error::Parse {
        path: path.to_owned(),
        line,
        message: message.into(),
    }
}

/// Reads `label<TAB>tokens` lines: [`Format::Texts`]. An [`Error::Format`] when the file looks
/// like another format ([`guess_format`]), an [`Error::Parse`] at a malformed line.
///
/// ```
/// let dir = std::env::temp_dir().join("weft-doc-read-texts");
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("texts.tsv");
/// std::fs::write(&path, "fresh\ta fine film .\n\nrotten\tdull\n").unwrap();
/// let texts = weft_runtime::corpus::read_texts(&path).unwrap();
/// assert_eq!(texts[0].tokens, ["a", "fine", "film", "."]);
/// assert_eq!(texts[1].line, 3);
/// std::fs::write(&path, "fresh\tgood\nno tab here\n").unwrap();
/// let err = weft_runtime::corpus::read_texts(&path).unwrap_err().to_string();
/// assert!(err.ends_with("texts.tsv:2: expected `label<TAB>tokens`, found no tab"), "{err}");
/// ```
pub fn read_texts(path: impl AsRef<Path>) -> Result<Vec<LabelledText>> {
    read_examples(
        path.as_ref(),
        Format::Texts,
        "the file holds no texts: a text is a line `label<TAB>token token ...`",
        |line, number| {
            let (label, text) = label_and_text(line, "tokens")?;
            let tokens = tokens(text);
            if tokens.is_empty() {
                return Err("the text after the tab has no tokens".into());
            }
            Ok(LabelledText {
                label,
                tokens,
                line: number,
            })
        },
    )
}

/// The examples of the file at `path`, one per line that is not blank, each read by `example`
/// from the line and its number: an [`Error::Format`] when the file looks like another format
/// than `format`, an [`Error::Parse`] at the first line `example` refuses, and one with
/// `none` when there is no example.
fn read_examples<X>(
    path: &Path,
    format: Format,
    none: &str,
    example: impl Fn(&str, usize) -> std::result::Result<X, String>,
) -> Result<Vec<X>> {
    format::check(path, format)?;
    let mut lines = Lines::open(path)?;
    let mut examples = Vec::new();
    while let Some((line, text)) = lines.next_line()? {
        if text.trim().is_empty() {
            continue;
        }
        examples.push(example(text, line).map_err(|message| parse_error(path, line, message))?);
    }
    if examples.is_empty() {
        return Err(lines.error(none));
    }
    Ok(examples)
}

/// The label of a `label<TAB>text` line and its text, which holds `what` (for messages), or
/// what is wrong with them.
fn label_and_text<'a>(line: &'a str, what: &str) -> std::result::Result<(String, &'a str), String> {
    let Some((label, text)) = line.split_once('\t') else {
        return Err(format!("expected `label<TAB>{what}`, found no tab"));
    };
    name_field(label, "the label before the tab")?;
    if text.contains('\t') {
        return Err(format!(
            "expected `label<TAB>{what}`, found a second tab: tokens are separated by spaces"
        ));
    }
    Ok((label.to_owned(), text))
}

/// The tokens of `text`, separated by spaces.
fn tokens(text: &str) -> Vec<String> {
    text.split(' ')
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

/// Reads `label<TAB>tokens<TAB>tokens` lines: [`Format::Pairs`]. An [`Error::Format`] when the
/// file looks like another format ([`guess_format`]), an [`Error::Parse`] at a malformed line.
///
/// ```
/// let dir = std::env::temp_dir().join("weft-doc-read-pairs");
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("pairs.tsv");
/// std::fs::write(&path, "entailment\ta cat sat\ta cat\n\nneutral\tit rained\tthe sun shone\n").unwrap();
/// let pairs = weft_runtime::corpus::read_pairs(&path).unwrap();
/// assert_eq!((pairs[0].first.len(), pairs[0].second.len()), (3, 2));
/// assert_eq!((pairs[1].label.as_str(), pairs[1].line), ("neutral", 3));
/// std::fs::write(&path, "entailment\ta cat sat\ta cat\nneutral\tno second text\n").unwrap();
/// let err = weft_runtime::corpus::read_pairs(&path).unwrap_err().to_string();
/// assert!(err.ends_with("pairs.tsv:2: expected `label<TAB>tokens<TAB>tokens`, found 2 fields"), "{err}");
/// ```
pub fn read_pairs(path: impl AsRef<Path>) -> Result<Vec<LabelledPair>> {
    let path = path.as_ref();
    format::check(path, Format::Pairs)?;
    let mut lines = Lines::open(path)?;
    let mut pairs = Vec::new();
    while let Some((line, text)) = lines.next_line()? {
        if text.trim().is_empty() {
            continue;
        }
        let pair = labelled_pair(text).map_err(|message| parse_error(path, line, message))?;
        pairs.push(LabelledPair { line, ..pair });
    }
    if pairs.is_empty() {
        return Err(lines.error(
            "the file holds no pairs: a pair is a line `label<TAB>token token ...<TAB>token ...`",
        ));
    }
    Ok(pairs)
}

/// One line of a pairs file, or what is wrong with it.
fn labelled_pair(line: &str) -> std::result::Result<LabelledPair, String> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [label, first, second] = fields[..] else {
        return Err(format!(
            "expected `label<TAB>tokens<TAB>tokens`, found {} fields",
            fields.len()
        ));
    };
    name_field(label, "the label")?;
    let tokens = |text: &str, which: &str| {
        let tokens: Vec<String> = (text.split(' ').filter(|t| !t.is_empty()))
            .map(String::from)
            .collect();
        match tokens.is_empty() {
            true => Err(format!("the {which} text has no tokens")),
            false => Ok(tokens),
        }
    };
    Ok(LabelledPair {
        label: label.to_owned(),
        first: tokens(first, "first")?,
        second: tokens(second, "second")?,
        line: 0,
    })
}

/// Checks a field that names something (a label, a tag, a token): not empty, no white space
/// at its edges, where it would be part of the name and silently make another one.
fn name_field(field: &str, what: &str) -> std::result::Result<(), String> {
    if field.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if field.trim() != field {
        return Err(format!(
            "{what}, `{field}`, has white space at its edge: it would be another name"
        ));
    }
    Ok(())
}

/// Reads `token<TAB>tag` lines, sentences separated by blank lines: [`Format::Tagged`]. An
/// [`Error::Format`] when the file looks like another format ([`guess_format`]), an
/// [`Error::Parse`] at a malformed line.
///
/// ```
/// let dir = std::env::temp_dir().join("weft-doc-read-tagged");
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("tags.conll");
/// std::fs::write(&path, "Ali\tNOUN\ngeldi\tVERB\n\nEvet\tADV\n").unwrap();
/// let sentences = weft_runtime::corpus::read_tagged(&path).unwrap();
/// assert_eq!(sentences.len(), 2);
/// assert_eq!(sentences[0].tags, ["NOUN", "VERB"]);
/// assert_eq!(sentences[1].line, 4);
/// ```
pub fn read_tagged(path: impl AsRef<Path>) -> Result<Vec<TaggedSentence>> {
    let path = path.as_ref();
    format::check(path, Format::Tagged)?;
    let mut lines = Lines::open(path)?;
    let mut sentences = Vec::new();
    let mut current = TaggedSentence::default();
    while let Some((line, text)) = lines.next_line()? {
        if text.trim().is_empty() {
            if !current.tokens.is_empty() {
                sentences.push(std::mem::take(&mut current));
            }
            continue;
        }
        let (token, tag) =
            tagged_token(text).map_err(|message| parse_error(path, line, message))?;
        if current.tokens.is_empty() {
            current.line = line;
        }
        current.tokens.push(token.to_owned());
        current.tags.push(tag.to_owned());
    }
    if !current.tokens.is_empty() {
        sentences.push(current);
    }
    if sentences.is_empty() {
        return Err(lines.error(
            "the file holds no sentences: a token is a line `token<TAB>tag`, and a blank line \
             ends a sentence",
        ));
    }
    Ok(sentences)
}

/// One line of a tagged file: its token and tag, or what is wrong with it.
fn tagged_token(line: &str) -> std::result::Result<(&str, &str), String> {
    let mut fields = line.split('\t');
    let (Some(token), Some(tag), None) = (fields.next(), fields.next(), fields.next()) else {
        return Err(format!(
            "expected `token<TAB>tag`, found {} fields",
            line.split('\t').count()
        ));
    };
    name_field(token, "the token")?;
    name_field(tag, "the tag")?;
    Ok((token, tag))
}

#[cfg(test)]
mod tests;
