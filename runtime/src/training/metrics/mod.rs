//! [`Scores`]: how well predicted classes match the true ones, for text classification (a
//! class per text) and tagging (a tag per token, the sentences' tokens one after another).

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The classes [`Scores`]' tables show at most: those of most support.
const SHOWN: usize = 30;

/// Accuracy, precision, recall and F1 per class, their macro averages, and the confusion
/// matrix of predicted classes against true ones.
///
/// For a class `c`: precision is the part of the items predicted `c` that are `c`, recall the
/// part of the items that are `c` predicted `c`, and F1 `2 p r / (p + r)`. Where one of these
/// would divide 0 by 0 it is 0, by convention (scikit-learn's `zero_division=0`): the precision
/// of a class never predicted, the recall of a class no item is, the F1 of a class whose
/// precision and recall are both 0. The macro averages are the means over the classes that
/// occur, among the true classes or the predicted ones (scikit-learn's `average="macro"`
/// without `labels`): a label of the training data that the scored data lacks, and that is
/// never predicted, neither helps nor harms. With one class per item, micro-averaged
/// precision, recall and F1 all equal the accuracy.
///
/// For tagging, give the tokens' tags: the accuracy is the token accuracy, and the classes'
/// scores are the tags'.
///
/// ```
/// use weft_runtime::training::Scores;
/// let truths = [0, 0, 1, 1, 2];
/// let predicted = [0, 1, 1, 1, 1];
/// let scores = Scores::new(&truths, &predicted, &["neg", "pos", "mixed"])?;
/// assert_eq!((scores.accuracy, scores.correct, scores.total), (0.6, 3, 5));
/// let pos = &scores.classes[1];
/// assert_eq!((pos.precision, pos.recall, pos.support), (0.5, 1.0, 2)); // 2 of 4, 2 of 2
/// assert_eq!(scores.classes[2].precision, 0.0); // never predicted
/// assert_eq!(scores.confusion[&(0, 1)], 1); // one `neg` predicted `pos`
/// // F1: neg 2/3 (p 1, r 1/2), pos 2/3 (p 1/2, r 1), mixed 0.
/// assert!((scores.macro_f1 - (2.0 / 3.0 + 2.0 / 3.0 + 0.0) / 3.0).abs() < 1e-12);
/// assert_eq!(
///     scores.to_string(),
///     "accuracy 0.6000 (3 of 5); macro precision 0.5000, recall 0.5000, F1 0.4444 over 3 classes\n\
///      class  precision  recall      f1  support\n\
///      neg       1.0000  0.5000  0.6667        2\n\
///      pos       0.5000  1.0000  0.6667        2\n\
///      mixed     0.0000  0.0000  0.0000        1\n",
/// );
/// # Ok::<(), weft_runtime::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scores {
    /// The part of the items predicted right, `correct / total`.
    pub accuracy: f64,
    /// The items predicted right.
    pub correct: usize,
    /// The items scored.
    pub total: usize,
    /// The mean precision of the classes that occur.
    pub macro_precision: f64,
    /// The mean recall of the classes that occur.
    pub macro_recall: f64,
    /// The mean F1 of the classes that occur.
    pub macro_f1: f64,
    /// The classes that occur, among the true or the predicted ones: those the macro averages
    /// are over.
    pub macro_classes: usize,
    /// The scores of each class, in the order of the labels.
    pub classes: Vec<ClassScores>,
    /// The confusion matrix: the number of items of each `(true, predicted)` pair of classes
    /// that occurs; the pairs absent are 0. Sparse, so that many classes take no more room
    /// than the items.
    #[serde(with = "confusion_triples")]
    pub confusion: BTreeMap<(usize, usize), usize>,
}

/// The scores of one class, as [`Scores`] defines them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassScores {
    /// The class's label.
    pub label: String,
    /// The part of the items predicted this class that are; 0 when none is predicted it.
    pub precision: f64,
    /// The part of the items of this class predicted it; 0 when no item is of it.
    pub recall: f64,
    /// `2 p r / (p + r)`; 0 when both are 0.
    pub f1: f64,
    /// The items of this class.
    pub support: usize,
}

