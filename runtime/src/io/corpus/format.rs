//! [`Format`]: which corpus format a file is in, guessed from its first lines, so that a reader
//! given a file of another format says so before reading it (rather than reading a tagged file
//! as thousands of one-token texts, or a file of texts as one sentence).

use std::fmt;
use std::io::BufRead;
use std::path::Path;

use super::lines::Lines;
use crate::error::{Error, Result};

/// How many lines, not counting blank ones, [`guess_format`] looks at: the first 200.
const SAMPLE_LINES: usize = 200;

/// The formats of labelled text, each a UTF-8 file of lines whose fields are separated by tabs.
///
/// ```
/// use weft_runtime::corpus::Format;
/// assert_eq!(Format::Tagged.name(), "conll");
/// assert_eq!(
///     Format::Tagged.to_string(),
///     "tagged tokens (`token<TAB>tag`, a blank line after each sentence)"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `label<TAB>token token ...`, one text per line: read by [`read_texts`](super::read_texts).
    Texts,
    /// `token<TAB>tag`, one token per line, a blank line after each sentence (CoNLL-style): read
    /// by [`read_tagged`](super::read_tagged).
    Tagged,
    /// `label<TAB>sentence ||| sentence ...`, one document per line, the tokens of a sentence
    /// separated by spaces: read by [`read_documents`](super::read_documents).
    Documents,
    /// `label<TAB>tokens<TAB>tokens`, one pair of texts per line (a premise and a hypothesis,
    /// say): read by [`read_pairs`](super::read_pairs).
    Pairs,
}

impl Format {
    /// The format's short name, as a config names it: `tsv` (texts), `conll` (tagged tokens),
    /// `docs` (documents) or `pairs` (sentence pairs).
    pub fn name(self) -> &'static str {
        match self {
            Format::Texts => "tsv",
            Format::Tagged => "conll",
            Format::Documents => "docs",
            Format::Pairs => "pairs",
        }
    }

    /// The function that reads the format, if there is one yet.
    fn reader(self) -> Option<&'static str> {
        match self {
            Format::Texts => Some("read_texts"),
            Format::Tagged => Some("read_tagged"),
            Format::Documents => Some("read_documents"),
            Format::Pairs => Some("read_pairs"),
        }
    }
}

/// What the format holds and what its lines look like, for messages.
impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Texts => "texts (`label<TAB>tokens`)",
            Format::Tagged => "tagged tokens (`token<TAB>tag`, a blank line after each sentence)",
            Format::Documents => "documents (`label<TAB>sentence ||| sentence ...`)",
            Format::Pairs => "sentence pairs (`label<TAB>tokens<TAB>tokens`)",
        })
    }
}

/// The format that the file at `path` looks like, from its first 200 lines that are not blank,
/// or `None` when they do not tell. An error when the file cannot be read, or when one of
/// those lines is not UTF-8 or too long (the error the readers give).
///
/// The rules, in this order, on those lines:
/// - **sentence pairs** when most have three fields, with a space in the second or third;
/// - else `None` when most do not have two fields;
/// - **documents** when most of those with two hold ` ||| ` in the second;
/// - **texts** when most of them hold a space in the second (a text of several tokens);
/// - **tagged tokens** when at most one in ten does (a tag is one word), blank lines break the
///   lines into sentences, and not every sentence is one token;
/// - else `None`: one-token texts without blank lines, say, could be one sentence.
///
/// ```
/// use weft_runtime::corpus::{Format, guess_format};
/// let dir = std::env::temp_dir().join("weft-doc-guess-format");
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("tags.conll");
/// std::fs::write(&path, "Ali\tNOUN\ngeldi\tVERB\n\nEvet\tADV\n.\tPUNCT\n").unwrap();
/// assert_eq!(guess_format(&path).unwrap(), Some(Format::Tagged));
/// std::fs::write(&path, "fresh\ta fine film .\nrotten\tdull , dull , dull\n").unwrap();
/// assert_eq!(guess_format(&path).unwrap(), Some(Format::Texts));
/// std::fs::write(&path, "fresh\tgood\nrotten\tdull\n").unwrap();
/// assert_eq!(guess_format(&path).unwrap(), None);
/// ```
pub fn guess_format(path: impl AsRef<Path>) -> Result<Option<Format>> {
    let sample = Sample::read(&mut Lines::open(path.as_ref())?)?;
    Ok(sample.guess())
}

/// Nothing when the file at `path` may be in `format`; an [`Error::Format`] when it looks like
/// another, saying which, and how to read it.
pub(super) fn check(path: &Path, format: Format) -> Result<()> {
    let found = match guess_format(path)? {
        Some(found) if found != format => found,
        _ => return Ok(()),
    };
    let advice = match found.reader() {
        Some(reader) => format!("give it as format `{}` ({reader})", found.name()),
        None => "weft has no reader for them yet".to_owned(),
    };
    Err(Error::Format {
        path: path.to_owned(),
        message: format!("looks like {found}, not {format}: {advice}"),
    })
}

