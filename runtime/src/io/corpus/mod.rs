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
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("weft-corpus-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        let path = write("a.tsv", "x\tgood\n\tno label\n");
        let err = read_texts(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("a.tsv:2: the label before the tab is empty"),
            "{err}"
        );
        let path = write("b.tsv", "x\tgood\ny\t \n");
        let err = read_texts(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("b.tsv:2: the text after the tab has no tokens"),
            "{err}"
        );
        let path = write("c.conll", "a\tX\n\nb\tY\textra\n");
        let err = read_tagged(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("c.conll:3: expected `token<TAB>tag`, found 3 fields"),
            "{err}"
        );
        let path = write("e.tsv", "c\ta b\tc\nn\ta b\t \n");
        let err = read_pairs(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("e.tsv:2: the second text has no tokens"),
            "{err}"
        );
        let path = write("f.tsv", "c\ta b\tc\n c\ta b\tb\n");
        let err = read_pairs(&path).unwrap_err().to_string();
        assert!(
            err.ends_with(
                "f.tsv:2: the label, ` c`, has white space at its edge: it would be another name"
            ),
            "{err}"
        );
        let err = read_texts(write("d", "").with_extension("missing")).unwrap_err();
        assert!(matches!(err, Error::Io { .. }));
    }

    /// The message of the error reading `text` as a texts file (`tagged`: as a tagged file).
    fn refusal(name: &str, text: &[u8], tagged: bool) -> String {
        let dir = std::env::temp_dir().join(format!("weft-corpus-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let err = match tagged {
            false => read_texts(&path).map(drop),
            true => read_tagged(&path).map(drop),
        };
        let err = err.unwrap_err().to_string();
        let place = path.display().to_string();
        err.strip_prefix(&place).unwrap_or(&err).to_string()
    }

    #[test]
    fn what_would_silently_change_the_data_is_refused_at_its_line() {
        assert_eq!(
            refusal("space.tsv", b"fresh\tgood\nfresh \tbad\n", false),
            ":2: the label before the tab, `fresh `, has white space at its edge: it would be \
             another name"
        );
        assert_eq!(
            refusal(
                "tab.tsv",
                b"rotten\tbad film\nfresh\tgood film\trotten\n",
                false
            ),
            ":2: expected `label<TAB>tokens`, found a second tab: tokens are separated by spaces"
        );
        assert_eq!(
            refusal("tag.conll", b"a\tX\nb\t Y\n", true),
            ":2: the tag, ` Y`, has white space at its edge: it would be another name"
        );
        assert_eq!(
            refusal("utf8.tsv", b"fresh\tgood\n\nfresh\tcaf\xe9\n", false),
            ":3: the line is not UTF-8 (byte 10 of the line)"
        );
    }

    #[test]
    fn a_file_without_examples_is_refused() {
        assert_eq!(
            refusal("empty.tsv", b"", false),
            ":1: the file holds no texts: a text is a line `label<TAB>token token ...`"
        );
        assert_eq!(
            refusal("blank.conll", b"\n\n", true),
            ":2: the file holds no sentences: a token is a line `token<TAB>tag`, and a blank \
             line ends a sentence"
        );
    }

    #[test]
    fn byte_order_marks_and_windows_line_ends_are_read_as_editors_mean_them() {
        let path = write("bom.tsv", "\u{feff}fresh\tgood\r\nrotten\tbad\r\n");
        let texts = read_texts(&path).unwrap();
        assert_eq!(texts[0].label, "fresh");
        assert_eq!(texts[1].tokens, ["bad"]);
        let path = write("bom.conll", "\u{feff}a\tX\r\nb\tY\r\n\r\nc\tZ");
        let sentences = read_tagged(&path).unwrap();
        assert_eq!(sentences[0].tokens, ["a", "b"]);
        assert_eq!(sentences[1].tags, ["Z"]);
        assert_eq!(sentences[1].line, 4);
    }

    #[test]
    fn an_unknown_label_is_named_with_ten_of_the_labels_at_most() {
        let labels = |n: usize| Labels::from_names((0..n).map(|i| format!("tag{i:05}")));
        let refusal = |labels: Labels| {
            let err = labels.index_at("NOUN", Path::new("dev.conll"), 7);
            err.unwrap_err().to_string()
        };
        let ten = "tag00000, tag00001, tag00002, tag00003, tag00004, tag00005, tag00006, \
                   tag00007, tag00008, tag00009";
        assert_eq!(
            refusal(labels(10)),
            format!("dev.conll:7: `NOUN` is not one of the 10 training labels: {ten}")
        );
        assert_eq!(
            refusal(labels(11)),
            format!("dev.conll:7: `NOUN` is not one of the 11 training labels: {ten} and 1 more")
        );
        // A tagged file read as texts made one label of each of its 18,000 token types.
        let err = refusal(labels(18_000));
        assert_eq!(
            err,
            format!(
                "dev.conll:7: `NOUN` is not one of the 18000 training labels: {ten} and 17990 more"
            )
        );
        assert!(err.len() < 200, "{} bytes", err.len());
    }

    /// A few lines of each format, most of them cut from the shipped data.
    pub(super) const TEXTS: &str = "fresh\tthe ending feels at odds with the rest of the film .\n\
                         rotten\tidiotic and ugly .\n";
    pub(super) const TAGGED: &str = "Burda\tPRON\nda\tPRT\nöylemi\tVERB\n?\tPUNCT\n\n\
                          Günde\tNOUN\n1\tNUM\n-\tPUNCT\n2\tNUM\n";
    pub(super) const DOCUMENTS: &str = "neg\twarning : may contain spoilers . ||| rated : r .\n\
                             pos\taliens ! ! ||| computer generated aliens .\n";
    pub(super) const PAIRS: &str = "entailment\tthe cat sat on the mat .\ta cat sat .\n\
                         contradiction\tthe cat sat on the mat .\tno cat sat .\n";

    #[test]
    fn a_file_of_another_format_is_refused_saying_what_it_looks_like() {
        let texts = "texts (`label<TAB>tokens`)";
        let tagged = "tagged tokens (`token<TAB>tag`, a blank line after each sentence)";
        let documents = "documents (`label<TAB>sentence ||| sentence ...`)";
        let pairs = "sentence pairs (`label<TAB>tokens<TAB>tokens`)";
        let read_as_pairs = "give it as format `pairs` (read_pairs)";
        let cases = [
            (
                TAGGED,
                false,
                tagged,
                texts,
                "give it as format `conll` (read_tagged)",
            ),
            (
                DOCUMENTS,
                false,
                documents,
                texts,
                "give it as format `docs` (read_documents)",
            ),
            (PAIRS, false, pairs, texts, read_as_pairs),
            (
                TEXTS,
                true,
                texts,
                tagged,
                "give it as format `tsv` (read_texts)",
            ),
            (
                DOCUMENTS,
                true,
                documents,
                tagged,
                "give it as format `docs` (read_documents)",
            ),
            (PAIRS, true, pairs, tagged, read_as_pairs),
        ];
        for (text, as_tagged, found, read_as, advice) in cases {
            let err = refusal("other.txt", text.as_bytes(), as_tagged);
            assert_eq!(
                err,
                format!(": looks like {found}, not {read_as}: {advice}")
            );
        }
    }

    #[test]
    fn the_format_is_refused_before_any_example_is_read() {
        let mut text = TAGGED.repeat(25).into_bytes();
        text.extend(b"caf\xe9\tNOUN\n");
        let line = text.iter().filter(|&&b| b == b'\n').count();
        assert!(refusal("late.conll", &text, false).starts_with(": looks like tagged tokens"));
        assert_eq!(
            refusal("late.conll", &text, true),
            format!(":{line}: the line is not UTF-8 (byte 4 of the line)")
        );
    }

    /// Each shipped data file, its format and examples: those of `examples/data`, then those of
    /// the shared data folder beside the checkout (when there is one: `/work/shared/data`).
    const SHIPPED: [(&str, Format, usize); 8] = [
        ("rt_polarity.train.tsv", Format::Texts, 10_201),
        ("rt_polarity.dev.tsv", Format::Texts, 1_275),
        ("twt_upos.train.conll", Format::Tagged, 3_881),
        ("twt_upos.dev.conll", Format::Tagged, 485),
        ("docs_polarity.train.tsv", Format::Documents, 1_199),
        ("docs_polarity.dev.tsv", Format::Documents, 149),
        ("pairs_farstail.train.tsv", Format::Pairs, 7_266),
        ("pairs_farstail.dev.tsv", Format::Pairs, 1_537),
    ];

    #[test]
    fn the_shipped_data_reads_as_its_format_and_is_refused_as_another() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        // `examples/data` holds the texts and the tagged tokens, the shared folder all four.
        let mut folders = vec![(root.join("examples/data"), &SHIPPED[..4])];
        let shared = root.join("../shared/data");
        match shared.is_dir() {
            true => folders.push((shared, &SHIPPED[..])),
            false => eprintln!("no {}: its data files are not checked", shared.display()),
        }
        for (folder, shipped) in folders {
            for &(name, format, examples) in shipped {
                let path = folder.join(name);
                assert_eq!(guess_format(&path).unwrap(), Some(format), "{name}");
                let texts = read_texts(&path).map(|texts| texts.len());
                let sentences = read_tagged(&path).map(|sentences| sentences.len());
                let refused = |read: &Result<usize>| matches!(read, Err(Error::Format { .. }));
                let (read, other) = match format {
                    Format::Texts => (texts, sentences),
                    Format::Tagged => (sentences, texts),
                    Format::Documents => (read_documents(&path).map(|docs| docs.len()), texts),
                    Format::Pairs => {
                        assert!(refused(&texts), "{name}: {texts:?}");
                        (read_pairs(&path).map(|pairs| pairs.len()), sentences)
                    }
                };
                assert_eq!(read.ok(), Some(examples), "{name}");
                assert!(refused(&other), "{name}: {other:?}");
            }
        }
    }

    #[test]
    fn a_line_longer_than_the_bound_is_an_error_read_no_further() {
        use std::io::Read;
        // One line of 50 MB: the reader stops a byte past the bound (and a buffer's read).
        let mut line = std::io::repeat(b'a').take(50 << 20);
        let mut lines = Lines::new(Path::new("long.tsv"), std::io::BufReader::new(&mut line));
        let err = lines.next_line().unwrap_err().to_string();
        assert_eq!(
            err,
            "long.tsv:1: the line is longer than 1 MiB; is this a text file of one example per \
             line?"
        );
        drop(lines);
        let read = (50 << 20) - line.limit() as usize;
        assert!(read <= MAX_LINE_BYTES + (64 << 10), "{read} bytes read");
    }
}
