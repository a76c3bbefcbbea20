//! Part-of-speech tagging of Turkish: embed (64) >> BiLSTM (64 per direction) >> softmax over
//! the tags, for every token, trained with Adam (lr 0.001, batch 32).
//!
//!     cargo run --release --example tagger [-- --train F --dev F --test F --epochs N]
//!
//! Prints per epoch the mean training loss, dev token accuracy and training words per second.
//! The data, the network and its loss are in `common/tagger.rs`.

mod common;
#[path = "common/tagger.rs"]
mod tagger;

use std::error::Error;

use common::Options;
use weft::Params;

const USAGE: &str = "usage: tagger [--train FILE] [--dev FILE] [--test FILE] [--epochs N] \
[--batch-size N] [--lr RATE] [--seed N]
Files hold `token<TAB>tag` lines with a blank line after each sentence; defaults are the
shipped examples/data/twt_upos.{train,dev}.conll.";

fn main() {
    if let Err(err) = run() {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut options = Options::new(&common::data_dir(), tagger::file, tagger::EPOCHS);
    options.apply(USAGE, common::args(USAGE));
    weft::set_seed(options.seed);
    let data = tagger::load(&options)?;
    println!(
        "{} train sentences, {} dev sentences, {} vocabulary rows, {} tags",
        data.train.ids.len(),
        data.dev.ids.len(),
        data.vocab.rows(),
        data.labels.len()
    );

    let mut model = tagger::new_model(&data.train)?;
    println!("{} parameters", model.param_count());
    common::train(
        &mut model,
        &options,
        &data.train,
        tagger::loss,
        |m| common::accuracy(m, &data.dev, tagger::predict),
        |epoch| println!("{epoch}"),
    )?;
    if let Some(test) = &data.test {
        let accuracy = common::accuracy(&model, test, tagger::predict)?;
        println!("test acc {accuracy:.4}");
    }
    Ok(())
}
