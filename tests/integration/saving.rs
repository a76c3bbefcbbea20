//! Saving and loading: every layer and combinator round-trips bit for bit, every kind of bad
//! input gets its own error and leaves the model as it was, and the golden files pin the format
//! (files of format version 1 still load). Files on disk are `saving_disk`'s, and corrupted
//! bytes at large `saving_mutations`'.

use std::marker::PhantomData;
use std::path::PathBuf;

use weft::combinators::{add, chain, clones, concat, residual, sentences, with_array};
use weft::layers::{
    Attention, BiLstm, Dropout, Embed, ExpandWindow, HashEmbed, LayerNorm, Linear, Lstm, Maxout,
    MaxoutWindowEncoder, Mish, ReduceMax, ReduceMean, ReduceSum, Relu, Sigmoid, Softmax,
    SparseLinear,
};
use weft::{
    Const as C, Dim, Error, Floats2, Ids, Keys, LoadError, Model, Param, Params, Ragged, Rng,
    Values, Visit, VisitMut,
};

fn bits(y: &impl Values) -> Vec<u32> {
    y.values().iter().map(|v| v.to_bits()).collect()
}

/// Builds two models with `make`, gives the first random weights, loads its bytes into the
/// second, and checks that the second then saves the same bytes and predicts bit for bit what
/// the first does.
fn assert_round_trip<M>(make: impl Fn() -> M, x: M::In)
where
    M: Model,
    M::In: Clone,
    M::Out: Values,
{
    let mut saved = make();
    let mut rng = Rng::new(3);
    saved
        .for_each_param_mut(&mut |_, param| {
            param.value_mut().fill_with(|| rng.uniform(-1.0, 1.0));
        })
        .unwrap();
    let mut loaded = make();
    let bytes = saved.to_bytes().unwrap();
    if saved.param_count() > 0 {
        assert_ne!(loaded.to_bytes().unwrap(), bytes);
    }
    loaded.from_bytes(&bytes).unwrap();
    assert_eq!(loaded.to_bytes().unwrap(), bytes);
    assert_eq!(bits(&loaded.predict(x.clone())), bits(&saved.predict(x)));
}

fn rows() -> Floats2<C<3>> {
    Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
}

fn sequences() -> Ragged<Floats2<C<3>>> {
    let data = Floats2::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [0.2, 0.9, -1.1]]);
    Ragged::new(data, vec![2, 0, 1]).unwrap()
}

#[test]
fn every_layer_round_trips() {
    assert_round_trip(|| Linear::new(C::<3>, C::<2>), rows());
    assert_round_trip(|| Relu::new(C::<3>, 4usize), rows());
    assert_round_trip(|| Mish::new(C::<3>, C::<2>), rows());
    assert_round_trip(|| Softmax::new(C::<3>, C::<2>), rows());
    assert_round_trip(|| Maxout::new(C::<3>, C::<2>, 3), rows());
    assert_round_trip(|| LayerNorm::new(C::<3>), rows());
    assert_round_trip(|| Dropout::<C<3>>::new(0.5), rows());
    assert_round_trip(|| Embed::new(7, C::<3>), Ids(vec![0, 6, 3, 9]));
    assert_round_trip(
        || HashEmbed::new(7, C::<3>, 11),
        Keys::new(vec![5, 1 << 40]),
    );
    let table = Keys::table(2, vec![5, 1 << 40, 7, 9]).unwrap();
    assert_round_trip(
        || HashEmbed::new(7, C::<3>, 11).with_column(1),
        table.clone(),
    );
    let bags = Ragged::new(table, vec![1, 1]).unwrap();
    assert_round_trip(|| SparseLinear::new(50, C::<2>), bags);
    assert_round_trip(|| Sigmoid::new(C::<3>, C::<2>), rows());
    assert_round_trip(|| ExpandWindow::<_, C<9>>::new(C::<3>, 1), sequences());
    assert_round_trip(|| MaxoutWindowEncoder::new(C::<3>, 2, 1, 3), sequences());
    assert_round_trip(|| Lstm::new(C::<3>, C::<2>, 2), sequences());
    assert_round_trip(|| BiLstm::<_, _, C<4>>::new(C::<3>, C::<2>, 2), sequences());
    assert_round_trip(|| Attention::new(C::<3>), sequences());
    assert_round_trip(|| ReduceSum::new(C::<3>), sequences());
    assert_round_trip(|| ReduceMean::new(C::<3>), sequences());
    assert_round_trip(|| ReduceMax::new(C::<3>), sequences());
}