/// How many of a file's first lines have each shape.
#[derive(Default)]
struct Sample {
    /// Lines that are not blank.
    lines: usize,
    /// Lines of two fields.
    two: usize,
    /// Lines of two fields, a space in the second: a text of tokens, not a tag.
    spaced: usize,
    /// Lines of two fields, ` ||| ` in the second: a document's sentences.
    documents: usize,
    /// Lines of three fields, a space in the second or third: two texts.
    pairs: usize,
    /// Runs of blank lines between lines that are not blank.
    breaks: usize,
    /// Whether a blank line came after the last line that is not blank.
    blank: bool,
}

impl Sample {
    /// The shapes of the first [`SAMPLE_LINES`] lines of `lines` that are not blank.
    fn read<R: BufRead>(lines: &mut Lines<R>) -> Result<Self> {
        let mut sample = Sample::default();
        while sample.lines < SAMPLE_LINES {
            let Some((_, line)) = lines.next_line()? else {
                break;
            };
            sample.add(line);
        }
        Ok(sample)
    }

    /// Counts `line` in.
    fn add(&mut self, line: &str) {
        if line.trim().is_empty() {
            self.blank = true;
            return;
        }
        let after_blank = std::mem::take(&mut self.blank);
        self.breaks += usize::from(after_blank && self.lines > 0);
        self.lines += 1;
        let mut fields = line.split('\t');
        match (fields.next(), fields.next(), fields.next(), fields.next()) {
            (Some(_), Some(second), None, None) => {
                self.two += 1;
                self.spaced += usize::from(second.contains(' '));
                self.documents += usize::from(second.contains(" ||| "));
            }
            (Some(_), Some(second), Some(third), None) => {
                self.pairs += usize::from(second.contains(' ') || third.contains(' '));
            }
            _ => {}
        }
    }

    /// The format the lines look like, by the rules of [`guess_format`].
    fn guess(&self) -> Option<Format> {
        let most = |count: usize, of: usize| 2 * count > of;
        let sentences = self.breaks + 1;
        if most(self.pairs, self.lines) {
            Some(Format::Pairs)
        } else if !most(self.two, self.lines) {
            None
        } else if most(self.documents, self.two) {
            Some(Format::Documents)
        } else if most(self.spaced, self.two) {
            Some(Format::Texts)
        } else if 10 * self.spaced <= self.two && self.breaks > 0 && self.lines > sentences {
            Some(Format::Tagged)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::corpus::tests::{DOCUMENTS, PAIRS, TAGGED, TEXTS};

    /// The format `text` looks like.
    fn guess(text: &[u8]) -> Option<Format> {
        Sample::read(&mut Lines::new(Path::new("guess"), text))
            .unwrap()
            .guess()
    }

    #[test]
    fn the_format_is_what_most_of_the_first_lines_look_like() {
        assert_eq!(guess(TEXTS.as_bytes()), Some(Format::Texts));
        assert_eq!(guess(TAGGED.as_bytes()), Some(Format::Tagged));
        assert_eq!(guess(DOCUMENTS.as_bytes()), Some(Format::Documents));
        assert_eq!(guess(PAIRS.as_bytes()), Some(Format::Pairs));
        let cases = [
            // Tokens of several words (Vietnamese, say), a tag of one.
            ("Hà Nội\tNp\nlà\tV\n\nTôi\tP\n.\tCH\n", Some(Format::Tagged)),
            // A ` ||| ` in one text of three.
            ("a\tx ||| y\nb\tx y\nc\tz z\n", Some(Format::Texts)),
            // One line in three with a second tab: texts, and the reader names the line.
            ("a\tx y\tz w\nb\tx y\nc\tz z\n", Some(Format::Texts)),
            // One-token texts: one sentence, or texts?
            ("fresh\tgood\nrotten\tdull\n", None),
            // A blank line at the end breaks no sentence.
            ("fresh\tgood\nrotten\tdull\n\n", None),
            // Sentences of one token each, or one-token texts apart?
            ("fresh\tgood\n\nrotten\tdull\n", None),
            // Half the texts of one token.
            (
                "fresh\tgood\nrotten\ta dull film\n\nfresh\tfine\nrotten\tbad film\n",
                None,
            ),
            // Three columns of single words: tagged twice, not pairs.
            (
                "EU\tNNP\tB-ORG\nrejects\tVBZ\tO\n\nPeter\tNNP\tB-PER\nsaid\tVBD\tO\n",
                None,
            ),
            // One field.
            ("one\ntwo\n\nthree\nfour\n", None),
            ("", None),
        ];
        for (text, format) in cases {
            assert_eq!(guess(text.as_bytes()), format, "{text}");
        }
        // Only the first 200 lines count: 200 of tagged tokens, then 2,000 of texts.
        let text = format!("{}{}", TAGGED.repeat(25), TEXTS.repeat(1000));
        assert_eq!(guess(text.as_bytes()), Some(Format::Tagged));
    }
}
