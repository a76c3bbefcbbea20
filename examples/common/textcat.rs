//! Text classification: texts labelled with a class (sentence polarity in the shipped data),
//! and the network embed (64) >> BiLSTM (64 per direction) >> attention >> softmax.

use std::error::Error;
use std::path::Path;

use weft::corpus::{LabelledText, Labels, Vocab, read_texts};
use weft::training::Examples;
use weft::{model, model_type};

use crate::common::{Data, Options};

const WIDTH: usize = 64;
const HIDDEN: usize = 64;

/// Epochs to train by default.
pub const EPOCHS: usize = 5;

/// The network's type, for functions that take it. The vocabulary rows and the number of
/// classes are left open: `initialize` reads them off the training data.
pub type TextCat =
    model_type!(embed(width = WIDTH) >> bilstm(hidden = HIDDEN) >> attention >> softmax);

/// The shipped file of `split` (`train`, `dev` or `test`).
pub fn file(split: &str) -> String {
    format!("rt_polarity.{split}.tsv")
}

/// Reads the files of `options`: the vocabulary and the labels come from the training texts.
pub fn load(options: &Options) -> Result<Data<usize>, Box<dyn Error>> {
    let train = read_texts(&options.train)?;
    let vocab = Vocab::from_tokens(train.iter().flat_map(|t| &t.tokens));
    let labels = Labels::from_names(train.iter().map(|t| &t.label));
    let dataset = |texts: &[LabelledText], path: &Path| dataset(texts, &vocab, &labels, path);
    let train = dataset(&train, &options.train)?;
    let dev = dataset(&read_texts(&options.dev)?, &options.dev)?;
    let test = match &options.test {
        Some(path) => Some(dataset(&read_texts(path)?, path)?),
        None => None,
    };
    Ok(Data {
        vocab,
        labels,
        train,
        dev,
        test,
    })
}

/// The texts of the file at `path` as ids.
fn dataset(
    texts: &[LabelledText],
    vocab: &Vocab,
    labels: &Labels,
    path: &Path,
) -> weft::Result<Examples<usize>> {
    let truths = texts
        .iter()
        .map(|text| labels.index_at(&text.label, path, text.line))
        .collect::<weft::Result<_>>()?;
    let ids = texts.iter().map(|t| vocab.encode(&t.tokens)).collect();
    Examples::new(ids, truths)
}

/// The network, sized from the training data.
pub fn new_model(train: &Examples<usize>) -> weft::Result<TextCat> {
    model!(embed(width = WIDTH) >> bilstm(hidden = HIDDEN) >> attention >> softmax)
        .initialize(&train.inputs(), train.truths())
}