impl Scores {
    /// The scores of the `predicted` classes of some items against their `truths`, classes
    /// being indices into `labels`. An error when the two lengths differ ([`Error::Shape`]
    /// naming both), when there is no item ([`Error::Shape`]), or when a class is not an index
    /// into `labels` ([`Error::Label`], naming which and where).
    ///
    /// ```
    /// use weft_runtime::training::Scores;
    /// let error = Scores::new(&[0, 1], &[0], &["a", "b"]).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "the predicted classes: expected one per true class (2), found 1",
    /// );
    /// let error = Scores::new(&[0, 1], &[0, 2], &["a", "b"]).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "the predicted class at position 1: label 2 is out of range for 2 classes",
    /// );
    /// ```
    pub fn new<S: AsRef<str>>(truths: &[usize], predicted: &[usize], labels: &[S]) -> Result<Self> {
        let confusion = confusion_of(truths, predicted, labels.len())?;
        // Per class: its items, the items predicted it, and its items predicted it.
        let mut support = vec![0; labels.len()];
        let mut predictions = vec![0; labels.len()];
        let mut hits = vec![0; labels.len()];
        for (&(truth, guess), &count) in &confusion {
            support[truth] += count;
            predictions[guess] += count;
            if truth == guess {
                hits[truth] += count;
            }
        }
        let scores = |(c, label): (usize, &S)| {
            let precision = ratio(hits[c], predictions[c]);
            let recall = ratio(hits[c], support[c]);
            let sum = precision + recall;
            let f1 = if sum > 0.0 {
                2.0 * precision * recall / sum
            } else {
                0.0
            };
            let label = label.as_ref().to_owned();
            ClassScores {
                label,
                precision,
                recall,
                f1,
                support: support[c],
            }
        };
        let classes: Vec<ClassScores> = labels.iter().enumerate().map(scores).collect();
        let occurring = |c: &usize| support[*c] + predictions[*c] > 0;
        let occurring: Vec<&ClassScores> = (0..labels.len())
            .filter(occurring)
            .map(|c| &classes[c])
            .collect();
        let mean = |score: fn(&ClassScores) -> f64| {
            occurring.iter().map(|s| score(s)).sum::<f64>() / occurring.len() as f64
        };
        let correct = hits.iter().sum();
        Ok(Scores {
            accuracy: ratio(correct, truths.len()),
            correct,
            total: truths.len(),
            macro_precision: mean(|s| s.precision),
            macro_recall: mean(|s| s.recall),
            macro_f1: mean(|s| s.f1),
            macro_classes: occurring.len(),
            classes,
            confusion,
        })
    }

    /// The scores as one line of JSON: the numbers of [`Scores`] by their field names, the
    /// classes as a list of objects (`label`, `precision`, `recall`, `f1`, `support`), and the
    /// confusion matrix as a list of `[true label, predicted label, count]` for the pairs that
    /// occur.
    ///
    /// ```
    /// use weft_runtime::training::Scores;
    /// let scores = Scores::new(&[0, 1], &[0, 0], &["a", "b \"quoted\""])?;
    /// assert_eq!(
    ///     scores.to_json(),
    ///     "{\"accuracy\":0.5,\"correct\":1,\"total\":2,\"macro_precision\":0.25,\
    ///      \"macro_recall\":0.5,\"macro_f1\":0.3333333333333333,\"macro_classes\":2,\
    ///      \"classes\":[{\"label\":\"a\",\"precision\":0.5,\"recall\":1,\
    ///      \"f1\":0.6666666666666666,\"support\":1},{\"label\":\"b \\\"quoted\\\"\",\
    ///      \"precision\":0,\"recall\":0,\"f1\":0,\"support\":1}],\
    ///      \"confusion\":[[\"a\",\"a\",1],[\"b \\\"quoted\\\"\",\"a\",1]]}",
    /// );
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    pub fn to_json(&self) -> String {
        let classes = self.classes.iter().map(|class| {
            json_object(&[
                ("label", json_string(&class.label)),
                ("precision", class.precision.to_string()),
                ("recall", class.recall.to_string()),
                ("f1", class.f1.to_string()),
                ("support", class.support.to_string()),
            ])
        });
        let confusion = self.confusion.iter().map(|(&(truth, guess), count)| {
            let (truth, guess) = (
                json_string(self.label(truth)),
                json_string(self.label(guess)),
            );
            format!("[{truth},{guess},{count}]")
        });
        json_object(&[
            ("accuracy", self.accuracy.to_string()),
            ("correct", self.correct.to_string()),
            ("total", self.total.to_string()),
            ("macro_precision", self.macro_precision.to_string()),
            ("macro_recall", self.macro_recall.to_string()),
            ("macro_f1", self.macro_f1.to_string()),
            ("macro_classes", self.macro_classes.to_string()),
            ("classes", json_array(classes)),
            ("confusion", json_array(confusion)),
        ])
    }

