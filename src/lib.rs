//! # weft
//!
//! Declare, train and ship neural networks for language. A network is a plain, fully typed
//! Rust value: each layer's [`Model::begin_update`] returns its output with a backprop closure,
//! combinators nest those closures, and widths live in the types, so a network whose layers do
//! not fit together does not compile.
//!
//! This crate is the one dependency users need: it re-exports the runtime
//! ([`weft_runtime`]) at its root.
//!
//! ```
//! use weft::{Const, Floats2, Model, combinators::chain, layers::{Relu, Softmax}};
//! let model = chain(Relu::new(Const::<4>, Const::<8>), Softmax::new(Const::<8>, Const::<3>));
//! let p = model.predict(Floats2::from_rows(&[[1.0, 0.0, -1.0, 0.5]]));
//! assert!((p.view().sum() - 1.0).abs() < 1e-6);
//! ```

#![forbid(unsafe_code)]

/// Builds a network from one expression of layers and combinators.
///
/// ```
/// use weft::{Model, Params, Ragged, model};
/// let x = Ragged::from_sequences([vec![1, 2, 3], vec![4, 5]]);
/// let y = vec![0, 1];
/// // The vocabulary rows and the number of classes are read off the training data.
/// let model = model!(embed >> bilstm >> attention >> softmax).initialize(&x, &y)?;
/// assert_eq!(model.predict(x).view().shape(), &[2, 2]);
/// assert_eq!(model.param_names()[0], "0.embed.E");
/// # Ok::<(), weft::Error>(())
/// ```
///
/// # Grammar
///
/// | written | means |
/// |---|---|
/// | `a >> b` | chain: `a`'s output feeds `b` |
/// | `a \| b` | concatenate: both see the input, outputs side by side (widths add up) |
/// | `a + b` | add: both see the input, outputs summed |
/// | `a ** n` | `n` fresh copies of `a`, chained |
/// | `chain(a, b, ..)`, `concat(a, b, ..)`, `add(a, b, ..)`, `clone(a, n)` | the same, as calls |
/// | `residual(a)` | `x + a(x)` |
/// | `with_array(a)` | `a` applied to every token's vector of a batch of sequences |
/// | `sentences(a)` | `a` (from a sentence's tokens to one vector) over every sentence of a batch of [`Documents`]: the layers after it read a sequence of sentence vectors per document |
/// | `both(a)` | `a` on both sides of a batch of [`Pairs`], one set of weights |
/// | `attention_by(q)` | attention pooling of each sequence against the query `q` outputs for it (`q` takes the sequences, outputs one vector of their width per sequence) |
/// | `layer`, `layer(arg = value, ..)` | a built-in layer, with defaults for what is unsaid |
/// | any other expression | a value of yours implementing [`Model`] |
/// | a variable of yours used more than once | one layer in each place, one set of weights ([`Shared`](combinators::Shared)): tied encoders, a block repeated with the same weights |
///
/// Precedence is Rust's (and Python's): `**` binds tighter than `+`, then `>>`, then `|`, so
/// `a >> b | c` is `(a >> b) | c`. Chains are built as balanced trees (a 100-layer chain
/// compiles quickly), and parameter paths number the layers in the order they are written,
/// however the expression is nested.
///
/// # What flows between layers
///
/// The macro follows the data from layer to layer: token ids (`Ragged<Ids>`), a vector per
/// token (`Ragged<Floats2<W>>`) or one vector per example (`Floats2<W>`), with its width.
/// Each layer's input width is the width before it; a layer that cannot take what comes
/// before it is a compile error that says why, at the layer. After an embedding, dense layers
/// (`linear`, `relu`, `mish`, `maxout`, `softmax`, `sigmoid`, `layer_norm`, `dropout`) run
/// token by token; after pooling (`attention`, `reduce_*`), once per example. `|` and `+`
/// join branches that output one kind: two embeddings, two sequence encoders
/// (`bilstm | lstm`), two poolings (`reduce_mean | reduce_max`), your own layers among them.
///
/// A network that starts with `sentences(..)` reads documents of sentences
/// ([`Documents`]: `Ragged<Ragged<Ids>>`, packed without padding at either level). The network
/// inside reads each sentence as a network reads its input and must pool it to one vector
/// (end it with `attention` or `reduce_*`); the layers after `sentences` read each document as
/// a sequence of those vectors, its sentences taking the place of tokens. A sentence of no
/// tokens pools to zeros, and a document of no sentences is an empty sequence:
///
/// ```
/// use weft::{Documents, Model, model};
/// let docs = Documents::from_documents([vec![vec![1, 2], vec![3]], vec![], vec![vec![]]]);
/// let model = model!(
///     sentences(embed(width = 16) >> bilstm(hidden = 8) >> attention)
///         >> bilstm(hidden = 8)
///         >> attention
///         >> softmax
/// )
/// .initialize(&docs, &vec![0, 1, 1])?;
/// assert_eq!(model.predict(docs).view().shape(), &[3, 2]);
/// # Ok::<(), weft::Error>(())
/// ```
///
/// Pairs of texts (`Pairs<Ragged<Ids>>`, a premise and a hypothesis, say) go through `both(..)`,
/// which runs a network on each side with one set of weights, and through the layers that
/// relate the sides: `align` (soft alignment by dot products, each token compared with its
/// aligned vector) and `concat_sides` (each pair's two vectors side by side). Decomposable
/// attention (Parikh et al. 2016) is one expression:
///
/// ```
/// use weft::{Model, Pairs, Ragged, model};
/// let x = Pairs::new(
///     Ragged::from_sequences([vec![1, 2, 3], vec![4, 5]]),
///     Ragged::from_sequences([vec![6], vec![]]),
/// )?;
/// let model = model!(
///     both(embed(width = 32) >> relu) >> align(difference = true) >> both(relu >> reduce_sum)
///         >> concat_sides >> relu >> softmax
/// )
/// .initialize(&x, &vec![0, 2])?;
/// assert_eq!(model.predict(x).view().shape(), &[2, 3]);
/// # Ok::<(), weft::Error>(())
/// ```
///
/// A layer that works on one text given pairs is a compile error that says to wrap it in
/// `both(..)`.
///
/// spaCy's networks: `MultiHashEmbed` is a `hash_embed` per column of token attributes (keys
/// from [`text::Attr::table`]), side by side and mixed by a normalized maxout;
/// `maxout_window_encoder` is spaCy's `MaxoutWindowEncoder` (residual layers of `expand_window`,
/// `maxout` and `layer_norm`, over sentences padded as spaCy pads them, so that its weights load
/// as they are). spaCy's tagger:
///
/// ```
/// use weft::text::{Attr, Token};
/// use weft::{Model, Ragged, model};
/// let words = ["Merhaba", "dünya", "!"];
/// let tokens: Vec<Token> = words.iter().map(|text| Token { text, space_after: true }).collect();
/// let attrs = [Attr::Norm, Attr::Prefix, Attr::Suffix, Attr::Shape];
/// let x = Ragged::new(Attr::table(&attrs, &tokens)?, vec![3])?;
/// let tagger = model!(
///     (hash_embed(column = 0, rows = 5000, width = 96, seed = 8)
///         | hash_embed(column = 1, rows = 1000, width = 96, seed = 9)
///         | hash_embed(column = 2, rows = 2500, width = 96, seed = 10)
///         | hash_embed(column = 3, rows = 2500, width = 96, seed = 11))
///         >> maxout(width = 96, pieces = 3) >> layer_norm
///         >> maxout_window_encoder(depth = 4, window = 1, pieces = 3)
///         >> softmax(classes = 17)
/// );
/// assert_eq!(tagger.predict(x).data().view().shape(), &[3, 17]);
/// # Ok::<(), weft::Error>(())
/// ```
///
/// With pretrained word vectors (spaCy's `include_static_vectors`), `static_vectors` goes beside
/// the tables: a [`text::Vectors`] table read before the network is built (a file of word2vec,
/// fastText or GloVe vectors, or a spaCy vocabulary), looked up by each token's
/// [`text::Attr::Orth`] key and projected to the width by a learned matrix; the table itself is
/// not trained, nor saved with the model (its fingerprint is: weights trained over one table do
/// not load over another). In a network written as text, `vectors` is the path of the file or
/// folder to read, a string.
///
/// ```
/// use weft::text::{Attr, Token, Vectors};
/// use weft::{Model, Ragged, model};
/// let file = concat!(env!("CARGO_MANIFEST_DIR"), "/runtime/tests/data/spacy_tagger/vectors/vectors.txt");
/// let vectors = Vectors::read(file)?; // 300 Turkish words, 8 floats each
/// let words = ["Bugün", "hava", "güzel"];
/// let tokens: Vec<Token> = words.iter().map(|text| Token { text, space_after: true }).collect();
/// let x = Ragged::new(Attr::table(&[Attr::Norm, Attr::Orth], &tokens)?, vec![3])?;
/// let tagger = model!(
///     (hash_embed(column = 0, rows = 5000, width = 96, seed = 8)
///         | static_vectors(vectors = vectors, width = 96, column = 1))
///         >> maxout(width = 96, pieces = 3) >> layer_norm
///         >> softmax(classes = 17)
/// );
/// assert_eq!(tagger.predict(x).data().view().shape(), &[3, 17]);
/// # Ok::<(), weft::Error>(())
/// ```
///
/// The same encoder is writable from its parts, with windows that see zeros beyond each
/// sentence; each product runs once over every token of the batch. With `sigmoid` and
/// [`BinaryCrossentropy`](losses::BinaryCrossentropy), a multi-label text classifier:
///
/// ```
/// use weft::{Floats2, Keys, Model, Ragged, losses::BinaryCrossentropy, model};
/// let x = Ragged::new(Keys::new(vec![11, 12, 13, 14, 15]), vec![3, 2])?;
/// let model = model!(
///     hash_embed(width = 32)
///         >> residual(expand_window(window = 1) >> maxout(width = 32, pieces = 3) >> layer_norm >> dropout(rate = 0.0)) ** 4
///         >> reduce_mean
///         >> sigmoid(classes = 3)
/// );
/// let (probs, _backprop) = model.begin_update(x);
/// let truths = Floats2::from_rows(&[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]);
/// let (_d_probs, loss) = BinaryCrossentropy.get_grad(&probs, &truths)?;
/// assert!((loss - 2f32.ln()).abs() < 1e-6); // every class starts at 1/2
/// # Ok::<(), weft::Error>(())
/// ```
///
/// A width is an integer literal (checked by the macro: from 1 to 2^24), a constant's
/// UPPER_CASE name or a `{ block }` (checked by rustc), or any other `usize` expression (a
/// run-time width, evaluated once when `model!` runs). Widths around your own layers are
/// inferred by rustc. A count (`** n`, `depth`, `pieces`, `window`) is from 1 to 2^16, a `column`
/// from 0, a
/// dropout `rate` (and an LSTM's `dropout`, applied in training to the output of each stacked
/// layer but the last, so above 0 only with a `depth` of 2 or more) from 0 to below 1: a
/// literal out of range is an error, never clamped. A flag (`align`'s `difference`) is `true` or `false`.
///
/// # Built-in layers
///
/// | layer | takes | outputs | arguments (default) |
/// |---|---|---|---|
/// | `embed` | token ids | a vector per token | `rows` (from the data), `width` (64) |
/// | `hash_embed` | hash keys | a vector per token, from the keys of one column | `rows` (5000), `width` (64), `seed` (0), `column` (0) |
/// | `static_vectors` | hash keys | a vector per token: the token's pretrained vector (zeros when the table lacks its key), projected to `width` | `vectors` (required), `width` (64), `column` (0) |
/// | `sparse_linear` | hash keys | class scores, one row per sequence (a bag of hashed features) | `classes` (from the data), `length` (262144) |
/// | `bilstm` | vectors per token | `2 × hidden` per token | `hidden` (the input width), `depth` (1), `dropout` (0) |
/// | `lstm` | vectors per token | `hidden` per token | `hidden` (the input width), `depth` (1), `dropout` (0) |
/// | `expand_window` | vectors per token | each token's vector with its `window` neighbours on each side (zeros beyond its sequence), `(2 × window + 1) ×` the input width per token | `window` (1) |
/// | `maxout_window_encoder` | vectors per token | vectors per token: spaCy's CNN encoder | `depth` (4), `window` (1), `pieces` (3) |
/// | `attention` | vectors per token | one per sequence | |
/// | `reduce_sum`, `reduce_mean`, `reduce_max` | vectors per token | one per sequence | |
/// | `linear`, `relu`, `mish` | vectors | vectors | `width` (the input width) |
/// | `maxout` | vectors | vectors | `width` (the input width), `pieces` (3) |
/// | `softmax` | vectors | class probabilities | `classes` (from the data) |
/// | `sigmoid` | vectors | a probability per class, each on its own (multi-label) | `classes` (from the data) |
/// | `layer_norm` | vectors | vectors | |
/// | `dropout` | vectors | vectors | `rate` (0.1) |
/// | `align` | pairs of vectors per token | each token with what it aligns to on the other side, `(2 + difference + product) ×` the input width | `difference` (false), `product` (false) |
/// | `concat_sides` | pairs of vectors | the two sides' vectors side by side, one per pair | |
///
/// Every layer taking vectors also accepts `input = N`, checked against the width before it.
/// See [`layers`] for each layer's math.
///
/// # Sizes from the data
///
/// When `embed`'s `rows` or `softmax`'s `classes` are left out, `model!` returns an
/// [`Uninitialized`] network: it is not a [`Model`] yet, so it cannot be trained or run by
/// mistake. [`Uninitialized::initialize`]`(&x, &y)` reads the sizes off the training inputs and
/// truths and returns the model. Given as arguments, the sizes make `model!` return the model
/// at once:
///
/// ```
/// use weft::{Model, Ragged, model};
/// let classes = 3;
/// let model = model!(embed(rows = 1000, width = 32) >> bilstm >> reduce_max >> softmax(classes = classes));
/// let p = model.predict(Ragged::from_sequences([vec![7, 8, 9]]));
/// assert_eq!(p.view().shape(), &[1, 3]);
/// ```
///
/// A wrong network does not compile; the message names the layer and says what it expected:
///
/// ```compile_fail
/// use weft::model;
/// // error: `bilstm` expects width 128, but `embed(width = 64)` outputs 64
/// let model = model!(embed(width = 64) >> bilstm(input = 128) >> attention >> softmax);
/// ```
pub use weft_macros::model;
pub use weft_runtime::*;