#[test]
fn every_combinator_round_trips() {
    let mish = || Mish::new(C::<3>, C::<3>);
    assert_round_trip(|| chain(mish(), Linear::new(C::<3>, C::<2>)), rows());
    assert_round_trip(
        || concat::<_, _, _, _, C<5>>(mish(), Relu::new(C::<3>, C::<2>)),
        rows(),
    );
    assert_round_trip(|| add(mish(), Linear::new(C::<3>, C::<3>)), rows());
    assert_round_trip(|| clones(3, mish), rows());
    assert_round_trip(|| residual(mish()), rows());
    assert_round_trip(|| with_array(mish()), sequences());
    let documents = Ragged::new(sequences(), vec![1, 2]).unwrap();
    let sentence = || chain(Lstm::new(C::<3>, C::<2>, 1), Attention::new(C::<2>));
    assert_round_trip(|| sentences(sentence()), documents);
    assert_round_trip(|| chain(mish(), mish()).boxed(), rows());
}

/// A hash embedding's column is part of the architecture: a table trained on another column
/// of keys is refused, not read.
#[test]
fn a_hash_embedding_of_another_column_is_refused() {
    let saved = HashEmbed::new(7, C::<3>, 11).with_column(1);
    let mut other = HashEmbed::new(7, C::<3>, 11);
    let err = other.from_bytes(&saved.to_bytes().unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot load the model: the architecture differs at layer 0.hash_embed: \
         column = 1 in the file, no column in the model"
    );
}

#[test]
fn the_bytes_do_not_depend_on_how_chains_nest() {
    let layer = || Linear::new(C::<2>, C::<2>);
    let left = chain(chain(layer(), layer()), layer());
    let mut right = chain(layer(), chain(layer(), layer()));
    let bytes = left.to_bytes().unwrap();
    right.from_bytes(&bytes).unwrap();
    assert_eq!(right.to_bytes().unwrap(), bytes);
}

/// Every parameter of `model` set to a value that depends only on its position.
fn fix_weights(model: &mut impl Params) {
    let mut k = 0;
    model
        .for_each_param_mut(&mut |_, param| {
            for v in param.value_mut() {
                k += 1;
                *v = (k * 7 % 17) as f32 / 16.0 - 0.5;
            }
        })
        .unwrap();
}

/// A small network of most layer kinds, attributes included, freshly initialized.
pub(crate) fn golden_network() -> impl Model<In = Ragged<Keys>, Out = Floats2<usize>> {
    chain(
        with_array(HashEmbed::new(5, C::<4>, 7)),
        chain(
            BiLstm::<_, _, C<4>>::new(C::<4>, C::<2>, 1),
            chain(
                Attention::new(C::<4>),
                chain(
                    Dropout::new(0.25),
                    chain(Maxout::new(C::<4>, C::<3>, 2), Softmax::new(C::<3>, 2usize)),
                ),
            ),
        ),
    )
}

/// [`golden_network`] with fixed weights.
fn golden_model() -> impl Model<In = Ragged<Keys>, Out = Floats2<usize>> {
    let mut model = golden_network();
    fix_weights(&mut model);
    model
}

/// A file in `tests/integration/golden/`.
fn golden_path(name: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "tests/integration/golden", name]
        .iter()
        .collect()
}

/// The saved form of `golden_model` is pinned by a file. After a deliberate format change
/// (with a new format version), regenerate it with
/// `WEFT_BLESS=1 cargo test --test integration golden` and commit the new file.
#[test]
fn the_saved_form_matches_the_golden_file() {
    let path = golden_path("small.weft");
    let bytes = golden_model().to_bytes().unwrap();
    if std::env::var_os("WEFT_BLESS").is_some() {
        std::fs::write(&path, &bytes).unwrap();
    }
    let golden = std::fs::read(&path).unwrap();
    assert!(
        bytes == golden,
        "the saved form changed: {} bytes, the golden file has {}; see docs/format.md",
        bytes.len(),
        golden.len()
    );
    let mut loaded = golden_network();
    loaded.from_bytes(&golden).unwrap();
    let x = Ragged::new(Keys::new(vec![3, 1, 4, 1, 5]), vec![3, 2]).unwrap();
    assert_eq!(
        bits(&loaded.predict(x.clone())),
        bits(&golden_model().predict(x))
    );
}