    /// The confusion matrix as a table: a row for each true class, a column for each
    /// predicted one. At most the 30 classes of most support are shown, and then a last column
    /// counts the predictions of the others.
    ///
    /// ```
    /// use weft_runtime::training::Scores;
    /// let scores = Scores::new(&[0, 0, 1, 1, 1], &[0, 1, 1, 1, 0], &["neg", "pos"])?;
    /// assert_eq!(
    ///     scores.confusion_table(),
    ///     "true \\ predicted  pos  neg\n\
    ///      pos                 2    1\n\
    ///      neg                 1    1\n",
    /// );
    /// # Ok::<(), weft_runtime::Error>(())
    /// ```
    pub fn confusion_table(&self) -> String {
        let shown = self.shown();
        let others = shown.len() < self.classes.len();
        let mut header = vec!["true \\ predicted".to_owned()];
        header.extend(shown.iter().map(|&c| self.label(c).to_owned()));
        if others {
            header.push("others".to_owned());
        }
        let rows = shown.iter().map(|&truth| {
            let count = |guess| self.confusion.get(&(truth, guess)).copied().unwrap_or(0);
            let mut row = vec![self.label(truth).to_owned()];
            row.extend(shown.iter().map(|&guess| count(guess).to_string()));
            if others {
                let in_shown: usize = shown.iter().map(|&guess| count(guess)).sum();
                let support = self.classes[truth].support;
                row.push(support.saturating_sub(in_shown).to_string());
            }
            row
        });
        let mut text = table(header, rows.collect());
        text.push_str(&self.not_shown(&shown));
        text
    }

    /// The label of class `c`; `?` for a class the fields, changed by hand, do not have.
    fn label(&self, c: usize) -> &str {
        self.classes.get(c).map_or("?", |class| &class.label)
    }

    /// The indices of the classes the tables show: the [`SHOWN`] of most support, in
    /// decreasing support (in label order where it is the same).
    fn shown(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.classes.len()).collect();
        order.sort_by_key(|&c| std::cmp::Reverse(self.classes[c].support));
        order.truncate(SHOWN);
        order
    }

    /// The line that says how many classes a table that shows the `shown` ones leaves out, if
    /// any, and their items.
    fn not_shown(&self, shown: &[usize]) -> String {
        let left = self.classes.len() - shown.len();
        if left == 0 {
            return String::new();
        }
        let shown_items = shown.iter().map(|&c| self.classes[c].support).sum();
        let items = self.total.saturating_sub(shown_items);
        format!("... and {left} classes more, of {items} items in all\n")
    }
}

