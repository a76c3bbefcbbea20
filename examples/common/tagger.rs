//! Part-of-speech tagging: sentences with a tag per token (Turkish in the shipped data), and
//! the network embed (64) >> BiLSTM (64 per direction) >> softmax over the tags, per token.

use std::error::Error;
use std::path::Path;

use weft::corpus::{Labels, TaggedSentence, Vocab, read_tagged};
use weft::training::Examples;
use weft::{model, model_type};

use crate::common::{Data, Options};

/// Epochs to train by default.
pub const EPOCHS: usize = 15;

/// The network: the softmax follows the BiLSTM's vector per token, so it runs per token.
pub type Tagger = model_type!(embed(width = 64) >> bilstm(hidden = 64) >> softmax);

/// The shipped file of `split` (`train`, `dev` or `test`).
pub fn file(split: &str) -> String {
    format!("twt_upos.{split}.conll")
}

/// Reads the files of `options`: the vocabulary and the tags come from the training sentences.
pub fn load(options: &Options) -> Result<Data<Vec<usize>>, Box<dyn Error>> {
    let train = read_tagged(&options.train)?;
    let vocab = Vocab::from_tokens(train.iter().flat_map(|s| &s.tokens));
    let tags = Labels::from_names(train.iter().flat_map(|s| &s.tags));
    let dataset =
        |sentences: &[TaggedSentence], path: &Path| dataset(sentences, &vocab, &tags, path);
    let train = dataset(&train, &options.train)?;
    let dev = dataset(&read_tagged(&options.dev)?, &options.dev)?;
    let test = match &options.test {
        Some(path) => Some(dataset(&read_tagged(path)?, path)?),
        None => None,
    };
    Ok(Data {
        vocab,
        labels: tags,
        train,
        dev,
        test,
    })
}

/// The sentences of the file at `path` as ids.
fn dataset(
    sentences: &[TaggedSentence],
    vocab: &Vocab,
    tags: &Labels,
    path: &Path,
) -> weft::Result<Examples<Vec<usize>>> {
    let mut truths = Vec::with_capacity(sentences.len());
    for sentence in sentences {
        let lines = sentence.line..;
        let ids =
            (sentence.tags.iter().zip(lines)).map(|(tag, line)| tags.index_at(tag, path, line));
        truths.push(ids.collect::<weft::Result<Vec<_>>>()?);
    }
    let ids = sentences.iter().map(|s| vocab.encode(&s.tokens)).collect();
    Examples::new(ids, truths)
}

/// The network, sized from the training data.
pub fn new_model(train: &Examples<Vec<usize>>) -> weft::Result<Tagger> {
    model!(embed(width = 64) >> bilstm(hidden = 64) >> softmax)
        .initialize(&train.inputs(), train.truths())
}
