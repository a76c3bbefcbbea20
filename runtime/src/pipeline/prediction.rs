//! [`Prediction`]: what a pipeline says of a text, and its JSON line.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::corpus::Labels;
use crate::data::{Floats2, Ragged};
use crate::error::{Error, Result};

/// What a pipeline predicts for one text.
#[derive(Clone, Debug, PartialEq)]
pub enum Prediction {
    /// A text classifier's: the most probable class, and every class's probability, in the
    /// order of the labels.
    Class {
        /// The most probable class.
        label: String,
        /// Each class and its probability.
        probabilities: Vec<(String, f32)>,
    },
    /// A tagger's: the text's tokens, and a tag for each.
    Tags {
        /// The tokens, as the text was split at white space.
        tokens: Vec<String>,
        /// One tag per token.
        tags: Vec<String>,
    },
}

impl Prediction {
    /// One line of JSON: `{"label":"fresh","probabilities":{"fresh":0.91,"rotten":0.09}}`, or
    /// `{"tokens":["Ali","geldi"],"tags":["PROPN","VERB"]}`.
    ///
    /// ```
    /// use weft_runtime::pipeline::Prediction;
    /// let class = Prediction::Class {
    ///     label: "fresh".into(),
    ///     probabilities: vec![("fresh".into(), 0.7), ("rotten".into(), 0.3)],
    /// };
    /// assert_eq!(class.to_json(), r#"{"label":"fresh","probabilities":{"fresh":0.7,"rotten":0.3}}"#);
    /// let tags = Prediction::Tags { tokens: vec!["Ali".into()], tags: vec!["PROPN".into()] };
    /// assert_eq!(tags.to_json(), r#"{"tokens":["Ali"],"tags":["PROPN"]}"#);
    /// ```
    pub fn to_json(&self) -> String {
        // A map of strings, numbers and lists of strings: serializing cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// As [`Prediction::to_json`] writes it: probabilities as the shortest decimals that read back
/// to the same `f32`.
impl Serialize for Prediction {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        match self {
            Prediction::Class {
                label,
                probabilities,
            } => {
                map.serialize_entry("label", label)?;
                map.serialize_entry("probabilities", &Probabilities(probabilities))?;
            }
            Prediction::Tags { tokens, tags } => {
                map.serialize_entry("tokens", tokens)?;
                map.serialize_entry("tags", tags)?;
            }
        }
        map.end()
    }
}

/// Classes and their probabilities, as a map.
struct Probabilities<'a>(&'a [(String, f32)]);

impl Serialize for Probabilities<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(label, p)| (label, p)))
    }
}

/// The class predictions of the probabilities `probs`, a row per text.
pub(super) fn classes(probs: &Floats2, labels: &Labels) -> Result<Vec<Prediction>> {
    let names = labels_of(probs, labels)?;
    let best = probs.argmax()?;
    Ok((probs.view().rows().into_iter().zip(best))
        .map(|(row, best)| Prediction::Class {
            label: names[best].clone(),
            probabilities: names.iter().cloned().zip(row.iter().copied()).collect(),
        })
        .collect())
}

/// The tag predictions of the probabilities `probs`, a row per token of `tokens`.
pub(super) fn tags(
    probs: &Ragged<Floats2>,
    tokens: &[Vec<String>],
    labels: &Labels,
) -> Result<Vec<Prediction>> {
    let names = labels_of(probs.data(), labels)?;
    let mut best = probs.data().argmax()?.into_iter();
    Ok(tokens
        .iter()
        .map(|tokens| Prediction::Tags {
            tokens: tokens.clone(),
            tags: (best.by_ref().take(tokens.len()))
                .map(|tag| names[tag].clone())
                .collect(),
        })
        .collect())
}

/// The names of the columns of `probs`: an error when the network outputs another number of
/// probabilities than there are labels (its `softmax` was given its classes in the config, and
/// the data had other labels).
fn labels_of<'l>(probs: &Floats2, labels: &'l Labels) -> Result<&'l [String]> {
    let width = probs.view().ncols();
    if width != labels.len() {
        return Err(Error::shape(
            "the network's output",
            format!("a probability for each of the {} labels", labels.len()),
            format!("{width} probabilities"),
        ));
    }
    Ok(labels.names())
}