/// `y = x`, a layer of the user's own whose `Params` walk nothing, as a layer without
/// parameters may.
pub(crate) struct Identity<W>(PhantomData<fn() -> W>);

impl<W> Params for Identity<W> {
    fn visit(&self, _: &mut Visit<'_>) {}
    fn visit_mut(&mut self, _: &mut VisitMut<'_>) {}
}

impl<W: Dim> Model for Identity<W> {
    type In = Floats2<W>;
    type Out = Floats2<W>;

    fn begin_update<'a>(
        &'a self,
        x: Floats2<W>,
    ) -> (
        Floats2<W>,
        impl FnOnce(Floats2<W>) -> Floats2<W> + Send + 'a,
    ) {
        (x, |d_y| d_y)
    }

    fn predict(&self, x: Floats2<W>) -> Floats2<W> {
        x
    }
}

/// Nested concatenations and sums, a residual, a boxed model and a layer that walks nothing:
/// what format version 1 recorded otherwise than version 2 does.
pub(crate) fn combinators_network() -> impl Model<In = Floats2<C<2>>, Out = Floats2<C<2>>> {
    let narrow = || Linear::new(C::<2>, C::<2>);
    let wide = || Linear::new(C::<6>, C::<2>);
    chain(
        concat::<_, _, _, _, C<6>>(concat::<_, _, _, _, C<4>>(narrow(), narrow()), narrow()),
        chain(
            Identity(PhantomData),
            chain(
                add(add(wide(), wide()), wide()),
                chain(residual(narrow()).boxed(), Dropout::new(0.5)),
            ),
        ),
    )
}

/// Files of format version 1, saved before there was a checksum, still load: the golden
/// model's, and one of [`combinators_network`], saved by the build before version 2.
#[test]
fn files_of_version_1_still_load() {
    // Saved before HashEmbed hashed as Thinc, with no `hash`: refused, its rows would mean other
    // keys (docs/format.md). Given the `hash` of this build (a version 1 file has no checksum),
    // it loads.
    let bytes = std::fs::read(golden_path("v1/small.weft")).unwrap();
    let (_, text) = load_error(&mut golden_network(), &bytes);
    assert_eq!(
        text,
        "cannot load the model: the architecture differs at layer 0.hash_embed: \
         no hash in the file, hash = murmurhash3 in the model"
    );
    let seed = b"\xa4seed\xa17\xa5width";
    let hashed = [b"\x83\xa4hash\xabmurmurhash3".as_slice(), seed].concat();
    let bytes = patch(&bytes, &[b"\x82".as_slice(), seed].concat(), &hashed);

    // Saved when the LSTM had one bias `b`: it loads as `b_ih`, with `b_hh` zero, and the model
    // predicts as it did when HashEmbed first took Thinc's rows (the build that wrote the file,
    // be8e2db, predicted 0.41546506, 0.58453494, 0.4126018, 0.58739823 from other rows).
    let mut loaded = golden_network();
    loaded.from_bytes(&bytes).unwrap();
    let x = Ragged::new(Keys::new(vec![3, 1, 4, 1, 5, 9]), vec![4, 2]).unwrap();
    let expected = [0.40090546, 0.5990945, 0.41454452, 0.58545554];
    let predicted = loaded.predict(x);
    for (p, e) in predicted.view().iter().zip(expected) {
        assert!((p - e).abs() < 1e-6, "{:?}", predicted.view());
    }
    let mut b_hh = Vec::new();
    loaded.for_each_param(&mut |path, param| {
        if path.ends_with(".b_hh") {
            b_hh.extend_from_slice(param.value());
        }
    });
    assert!(
        b_hh.len() == 16 && b_hh.iter().all(|&v| v == 0.0),
        "{b_hh:?}"
    );

    // From the file: its signature, longer than version 2's, fits the bound on what is read.
    let mut loaded = combinators_network();
    loaded
        .from_disk(golden_path("v1/combinators.weft"))
        .unwrap();
    let mut saved = combinators_network();
    fix_weights(&mut saved);
    assert_eq!(loaded.to_bytes().unwrap(), saved.to_bytes().unwrap());
}

/// The error of loading `bytes` into `model`, after checking that the model did not change.
fn load_error(model: &mut impl Params, bytes: &[u8]) -> (LoadError, String) {
    let before = model.to_bytes().unwrap();
    let error = model.from_bytes(bytes).unwrap_err();
    assert_eq!(
        model.to_bytes().unwrap(),
        before,
        "a failed load changed the model"
    );
    let text = error.to_string();
    match error {
        Error::Load { path: None, error } => (error, text),
        other => panic!("not a load error: {other:?}"),
    }
}

pub(crate) fn linear() -> Linear<C<2>, C<2>> {
    Linear::new(C::<2>, C::<2>)
}

/// Replaces the one occurrence of `from` in `bytes` by `to`.
fn patch(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at: Vec<usize> = (0..bytes.len())
        .filter(|&i| bytes[i..].starts_with(from))
        .collect();
    assert_eq!(at.len(), 1, "{from:?} should occur once");
    let mut patched = bytes.to_vec();
    patched.splice(at[0]..at[0] + from.len(), to.iter().copied());
    patched
}

#[test]
fn bytes_that_are_not_a_model_are_malformed() {
    let bytes = linear().to_bytes().unwrap();
    let n = bytes.len();
    let cases: [(&[u8], String); 4] = [
        (b"", "there are no bytes".into()),
        (
            b"PK\x03\x04",
            "the bytes do not begin with a map of format and version".into(),
        ),
        (
            &bytes[..n - 1],
            format!("truncated: the bytes end at {}, inside the model", n - 1),
        ),
        (
            &[&bytes[..], b"\0"].concat(),
            format!("the model ends at byte {n} of {}", n + 1),
        ),
    ];
    for (input, expected) in cases {
        let (error, text) = load_error(&mut linear(), input);
        assert!(matches!(error, LoadError::Malformed { .. }));
        assert_eq!(
            text,
            format!("cannot load the model: not a weft model: {expected}")
        );
    }
}

#[test]
fn another_format_is_malformed() {
    let bytes = patch(&linear().to_bytes().unwrap(), b"\xa4weft", b"\xa4onnx");
    let (_, text) = load_error(&mut linear(), &bytes);
    assert_eq!(
        text,
        "cannot load the model: not a weft model: the format field is \"onnx\", not \"weft\""
    );
}

#[test]
fn another_version_is_refused() {
    let bytes = patch(
        &linear().to_bytes().unwrap(),
        b"\xa7version\x02",
        b"\xa7version\x03",
    );
    let (error, text) = load_error(&mut linear(), &bytes);
    assert_eq!(
        error,
        LoadError::Version {
            found: 3,
            supported: 2
        }
    );
    assert_eq!(
        text,
        "cannot load the model: format version 3 is not supported (this build reads versions 1 to 2)"
    );
}

#[test]
fn an_attribute_named_twice_is_refused() {
    // `{n_in: "2", n_out: "2"}` becomes `{n_in: "7", n_in: "2", n_out: "2"}`, whose last value
    // of n_in is the model's.
    let bytes = patch(
        &linear().to_bytes().unwrap(),
        b"\x82\xa4n_in",
        b"\x83\xa4n_in\xa17\xa4n_in",
    );
    let (error, text) = load_error(&mut linear(), &bytes);
    assert!(matches!(error, LoadError::Malformed { .. }));
    assert_eq!(
        text,
        "cannot load the model: not a weft model: layer 0.linear has attribute n_in twice"
    );
}

#[test]
fn another_architecture_names_the_layer_and_the_difference() {
    let relu = || Relu::new(C::<2>, C::<2>);
    let (error, text) = load_error(&mut relu(), &linear().to_bytes().unwrap());
    assert_eq!(
        error,
        LoadError::Architecture {
            layer: "0".into(),
            file: "0.linear".into(),
            model: "0.relu".into()
        }
    );
    assert_eq!(
        text,
        "cannot load the model: the architecture differs at layer 0: \
         0.linear in the file, 0.relu in the model"
    );

    let hashed = |seed| chain(HashEmbed::new(9, C::<2>, seed), linear());
    let (_, text) = load_error(&mut hashed(18), &hashed(17).to_bytes().unwrap());
    assert_eq!(
        text,
        "cannot load the model: the architecture differs at layer 0.hash_embed: \
         seed = 17 in the file, seed = 18 in the model"
    );

    let deeper = chain(linear(), Dropout::new(0.1));
    let (_, text) = load_error(&mut linear(), &deeper.to_bytes().unwrap());
    assert_eq!(
        text,
        "cannot load the model: the architecture differs at layer 1: \
         1.dropout in the file, no layer in the model"
    );
    let (_, text) = load_error(
        &mut chain(linear(), linear()),
        &linear().to_bytes().unwrap(),
    );
    assert_eq!(
        text,
        "cannot load the model: the architecture differs at layer 1: \
         no layer in the file, 1.linear in the model"
    );
}

#[test]
fn the_same_layers_put_together_another_way_do_not_load() {
    // Same layers, same shapes, same parameter paths: only the combinators differ.
    let plain = chain(linear(), linear());
    let (_, text) = load_error(
        &mut chain(linear(), residual(linear())),
        &plain.to_bytes().unwrap(),
    );
    assert_eq!(
        text,
        "cannot load the model: the architecture differs at layer 1: \
         1.linear in the file, residual in the model"
    );
    let summed = add(linear(), linear());
    let (_, text) = load_error(&mut chain(linear(), linear()), &summed.to_bytes().unwrap());
    assert_eq!(
        text,
        "cannot load the model: the architecture differs at layer 0: \
         add in the file, 0.linear in the model"
    );
    // Where a concatenation's branches start is part of the architecture.
    let one_then_two = concat::<_, _, _, _, C<4>>(linear(), chain(linear(), linear()));
    let mut two_then_one = concat::<_, _, _, _, C<4>>(chain(linear(), linear()), linear());
    let (_, text) = load_error(&mut two_then_one, &one_then_two.to_bytes().unwrap());
    assert_eq!(
        text,
        "cannot load the model: the architecture differs at layer concat: \
         branches = 1 2 in the file, branches = 2 1 in the model"
    );
    assert_eq!(
        one_then_two.signature().to_string(),
        "concat branches=1 2\n0.linear n_in=2 n_out=2\n1.linear n_in=2 n_out=2\n\
         2.linear n_in=2 n_out=2\n"
    );
}

/// `(a | b) | c` and `a | (b | c)` are one network, and so are `(a + b) + c` and `a + (b + c)`:
/// one signature, and each loads the other's file.
#[test]
fn nested_concatenations_and_sums_are_one_architecture() {
    let left = concat::<_, _, _, _, C<6>>(concat::<_, _, _, _, C<4>>(linear(), linear()), linear());
    let mut right =
        concat::<_, _, _, _, C<6>>(linear(), concat::<_, _, _, _, C<4>>(linear(), linear()));
    assert_eq!(
        left.signature().to_string(),
        "concat branches=1 1 1\n0.linear n_in=2 n_out=2\n1.linear n_in=2 n_out=2\n\
         2.linear n_in=2 n_out=2\n"
    );
    assert_eq!(right.signature(), left.signature());
    right.from_bytes(&left.to_bytes().unwrap()).unwrap();
    assert_eq!(right.to_bytes().unwrap(), left.to_bytes().unwrap());

    let left = add(add(linear(), linear()), linear());
    let mut right = add(linear(), add(linear(), linear()));
    assert_eq!(right.signature(), left.signature());
    right.from_bytes(&left.to_bytes().unwrap()).unwrap();
    assert_eq!(right.to_bytes().unwrap(), left.to_bytes().unwrap());

    // A branch that holds more than the inner concatenation keeps it apart.
    let apart = concat::<_, _, _, _, C<4>>(
        chain(
            concat::<_, _, _, _, C<4>>(linear(), linear()),
            Linear::new(C::<4>, C::<2>),
        ),
        linear(),
    );
    assert_eq!(
        apart.signature().to_string(),
        "concat branches=4 1\nconcat branches=1 1\n0.linear n_in=2 n_out=2\n\
         1.linear n_in=2 n_out=2\n2.linear n_in=4 n_out=2\n3.linear n_in=2 n_out=2\n"
    );
}

/// A derived layer holding any layer.
#[derive(Params)]
struct Holder<L> {
    inner: L,
}

/// A layer whose `Params` walk nothing (a user's layer without parameters) has its place in the
/// signature, and the parameters keep their paths: `linear >> identity >> linear` and
/// `linear >> linear` refuse each other's files.
#[test]
fn a_layer_that_walks_nothing_has_its_place_in_the_signature() {
    let identity = || Identity::<C<2>>(PhantomData);
    let with = chain(linear(), chain(identity(), linear()));
    let without = chain(linear(), linear());
    assert_eq!(with.param_names(), without.param_names());
    assert_eq!(
        with.signature().to_string(),
        "0.linear n_in=2 n_out=2\nunnamed\n1.linear n_in=2 n_out=2\n"
    );
    let (_, text) = load_error(&mut chain(linear(), linear()), &with.to_bytes().unwrap());
    assert_eq!(
        text,
        "cannot load the model: the architecture differs at layer 1: \
         unnamed in the file, 1.linear in the model"
    );
    let mut with = chain(linear(), chain(identity(), linear()));
    let (_, text) = load_error(&mut with, &without.to_bytes().unwrap());
    assert_eq!(
        text,
        "cannot load the model: the architecture differs at layer 1: \
         1.linear in the file, unnamed in the model"
    );

    // Which branch of a concatenation holds it is part of the architecture.
    let first = concat::<_, _, _, _, C<4>>(chain(linear(), identity()), linear());
    let second = concat::<_, _, _, _, C<4>>(linear(), chain(identity(), linear()));
    assert_eq!(
        first.signature().to_string(),
        "concat branches=2 1\n0.linear n_in=2 n_out=2\nunnamed\n1.linear n_in=2 n_out=2\n"
    );
    assert_ne!(first.signature(), second.signature());
    // So is a field of a derived layer, and a copy of `clones`.
    let held = Holder { inner: identity() };
    assert_eq!(
        held.signature().to_string(),
        "0.holder\n0.holder.inner.unnamed\n"
    );
    assert_eq!(
        clones(2, identity).signature().to_string(),
        "unnamed\nunnamed\n"
    );
}

/// A hand-written layer whose bias is optional but not in its signature: the files of the two
/// variants differ in parameters only.
struct MaybeBias {
    w: Param,
    b: Option<Param>,
}

impl MaybeBias {
    fn new(bias: bool) -> Self {
        let mut rng = Rng::new(bias as u64);
        MaybeBias {
            w: Param::new(&[2], rng.uniform_vec(2, 1.0)),
            b: bias.then(|| Param::new(&[1], rng.uniform_vec(1, 1.0))),
        }
    }
}

impl Params for MaybeBias {
    fn visit(&self, walk: &mut Visit<'_>) {
        walk.layer("maybe_bias", |walk| {
            walk.param("W", &self.w);
            self.b.iter().for_each(|b| walk.param("b", b));
        });
    }
    fn visit_mut(&mut self, walk: &mut VisitMut<'_>) {
        walk.layer("maybe_bias", |walk| {
            walk.param("W", &mut self.w);
            self.b.iter_mut().for_each(|b| walk.param("b", b));
        });
    }
}

#[test]
fn a_missing_parameter_is_named() {
    let bytes = MaybeBias::new(false).to_bytes().unwrap();
    let (error, text) = load_error(&mut MaybeBias::new(true), &bytes);
    assert_eq!(
        error,
        LoadError::MissingParam {
            path: "0.maybe_bias.b".into()
        }
    );
    assert_eq!(
        text,
        "cannot load the model: parameter 0.maybe_bias.b is missing from the file"
    );
}

#[test]
fn an_unexpected_parameter_is_named() {
    let bytes = MaybeBias::new(true).to_bytes().unwrap();
    let (_, text) = load_error(&mut MaybeBias::new(false), &bytes);
    assert_eq!(
        text,
        "cannot load the model: the file has parameter 0.maybe_bias.b, which the model does not have"
    );
}

/// The places of the values in saved `bytes`: the contents of each bin8 after a `data` key.
pub(crate) fn value_ranges(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    (bytes.windows(6).enumerate())
        .filter(|(_, w)| w[..5] == *b"\xa4data" && w[5] == 0xc4)
        .map(|(at, _)| at + 7..at + 7 + bytes[at + 6] as usize)
        .collect()
}

/// Every single bit flipped in turn: none loads, and in a value the checksum refuses it.
#[test]
fn a_flipped_bit_is_refused() {
    let model = chain(linear(), linear());
    let bytes = model.to_bytes().unwrap();
    let values = value_ranges(&bytes);
    assert_eq!(values.iter().map(|r| r.len()).sum::<usize>(), 48);
    for at in 0..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.clone();
            flipped[at] ^= 1 << bit;
            let (error, text) = load_error(&mut chain(linear(), linear()), &flipped);
            if values.iter().any(|range| range.contains(&at)) {
                assert!(
                    matches!(error, LoadError::Damaged { .. }),
                    "{at}.{bit}: {text}"
                );
            }
        }
    }
}