/// Writes the accuracy and the macro averages on a line, then a table of each class's
/// precision, recall, F1 and support: at most the 30 classes of most support, in decreasing
/// support, then a line counting the others.
impl fmt::Display for Scores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "accuracy {:.4} ({} of {}); macro precision {:.4}, recall {:.4}, F1 {:.4} over {} classes",
            self.accuracy,
            self.correct,
            self.total,
            self.macro_precision,
            self.macro_recall,
            self.macro_f1,
            self.macro_classes
        )?;
        let header = ["class", "precision", "recall", "f1", "support"]
            .map(String::from)
            .to_vec();
        let shown = self.shown();
        let rows = shown.iter().map(|&c| {
            let s = &self.classes[c];
            vec![
                s.label.clone(),
                format!("{:.4}", s.precision),
                format!("{:.4}", s.recall),
                format!("{:.4}", s.f1),
                s.support.to_string(),
            ]
        });
        f.write_str(&table(header, rows.collect()))?;
        f.write_str(&self.not_shown(&shown))
    }
}

/// The confusion matrix of `predicted` against `truths`, classes below `classes`: an error
/// as [`Scores::new`] states.
fn confusion_of(
    truths: &[usize],
    predicted: &[usize],
    classes: usize,
) -> Result<BTreeMap<(usize, usize), usize>> {
    if predicted.len() != truths.len() {
        let expected = format!("one per true class ({})", truths.len());
        return Err(Error::shape(
            "the predicted classes",
            expected,
            predicted.len(),
        ));
    }
    if truths.is_empty() {
        return Err(Error::shape("the classes to score", "at least one", "none"));
    }
    let mut confusion = BTreeMap::new();
    for (i, (&truth, &guess)) in truths.iter().zip(predicted).enumerate() {
        for (what, label) in [("true", truth), ("predicted", guess)] {
            if label >= classes {
                let what = format!("the {what} class at position {i}");
                return Err(Error::Label {
                    what,
                    label,
                    classes,
                });
            }
        }
        *confusion.entry((truth, guess)).or_insert(0) += 1;
    }
    Ok(confusion)
}

/// `part / whole`, or 0 when `whole` is 0.
fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// `header` and `rows` as lines of columns two spaces apart, each as wide as its widest cell:
/// the first aligned left, the others right.
fn table(header: Vec<String>, rows: Vec<Vec<String>>) -> String {
    let lines: Vec<Vec<String>> = std::iter::once(header).chain(rows).collect();
    let mut widths = vec![0; lines[0].len()];
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for line in &lines {
        for (i, (cell, &width)) in line.iter().zip(&widths).enumerate() {
            let _ = match i {
                0 => write!(text, "{cell:<width$}"),
                _ => write!(text, "  {cell:>width$}"),
            };
        }
        text.push('\n');
    }
    text
}

/// A JSON object of `fields`, their values written as JSON.
fn json_object(fields: &[(&str, String)]) -> String {
    let fields = fields
        .iter()
        .map(|(key, value)| format!("{}:{value}", json_string(key)));
    format!("{{{}}}", fields.collect::<Vec<_>>().join(","))
}

/// A JSON array of `values`, written as JSON.
fn json_array(values: impl Iterator<Item = String>) -> String {
    format!("[{}]", values.collect::<Vec<_>>().join(","))
}

/// `text` as a JSON string: quoted, with `"`, `\` and the control characters escaped.
fn json_string(text: &str) -> String {
    let mut json = String::from("\"");
    for c in text.chars() {
        let _ = match c {
            '"' => write!(json, "\\\""),
            '\\' => write!(json, "\\\\"),
            c if c < ' ' => write!(json, "\\u{:04x}", c as u32),
            c => write!(json, "{c}"),
        };
    }
    json.push('"');
    json
}

#[cfg(test)]
mod tests;

/// The confusion matrix in serde's data model as a list of `[true, predicted, count]`, so that
/// JSON (whose keys are strings) holds it as well as msgpack.
mod confusion_triples {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        confusion: &BTreeMap<(usize, usize), usize>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            confusion
                .iter()
                .map(|(&(truth, guess), &n)| [truth, guess, n]),
        )
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<(usize, usize), usize>, D::Error> {
        let triples = Vec::<[usize; 3]>::deserialize(deserializer)?;
        Ok(triples
            .into_iter()
            .map(|[truth, guess, n]| ((truth, guess), n))
            .collect())
    }
}
