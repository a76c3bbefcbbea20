//! [`Documents`]: a batch of documents made of sentences made of tokens, packed without padding
//! at either level.
//!
//! A batch of documents is a ragged batch whose rows are sentences, and the sentences are
//! themselves a ragged batch of tokens: `Ragged<Ragged<Ids>>`. The outer lengths count each
//! document's sentences, the inner lengths each sentence's tokens, and the token ids of every
//! sentence of every document lie one after the other. A document of no sentences and a
//! sentence of no tokens are lengths of 0, like any other.
//!
//! [`Sentences`](crate::combinators::Sentences) runs a sequence model over every sentence and
//! hands the documents a vector per sentence, `Ragged<Floats2<W>>`, so that a document is read
//! as a sequence whose tokens are its sentences.

use crate::data::{Ids, Ragged};

/// Documents of sentences of tokens `T` (token ids by default): `lengths()` counts each
/// document's sentences, `data()` holds the sentences, a `Ragged<T>` batch.
///
/// ```
/// use weft_runtime::{Documents, Ids};
/// let docs = Documents::from_documents([
///     vec![vec![4, 2], vec![7]], // two sentences
///     vec![],                    // none
///     vec![vec![], vec![1]],     // an empty sentence, then one of one token
/// ]);
/// assert_eq!(docs.lengths(), &[2, 0, 2]);
/// assert_eq!(docs.data().lengths(), &[2, 1, 0, 1]);
/// assert_eq!(docs.data().data(), &Ids(vec![4, 2, 7, 1]));
/// ```
pub type Documents<T = Ids> = Ragged<Ragged<T>>;

impl Documents {
    /// Packs documents, each a list of sentences of token ids.
    pub fn from_documents<D, S>(documents: impl IntoIterator<Item = D>) -> Self
    where
        D: AsRef<[S]>,
        S: AsRef<[u32]>,
    {
        let (mut ids, mut sentences, mut lengths) = (Vec::new(), Vec::new(), Vec::new());
        for document in documents {
            let document = document.as_ref();
            for sentence in document {
                ids.extend_from_slice(sentence.as_ref());
                sentences.push(sentence.as_ref().len());
            }
            lengths.push(document.len());
        }
        let sentences = Ragged::wrap(Ids(ids), sentences);
        Ragged::wrap(sentences, lengths)
    }
}
