//! The weft network of a spaCy tagger's architecture, written in the grammar of `model!`.

use super::architecture::{EMBED_PIECES, FIRST_SEED, TaggerArchitecture, Tok2VecArchitecture};

/// The tagger's output layer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// `linear`: the scores before the softmax, what spaCy's tagger predicts with
    /// `normalize = false`.
    Scores,
    /// `softmax`: probabilities, what spaCy's tagger trains with (and predicts with
    /// `normalize = true`).
    Probabilities,
}

impl Tok2VecArchitecture {
    /// The tok2vec as a network in the grammar of `model!`, from a [`Keys`](crate::Keys)
    /// table of a column per attribute to a vector of `width` per token:
    ///
    /// ```
    /// use weft_runtime::spacy::Tok2VecArchitecture;
    /// use weft_runtime::text::Attr;
    /// let tok2vec = Tok2VecArchitecture {
    ///     attrs: vec![Attr::Norm, Attr::Prefix],
    ///     rows: vec![5000, 1000],
    ///     width: 96,
    ///     depth: 4,
    ///     window: 1,
    ///     pieces: 3,
    ///     vectors: Some("pipeline/vocab".into()),
    /// };
    /// assert_eq!(
    ///     tok2vec.network(),
    ///     "(hash_embed(column = 0, rows = 5000, width = 96, seed = 8) \
    ///      | hash_embed(column = 1, rows = 1000, width = 96, seed = 9) \
    ///      | static_vectors(vectors = \"pipeline/vocab\", width = 96, column = 2)) \
    ///      >> maxout(width = 96, pieces = 3) >> layer_norm \
    ///      >> maxout_window_encoder(depth = 4, window = 1, pieces = 3)"
    /// );
    /// ```
    ///
    /// The columns of the keys are [`key_attrs`](Self::key_attrs): with static vectors, the
    /// last is the tokens' `ORTH`.
    pub fn network(&self) -> String {
        let Tok2VecArchitecture {
            rows,
            width,
            depth,
            window,
            pieces,
            ..
        } = self;
        let tables: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(column, rows)| {
                let seed = FIRST_SEED + column;
                format!(
                    "hash_embed(column = {column}, rows = {rows}, width = {width}, seed = {seed})"
                )
            })
            .chain(self.vectors.iter().map(|vectors| {
                let column = rows.len();
                format!(
                    "static_vectors(vectors = \"{}\", width = {width}, column = {column})",
                    vectors.display()
                )
            }))
            .collect();
        format!(
            "({}) >> maxout(width = {width}, pieces = {EMBED_PIECES}) >> layer_norm \
             >> maxout_window_encoder(depth = {depth}, window = {window}, pieces = {pieces})",
            tables.join(" | ")
        )
    }
}

impl TaggerArchitecture {
    /// The tagger as a network in the grammar of `model!`: the tok2vec's
    /// ([`Tok2VecArchitecture::network`]), then the output layer of `classes` classes.
    pub fn network(&self, classes: usize, output: Output) -> String {
        let layer = match output {
            Output::Scores => format!("linear(width = {classes})"),
            Output::Probabilities => format!("softmax(classes = {classes})"),
        };
        format!("{} >> {layer}", self.tok2vec.network())
    }
}