/// The type of the network [`model!`] builds from the same expression, for struct fields and
/// function signatures. A layer of your own is written as its type (`MyLayer`), and one that
/// `model!` shares (a variable used twice) as `weft::combinators::Shared<MyLayer>` at each
/// use; sizes left to the data are `usize` widths.
///
/// ```
/// use weft::{Model, Ragged, model, model_type};
/// struct Tagger {
///     network: model_type!(embed(width = 32) >> bilstm(hidden = 16) >> softmax),
/// }
/// let x = Ragged::from_sequences([vec![1, 2], vec![3]]);
/// let tags = vec![vec![0, 1], vec![2]];
/// let tagger = Tagger {
///     network: model!(embed(width = 32) >> bilstm(hidden = 16) >> softmax).initialize(&x, &tags)?,
/// };
/// assert_eq!(tagger.network.predict(x).data().view().shape(), &[3, 3]);
/// # Ok::<(), weft::Error>(())
/// ```
pub use weft_macros::model_type;

/// Derives [`Params`](trait@Params) for a struct of parameters ([`Param`]) and sub-layers (any
/// type implementing `Params`): the walk that names every parameter, which optimizers, gradient
/// clearing and saving use, and the architecture signature. Write [`Model`] (`begin_update`
/// and `predict`) and the layer trains, saves and loads like a built-in one; check its
/// gradients with [`gradcheck()`].
///
/// ```
/// use weft::{Const, Param, Params, layers::Linear};
///
/// #[derive(Params)]
/// #[weft(kind = "scaled")]
/// struct ScaledLinear {
///     linear: Linear<Const<4>, Const<2>>,
///     #[weft(rename = "s")]
///     scale: Param,
///     #[weft(attr)]
///     clip: f32,
///     #[weft(skip)]
///     calls: std::sync::atomic::AtomicUsize,
/// }
///
/// let make = || ScaledLinear {
///     linear: Linear::new(Const::<4>, Const::<2>),
///     scale: Param::new(&[2], vec![1.0, 2.0]),
///     clip: 5.0,
///     calls: Default::default(),
/// };
/// let layer = make();
/// assert_eq!(
///     layer.param_names(),
///     ["0.scaled.linear.0.linear.W", "0.scaled.linear.0.linear.b", "0.scaled.s"],
/// );
/// assert_eq!(
///     layer.signature().to_string(),
///     "0.scaled clip=5\n0.scaled.linear.0.linear n_in=4 n_out=2\n",
/// );
/// let mut copy = make();
/// copy.from_bytes(&layer.to_bytes()?)?;
/// assert_eq!(copy.to_bytes()?, layer.to_bytes()?);
/// # Ok::<(), weft::Error>(())
/// ```
///
/// | attribute | on | effect |
/// |---|---|---|
/// | `#[weft(kind = "name")]` | the struct | the layer's kind in paths; by default the struct's name in snake_case (`ScaledLinear`: `scaled_linear`) |
/// | `#[weft(rename = "name")]` | a field | the field's name in paths and in the signature, instead of its identifier |
/// | `#[weft(skip)]` | a field | left out of the walk: caches, random generators, `PhantomData` |
/// | `#[weft(attr)]` | a field | its value, by `Display`, is recorded in the signature: a saved model loads only into a layer with the same value |
///
/// A parameter is saved as `<layer>.<field>`, a sub-layer's parameters under
/// `<layer>.<field>.<position>.<kind>`. Generic structs work: a field whose type names a type
/// parameter gets the bound it needs (`Part`, or `Display` for an `attr`). A field that is
/// neither a parameter nor a layer, a tuple struct or an enum is a compile error at its place.
///
/// The derive is named after the trait it implements, as `#[derive(Debug)]` or serde's
/// `#[derive(Serialize)]` are: `use weft::Params` brings both, and there is no `Layer` trait
/// to look for.
pub use weft_macros::Params;

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