#[test]
fn swapped_paths_are_refused() {
    let model = chain(linear(), linear());
    let bytes = model.to_bytes().unwrap();
    let bytes = patch(&bytes, b"0.linear.W", b"1.linear.X");
    let bytes = patch(&bytes, b"1.linear.W", b"0.linear.W");
    let bytes = patch(&bytes, b"1.linear.X", b"1.linear.W");
    let (error, text) = load_error(&mut chain(linear(), linear()), &bytes);
    assert!(matches!(error, LoadError::Damaged { .. }));
    assert!(
        text.starts_with(
            "cannot load the model: the saved model is damaged: \
             its checksum does not match its contents (0x"
        ),
        "{text}"
    );
}

/// `bytes` of format version 2 as version 1 wrote them: without the checksum, their last field.
/// What the checksum would refuse first reaches the checks that follow it in such a file.
fn version_1(bytes: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(9)
        .rposition(|w| w == b"\xa8checksum")
        .unwrap();
    let mut old = patch(&bytes[..at], b"\xa7version\x02", b"\xa7version\x01");
    assert_eq!(old[0], 0x85, "a map of five fields");
    old[0] = 0x84;
    old
}

#[test]
fn another_element_type_is_refused() {
    let bytes = version_1(&linear().to_bytes().unwrap());
    let f32_tags = bytes.windows(4).filter(|w| w == b"\xa3f32").count();
    assert_eq!(f32_tags, 2);
    let at = bytes.windows(4).rposition(|w| w == b"\xa3f32").unwrap();
    let mut bytes = bytes;
    bytes[at + 2..at + 4].copy_from_slice(b"16");
    let (_, text) = load_error(&mut linear(), &bytes);
    assert_eq!(
        text,
        "cannot load the model: parameter 0.linear.b holds f16 values; only f32 is supported"
    );
}

