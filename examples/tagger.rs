//! Part-of-speech tagging of Turkish: embed (64) >> BiLSTM (64 per direction) >> softmax over
//! the tags, for every token, trained with Adam (lr 0.001, batch 32).
//!
//!     cargo run --release --example tagger [-- --train F --dev F --test F --epochs N]
//!
//! Prints per epoch the mean training loss, dev token accuracy and training words per second.

mod common;

use std::error::Error;

use common::{Options, Step};
use weft::corpus::{Labels, TaggedSentence, Vocab, read_tagged};
use weft::losses::SequenceCategoricalCrossentropy;
use weft::{Adam, Ids, Model, Params, Ragged, model, model_type};

const USAGE: &str = "usage: tagger [--train FILE] [--dev FILE] [--test FILE] [--epochs N] \
[--batch-size N] [--lr RATE] [--seed N]
Files hold `token<TAB>tag` lines with a blank line after each sentence; defaults are the
shipped examples/data/twt_upos.{train,dev}.conll.";

/// The network: the softmax follows the BiLSTM's vector per token, so it runs per token.
type Tagger = model_type!(embed(width = 64) >> bilstm(hidden = 64) >> softmax);

/// Sentences as token ids and tag indices.
struct Dataset {
    ids: Vec<Vec<u32>>,
    tags: Vec<Vec<usize>>,
}

impl Dataset {
    fn new(
        sentences: &[TaggedSentence],
        vocab: &Vocab,
        tags: &Labels,
        what: &str,
    ) -> Result<Self, String> {
        let mut tag_ids = Vec::with_capacity(sentences.len());
        for (i, sentence) in sentences.iter().enumerate() {
            let ids = sentence.tags.iter().map(|tag| {
                tags.index(tag).ok_or_else(|| {
                    format!(
                        "{what} sentence {}: tag `{tag}` is not among the training tags",
                        i + 1
                    )
                })
            });
            tag_ids.push(ids.collect::<Result<Vec<_>, _>>()?);
        }
        let ids = sentences.iter().map(|s| vocab.encode(&s.tokens)).collect();
        Ok(Dataset { ids, tags: tag_ids })
    }

    fn batch(&self, indices: &[usize]) -> (Ragged<Ids>, Vec<Vec<usize>>) {
        let x = Ragged::from_sequences(indices.iter().map(|&i| &self.ids[i]));
        (x, indices.iter().map(|&i| self.tags[i].clone()).collect())
    }
}

/// Token accuracy of `model` on `data`, predicting in batches of 128 sentences.
fn accuracy(model: &Tagger, data: &Dataset) -> f64 {
    let (mut correct, mut total) = (0, 0);
    for (ids, tags) in data.ids.chunks(128).zip(data.tags.chunks(128)) {
        let predicted = model.predict(Ragged::from_sequences(ids)).data.argmax();
        let truths = tags.iter().flatten();
        correct += predicted.iter().zip(truths).filter(|(p, t)| p == t).count();
        total += predicted.len();
    }
    correct as f64 / total.max(1) as f64
}

fn main() {
    if let Err(err) = run() {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let options = Options::parse(USAGE, "twt_upos.train.conll", "twt_upos.dev.conll", 15);
    weft::set_seed(options.seed);
    let train_sentences = read_tagged(&options.train)?;
    let vocab = Vocab::from_tokens(train_sentences.iter().flat_map(|s| &s.tokens));
    let tags = Labels::from_names(train_sentences.iter().flat_map(|s| &s.tags));
    let train = Dataset::new(&train_sentences, &vocab, &tags, "train")?;
    let dev = Dataset::new(&read_tagged(&options.dev)?, &vocab, &tags, "dev")?;
    println!(
        "{} train sentences, {} dev sentences, {} vocabulary rows, {} tags",
        train.ids.len(),
        dev.ids.len(),
        vocab.rows(),
        tags.len()
    );

    let mut model: Tagger = model!(embed(width = 64) >> bilstm(hidden = 64) >> softmax)
        .initialize(&Ragged::from_sequences(&train.ids), &train.tags)?;
    println!("{} parameters", model.param_count());
    let mut adam = Adam::new(options.learn_rate);
    let step = |model: &mut Tagger, batch: &[usize]| {
        let (x, truths) = train.batch(batch);
        let words = x.data.0.len();
        let (probs, backprop) = model.begin_update(x);
        let (d_probs, loss) = SequenceCategoricalCrossentropy.get_grad(&probs, &truths)?;
        backprop(d_probs);
        model.finish_update(&mut adam)?;
        Ok(Step { loss, words })
    };
    common::train(&mut model, &options, train.ids.len(), step, |m| {
        accuracy(m, &dev)
    })?;
    if let Some(path) = &options.test {
        let test = Dataset::new(&read_tagged(path)?, &vocab, &tags, "test")?;
        println!("test acc {:.4}", accuracy(&model, &test));
    }
    Ok(())
}
