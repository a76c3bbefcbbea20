//! Reading labelled documents of sentences: [`Format::Documents`].

use std::path::Path;

use super::{Format, label_and_text, read_examples, tokens};
use crate::error::Result;

/// The mark between two sentences of a document: ` ||| `.
const SENTENCE_BREAK: &str = "|||";

/// One labelled document: its sentences, each a list of tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelledDocument {
    /// The document's class.
    pub label: String,
    /// Its sentences, each of one token or more.
    pub sentences: Vec<Vec<String>>,
    /// The line of the file it was read from, from 1.
    pub line: usize,
}

impl LabelledDocument {
    /// The tokens of all its sentences, in order.
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.sentences.iter().flatten().map(String::as_str)
    }
}

/// Reads `label<TAB>sentence ||| sentence ...` lines, one document per line, the tokens of a
/// sentence separated by spaces: [`Format::Documents`]. An [`Error::Format`](crate::Error::Format)
/// when the file looks like another format ([`guess_format`](super::guess_format)), an
/// [`Error::Parse`](crate::Error::Parse) naming the file and line of a malformed one: besides
/// what [`read_texts`](super::read_texts) refuses, an empty sentence (`|||` at an edge of the
/// text, or twice in a row).
///
/// ```
/// let dir = std::env::temp_dir().join("weft-doc-read-documents");
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("docs.tsv");
/// std::fs::write(&path, "pos\ta fine film . ||| see it .\n\nneg\tdull . ||| no\n").unwrap();
/// let docs = weft_runtime::corpus::read_documents(&path).unwrap();
/// assert_eq!(docs[0].sentences, [vec!["a", "fine", "film", "."], vec!["see", "it", "."]]);
/// assert_eq!((docs[1].sentences.len(), docs[1].line), (2, 3));
/// std::fs::write(&path, "pos\ta fine film . ||| see it .\nneg\tdull . ||| ||| bad .\n").unwrap();
/// let err = weft_runtime::corpus::read_documents(&path).unwrap_err().to_string();
/// assert!(err.ends_with("docs.tsv:2: sentence 2 of the document has no tokens"), "{err}");
/// ```
pub fn read_documents(path: impl AsRef<Path>) -> Result<Vec<LabelledDocument>> {
    read_examples(
        path.as_ref(),
        Format::Documents,
        "the file holds no documents: a document is a line `label<TAB>sentence ||| sentence ...`",
        |line, number| {
            let (label, text) = label_and_text(line, "sentence ||| sentence ...")?;
            let tokens = tokens(text);
            if tokens.is_empty() {
                return Err("the text after the tab has no sentences".into());
            }
            let sentences: Vec<Vec<String>> = tokens
                .split(|token| token == SENTENCE_BREAK)
                .map(<[String]>::to_vec)
                .collect();
            if let Some(empty) = sentences.iter().position(Vec::is_empty) {
                return Err(format!(
                    "sentence {} of the document has no tokens",
                    empty + 1
                ));
            }
            Ok(LabelledDocument {
                label,
                sentences,
                line: number,
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::corpus::tests::{DOCUMENTS, TEXTS};

    /// The documents of `text`, or the message of the error reading them, without the path.
    fn read(name: &str, text: &str) -> std::result::Result<Vec<LabelledDocument>, String> {
        let dir = std::env::temp_dir().join(format!("weft-documents-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        read_documents(&path).map_err(|err| {
            let err = err.to_string();
            err.strip_prefix(&path.display().to_string())
                .unwrap_or(&err)
                .to_string()
        })
    }

    #[test]
    fn documents_are_read_sentence_by_sentence() {
        let docs = read("docs.tsv", DOCUMENTS).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].label, "pos");
        assert_eq!(
            docs[1].sentences,
            [
                vec!["aliens", "!", "!"],
                vec!["computer", "generated", "aliens", "."]
            ]
        );
        assert_eq!(docs[1].tokens().count(), 7);
        // One sentence, and spaces doubled: as a text's tokens.
        let docs = read("one.tsv", "pos\tgood  film ||| fine\nneg\tbad\n").unwrap();
        assert_eq!(docs[0].sentences, [vec!["good", "film"], vec!["fine"]]);
        assert_eq!(docs[1].sentences, [vec!["bad"]]);
    }

    #[test]
    fn a_malformed_line_is_an_error_naming_file_and_line() {
        let good = "pos\ta b ||| c d\nneg\te f ||| g\n";
        let cases = [
            ("||| a b", ":3: sentence 1 of the document has no tokens"),
            ("a b |||", ":3: sentence 2 of the document has no tokens"),
            (
                "a ||| ||| b",
                ":3: sentence 2 of the document has no tokens",
            ),
            (" ", ":3: the text after the tab has no sentences"),
            (
                "a b\tc",
                ":3: expected `label<TAB>sentence ||| sentence ...`, found a second tab: tokens are separated by spaces",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(
                read("bad.tsv", &format!("{good}pos\t{text}\n")).unwrap_err(),
                message,
                "{text}"
            );
        }
        assert_eq!(
            read("label.tsv", &format!("{good} pos\ta ||| b\n")).unwrap_err(),
            ":3: the label before the tab, ` pos`, has white space at its edge: it would be another name"
        );
        assert_eq!(
            read("none.tsv", "\n").unwrap_err(),
            ":1: the file holds no documents: a document is a line `label<TAB>sentence ||| sentence ...`"
        );
        assert!(
            read("texts.tsv", TEXTS)
                .unwrap_err()
                .starts_with(": looks like texts")
        );
    }
}
