//! Text classification on sentence polarity: embed (64) >> BiLSTM (64 per direction) >>
//! attention >> softmax, trained with Adam (lr 0.001, batch 32).
//!
//!     cargo run --release --example textcat [-- --train F --dev F --test F --epochs N]
//!
//! Prints per epoch the mean training loss, dev accuracy and training words per second. The
//! data, the network and its loss are in `common/textcat.rs`.

mod common;
#[path = "common/textcat.rs"]
mod textcat;

use std::error::Error;

use common::Options;
use weft::Params;

const USAGE: &str = "usage: textcat [--train FILE] [--dev FILE] [--test FILE] [--epochs N] \
[--batch-size N] [--lr RATE] [--seed N]
Files hold `label<TAB>space-separated tokens` lines; defaults are the shipped
examples/data/rt_polarity.{train,dev}.tsv.";

fn main() {
    if let Err(err) = run() {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut options = Options::new(&common::data_dir(), textcat::file, textcat::EPOCHS);
    options.apply(USAGE, common::args(USAGE));
    weft::set_seed(options.seed);
    let data = textcat::load(&options)?;
    println!(
        "{} train texts, {} dev texts, {} vocabulary rows, classes {:?}",
        data.train.ids.len(),
        data.dev.ids.len(),
        data.vocab.rows(),
        data.labels.names()
    );

    let mut model = textcat::new_model(&data.train)?;
    println!("{} parameters", model.param_count());
    common::train(
        &mut model,
        &options,
        &data.train,
        textcat::loss,
        |m| common::accuracy(m, &data.dev, textcat::predict),
        |epoch| println!("{epoch}"),
    )?;
    if let Some(test) = &data.test {
        let accuracy = common::accuracy(&model, test, textcat::predict)?;
        println!("test acc {accuracy:.4}");
    }
    Ok(())
}
