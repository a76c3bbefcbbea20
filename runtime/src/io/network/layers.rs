//! The built-in layers, built at run time from their checked description: the constructors
//! that the catalog's code templates call in `model!`, with `usize` widths.

use weft_grammar::Built;
use weft_grammar::text::Pos;

use super::Builder;
use super::stage::Stage::{
    self, IdsTokens, KeysRows, KeysTokens, PairRowsRows, PairTokensPairTokens, TokensRows,
    TokensTokens,
};
use crate::combinators::with_array;
use crate::error::{Error, Result};
use crate::layers::{
    Align, Attention, BiLstm, ConcatSides, Dropout, Embed, ExpandWindow, HashEmbed, LayerNorm,
    Linear, Lstm, Maxout, MaxoutWindowEncoder, Mish, ReduceMax, ReduceMean, ReduceSum, Relu,
    Sigmoid, Softmax, SparseLinear, StaticVectors,
};
use crate::model::Model;

/// The layer `built` describes.
pub(super) fn layer(b: &Builder<'_>, built: &Built<Pos>) -> Result<Stage> {
    // An embedding's input has no width: read the input's only where it is used.
    let i = || b.width(&built.input);
    let o = b.width(&built.output)?;
    let per_token = built.per_token;
    let count = |name| Ok::<_, Error>(b.int(built, name)? as usize);
    let rate = |name| Ok::<_, Error>(b.float(built, name)? as f32);
    Ok(match built.spec.name {
        "embed" => IdsTokens(with_array(Embed::new(count("rows")?, o)).boxed()),
        "hash_embed" => {
            let seed = b.int(built, "seed")? as u32; // at most u32::MAX: the grammar checks it
            let embed = HashEmbed::new(count("rows")?, o, seed).with_column(count("column")?);
            KeysTokens(with_array(embed).boxed())
        }
        "static_vectors" => {
            let vectors = StaticVectors::new(b.vectors(built, "vectors")?, o);
            KeysTokens(with_array(vectors.with_column(count("column")?)).boxed())
        }
        "sparse_linear" => KeysRows(SparseLinear::new(count("length")?, o).boxed()),
        "bilstm" => {
            let (hidden, depth) = (count("hidden")?, count("depth")?);
            let bilstm = BiLstm::<usize, usize, usize>::new(i()?, hidden, depth);
            TokensTokens(bilstm.with_dropout(rate("dropout")?).boxed())
        }
        "lstm" => {
            let lstm = Lstm::new(i()?, count("hidden")?, count("depth")?);
            TokensTokens(lstm.with_dropout(rate("dropout")?).boxed())
        }
        "expand_window" => {
            let window = ExpandWindow::<usize, usize>::new(i()?, count("window")?);
            TokensTokens(window.boxed())
        }
        "maxout_window_encoder" => {
            let [depth, window, pieces] = [count("depth")?, count("window")?, count("pieces")?];
            TokensTokens(MaxoutWindowEncoder::new(i()?, depth, window, pieces).boxed())
        }
        "attention" => TokensRows(Attention::new(i()?).boxed()),
        "align" => {
            let flag = |name| b.flag(built, name);
            let align = Align::<usize, usize>::new(i()?, flag("difference")?, flag("product")?);
            PairTokensPairTokens(align.boxed())
        }
        "concat_sides" => PairRowsRows(ConcatSides::<usize, usize>::new(i()?).boxed()),
        "reduce_sum" => TokensRows(ReduceSum::new(i()?).boxed()),
        "reduce_mean" => TokensRows(ReduceMean::new(i()?).boxed()),
        "reduce_max" => TokensRows(ReduceMax::new(i()?).boxed()),
        "linear" => Stage::rows(Linear::new(i()?, o), per_token),
        "relu" => Stage::rows(Relu::new(i()?, o), per_token),
        "mish" => Stage::rows(Mish::new(i()?, o), per_token),
        "maxout" => Stage::rows(Maxout::new(i()?, o, count("pieces")?), per_token),
        "softmax" => Stage::rows(Softmax::new(i()?, o), per_token),
        "sigmoid" => Stage::rows(Sigmoid::new(i()?, o), per_token),
        "layer_norm" => Stage::rows(LayerNorm::new(i()?), per_token),
        "dropout" => Stage::rows(Dropout::<usize>::new(rate("rate")?), per_token),
        other => {
            return Err(Error::Network {
                message: format!("`{other}` cannot be built at run time yet"),
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use weft_grammar::catalog::{LAYERS, Takes};

    use super::super::{Builder, Network};
    use crate::model::DataSizes;

    #[test]
    fn every_layer_of_the_catalog_builds_at_run_time() {
        let sizes = DataSizes::given(Some(5), Some(2));
        for spec in LAYERS {
            let text = match spec.takes {
                Takes::Ids | Takes::Keys if spec.name == "static_vectors" => {
                    let vectors = concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/tests/data/spacy_tagger/vectors/vectors.txt"
                    );
                    format!("static_vectors(vectors = \"{vectors}\")")
                }
                Takes::Ids | Takes::Keys => spec.name.to_string(),
                Takes::Sequences => format!("embed(width = 4) >> {}", spec.name),
                Takes::Vectors => format!("embed(width = 4) >> attention >> {}", spec.name),
                Takes::PairedSequences => format!("both(embed(width = 4)) >> {}", spec.name),
                Takes::PairedVectors => {
                    format!("both(embed(width = 4) >> attention) >> {}", spec.name)
                }
            };
            let network = Network::parse(&text).unwrap();
            let builder = Builder {
                network: &network,
                sizes: &sizes,
            };
            if let Err(err) = builder.net(&network.checked.net) {
                panic!("`{text}`: {err}");
            }
        }
    }
}