#[test]
fn another_table_size_is_a_shape_mismatch() {
    let bytes = Embed::new(10, C::<4>).to_bytes().unwrap();
    let (error, text) = load_error(&mut Embed::new(12, C::<4>), &bytes);
    assert_eq!(
        error,
        LoadError::Shape {
            path: "0.embed.E".into(),
            expected: vec![12, 4],
            found: vec![10, 4]
        }
    );
    assert_eq!(
        text,
        "cannot load the model: parameter 0.embed.E has shape [10, 4] in the file, \
         the model expects [12, 4]"
    );
}

/// The bytes of `linear()`'s last parameter, `b`, are the file's last 8, after a bin8 header.
fn bias_data_start(bytes: &[u8]) -> usize {
    let start = bytes.len() - 8;
    assert_eq!(
        bytes[start - 2..start],
        [0xc4, 8],
        "the layout of the format changed"
    );
    start
}

#[test]
fn short_data_is_a_length_mismatch() {
    let mut bytes = version_1(&linear().to_bytes().unwrap());
    let start = bias_data_start(&bytes);
    bytes[start - 1] = 4;
    bytes.truncate(start + 4);
    let (error, text) = load_error(&mut linear(), &bytes);
    assert!(matches!(
        error,
        LoadError::DataLength {
            expected: 8,
            found: 4,
            ..
        }
    ));
    assert_eq!(
        text,
        "cannot load the model: parameter 0.linear.b has 4 bytes of data, its shape needs 8"
    );
}

