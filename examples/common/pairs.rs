//! Sentence pairs: labelled pairs of texts (Persian NLI in the shared data: FarsTail's
//! premises and hypotheses, entailment / contradiction / neutral), and decomposable attention
//! (Parikh et al. 2016) as one `model!` expression.

use std::path::Path;

use weft::corpus::{LabelledPair, Labels, Vocab, read_pairs};
use weft::{Ids, Pairs, Ragged, model, model_type};

/// The width of every layer.
const WIDTH: usize = 64;

/// Epochs to train by default.
pub const EPOCHS: usize = 10;

/// Decomposable attention, written once for `model!` and for `model_type!`: a shared encoder
/// (the embedding and F, two ReLU layers) on both sides; each token aligned to the other side
/// and compared by concatenation, difference and product; G (two ReLU layers) on every
/// compared token of both sides, summed per side; the two sums side by side through H (two
/// ReLU layers) and a softmax. F's outputs give the scores and the aligned vectors alike.
macro_rules! decomposable {
    ($macro:ident) => {
        $macro!(
            both(embed(width = WIDTH) >> relu(width = WIDTH) >> relu(width = WIDTH))
                >> align(difference = true, product = true)
                >> both(relu(width = WIDTH) >> relu(width = WIDTH) >> reduce_sum)
                >> concat_sides
                >> relu(width = WIDTH)
                >> relu(width = WIDTH)
                >> softmax
        )
    };
}

/// The network's type, for functions that take it.
pub type Decomposable = decomposable!(model_type);

/// The shared file of `split` (`train`, `dev` or `test`).
pub fn file(split: &str) -> String {
    format!("pairs_farstail.{split}.tsv")
}

/// The folder of the shared data sets, beside the checkout (`../shared/data`): FarsTail's
/// splits are too large to ship in `examples/data`.
pub fn shared_data_dir() -> std::path::PathBuf {
    crate::common::data_dir().join("../../../shared/data")
}

/// Pairs as token ids, with their classes.
pub struct Split {
    /// Each pair's first text (premise) and second text (hypothesis), as ids.
    pub pairs: Vec<(Vec<u32>, Vec<u32>)>,
    /// Each pair's class.
    pub classes: Vec<usize>,
}

impl Split {
    /// The pairs at `indices`, packed, with their classes.
    pub fn batch(&self, indices: &[usize]) -> (Pairs<Ragged<Ids>>, Vec<usize>) {
        let side = |pick: fn(&(Vec<u32>, Vec<u32>)) -> &Vec<u32>| {
            Ragged::from_sequences(indices.iter().map(|&i| pick(&self.pairs[i])))
        };
        let x = Pairs::new(side(|p| &p.0), side(|p| &p.1)).expect("one second side per first");
        (x, indices.iter().map(|&i| self.classes[i]).collect())
    }

    /// Every pair, packed: what `initialize` reads the vocabulary's size off.
    pub fn all(&self) -> (Pairs<Ragged<Ids>>, Vec<usize>) {
        self.batch(&(0..self.len()).collect::<Vec<_>>())
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// The tokens of the pairs at `indices`, both sides.
    pub fn words(&self, indices: &[usize]) -> usize {
        indices
            .iter()
            .map(|&i| self.pairs[i].0.len() + self.pairs[i].1.len())
            .sum()
    }
}

/// The data: the vocabulary (of both sides) and the labels of the training file, and each
/// file's pairs as ids of them.
pub struct Data {
    /// The training file's tokens.
    pub vocab: Vocab,
    /// The training file's labels.
    pub labels: Labels,
    /// Training pairs.
    pub train: Split,
    /// Pairs scored after every epoch.
    pub dev: Split,
    /// Pairs scored once at the end, if given.
    pub test: Option<Split>,
}

/// Reads the files: a malformed line, or a label of dev or test that training lacks, is an
/// error naming the file and the line.
pub fn load(train: &Path, dev: &Path, test: Option<&Path>) -> weft::Result<Data> {
    let train_pairs = read_pairs(train)?;
    let tokens = train_pairs
        .iter()
        .flat_map(|p| p.first.iter().chain(&p.second));
    let vocab = Vocab::from_tokens(tokens);
    let labels = Labels::from_names(train_pairs.iter().map(|p| &p.label));
    let encode = |pairs: &[LabelledPair], path: &Path| -> weft::Result<Split> {
        let classes = (pairs.iter())
            .map(|p| labels.index_at(&p.label, path, p.line))
            .collect::<weft::Result<_>>()?;
        let ids = pairs
            .iter()
            .map(|p| (vocab.encode(&p.first), vocab.encode(&p.second)));
        Ok(Split {
            pairs: ids.collect(),
            classes,
        })
    };
    let read = |path: &Path| encode(&read_pairs(path)?, path);
    Ok(Data {
        train: encode(&train_pairs, train)?,
        dev: read(dev)?,
        test: test.map(read).transpose()?,
        vocab,
        labels,
    })
}

/// The network, sized from the training data.
pub fn new_model(train: &Split) -> weft::Result<Decomposable> {
    let (x, y) = train.all();
    decomposable!(model).initialize(&x, &y)
}