#[test]
fn a_non_finite_value_is_refused_with_its_position() {
    let mut bytes = version_1(&linear().to_bytes().unwrap());
    let start = bias_data_start(&bytes);
    bytes[start + 4..].copy_from_slice(&f32::NAN.to_le_bytes());
    let (_, text) = load_error(&mut linear(), &bytes);
    assert_eq!(
        text,
        "cannot load the model: parameter 0.linear.b holds NaN at index 1"
    );
}

#[test]
fn a_non_finite_model_is_not_saved() {
    let mut model = linear();
    model
        .for_each_param_mut(&mut |path, param| {
            if path.ends_with(".b") {
                param.value_mut()[1] = f32::INFINITY;
            }
        })
        .unwrap();
    let error = model.to_bytes().unwrap_err();
    assert_eq!(
        error.to_string(),
        "parameter 0.linear.b at index 1 is not finite"
    );
}

/// A fresh folder under the system's temporary one.
pub(crate) fn temp_folder(name: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("weft-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

#[test]
fn disk_round_trip_and_errors_name_the_file() {
    let folder = temp_folder("disk");
    let path = folder.join("model.weft");
    let model = linear();
    model.to_disk(&path).unwrap();
    let mut loaded = linear();
    loaded.from_disk(&path).unwrap();
    assert_eq!(loaded.to_bytes().unwrap(), model.to_bytes().unwrap());

    let error = Relu::new(C::<2>, C::<2>).from_disk(&path).unwrap_err();
    assert!(matches!(error, Error::Load { path: Some(_), .. }));
    assert!(
        error.to_string().starts_with(&format!(
            "cannot load {}: the architecture differs at layer 0",
            path.display()
        )),
        "{error}"
    );

    let missing = folder.join("missing.weft");
    let error = loaded.from_disk(&missing).unwrap_err();
    assert!(matches!(error, Error::Io { .. }));
    assert_eq!(
        error.to_string(),
        format!(
            "{}: No such file or directory (os error 2)",
            missing.display()
        )
    );
    let error = model
        .to_disk(folder.join("no/such/folder.weft"))
        .unwrap_err();
    assert!(
        error.to_string().contains("no/such/folder.weft: "),
        "{error}"
    );
    std::fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn a_failed_save_leaves_the_old_file_and_no_temporary_one() {
    let folder = temp_folder("failed-save");
    let path = folder.join("model.weft");
    let model = linear();
    model.to_disk(&path).unwrap();
    let saved = std::fs::read(&path).unwrap();

    // A folder stands where the file should go, and is not replaced.
    let blocked = folder.join("blocked.weft");
    std::fs::create_dir(&blocked).unwrap();
    assert!(matches!(model.to_disk(&blocked), Err(Error::Io { .. })));

    // The model cannot be saved: nothing is written.
    let mut broken = linear();
    broken
        .for_each_param_mut(&mut |_, p| p.value_mut()[0] = f32::NAN)
        .unwrap();
    assert!(matches!(
        broken.to_disk(&path),
        Err(Error::NonFinite { .. })
    ));

    assert_eq!(std::fs::read(&path).unwrap(), saved);
    let mut names: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["blocked.weft", "model.weft"]);
    std::fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn hostile_lengths_and_nesting_are_errors() {
    let cases: [Vec<u8>; 4] = [
        // An array of 2^32 - 1 elements, a bin and a string of 4 GiB, in 5 bytes each.
        vec![0xdd, 0xff, 0xff, 0xff, 0xff],
        [&b"\x81\xa6format"[..], &[0xc6, 0xff, 0xff, 0xff, 0xff]].concat(),
        [&b"\x81\xa6format"[..], &[0xdb, 0xff, 0xff, 0xff, 0xff]].concat(),
        // Arrays nested a million deep.
        vec![0x91; 1 << 20],
    ];
    for bytes in cases {
        let (error, _) = load_error(&mut linear(), &bytes);
        assert!(matches!(error, LoadError::Malformed { .. }));
    }
}

#[test]
fn a_textcat_model_saves_its_values_with_little_overhead() {
    let model = chain(
        with_array(Embed::new(18773, C::<64>)),
        chain(
            BiLstm::<_, _, C<128>>::new(C::<64>, C::<64>, 1),
            chain(Attention::new(C::<128>), Softmax::new(C::<128>, 2usize)),
        ),
    );
    let bytes = model.to_bytes().unwrap();
    let overhead = bytes.len() - 4 * model.param_count();
    assert!(overhead < 1024, "{overhead} bytes of overhead");
}
