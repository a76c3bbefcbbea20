//! The loaded taggers against spaCy's own scores: the fixtures of `bench/spacy_tagger_reference.py`
//! (tiny pipelines, in CI), and with `WEFT_SPACY_REFERENCE` its full references (a pipeline
//! trained with spaCy's CLI, and en_core_web_sm).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::*;
use crate::error::Error;
use crate::model::Model;
use crate::text::Token;

/// The fixtures' folder.
fn fixture(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/spacy_tagger")
        .join(kind)
}

/// One text of a reference file: its words and spaces, spaCy's scores and tags.
struct Reference {
    words: Vec<String>,
    spaces: Vec<bool>,
    scores: Vec<Vec<f32>>,
    tags: Vec<String>,
}

/// The labels and texts of a reference file (`bench/spacy_tagger_reference.py`).
fn read_reference(path: &Path) -> (Value, Vec<Reference>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{path:?}: {err}"));
    let mut lines = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap());
    let header = lines.next().expect("a header line");
    let strings = |v: &Value| -> Vec<String> {
        let items = v.as_array().unwrap().iter();
        items.map(|s| s.as_str().unwrap().to_string()).collect()
    };
    let texts = lines
        .map(|line| Reference {
            words: strings(&line["words"]),
            spaces: line["spaces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_bool().unwrap())
                .collect(),
            scores: line["scores"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    let row = row.as_array().unwrap().iter();
                    row.map(|x| x.as_f64().unwrap() as f32).collect()
                })
                .collect(),
            tags: strings(&line["tags"]),
        })
        .collect();
    (header, texts)
}

/// How weft's tags and scores compare with spaCy's over a reference.
#[derive(Debug, Default)]
struct Agreement {
    tokens: usize,
    same_tag: usize,
    /// Tokens of another tag whose spaCy scores of the top two are within 1e-4.
    near_ties: usize,
    max_difference: f32,
}

impl Agreement {
    fn fraction(&self) -> f64 {
        self.same_tag as f64 / self.tokens.max(1) as f64
    }
}

/// Tags every text of the reference, in batches, and compares.
fn agreement(tagger: &Tagger, header: &Value, texts: &[Reference]) -> Agreement {
    let labels: Vec<&str> = header["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(tagger.labels(), labels);
    let mut agreement = Agreement::default();
    for batch in texts.chunks(64) {
        let tokens: Vec<Vec<Token>> = batch
            .iter()
            .map(|text| {
                let tokens = text.words.iter().zip(&text.spaces);
                tokens
                    .map(|(text, &space_after)| Token { text, space_after })
                    .collect()
            })
            .collect();
        let sentences: Vec<&[Token]> = tokens.iter().map(Vec::as_slice).collect();
        let tagged = tagger.tag(&sentences).unwrap();
        for (ours, theirs) in tagged.iter().zip(batch) {
            assert_eq!(ours.scores.nrows(), theirs.words.len());
            for ((tag, scores), (their_tag, their_scores)) in ours
                .tags
                .iter()
                .zip(ours.scores.rows())
                .zip(theirs.tags.iter().zip(&theirs.scores))
            {
                agreement.tokens += 1;
                if tag == their_tag {
                    agreement.same_tag += 1;
                } else {
                    let mut sorted = their_scores.clone();
                    sorted.sort_by(|a, b| b.total_cmp(a));
                    if sorted[0] - sorted[1] <= 1e-4 {
                        agreement.near_ties += 1;
                    }
                }
                for (a, b) in scores.iter().zip(their_scores) {
                    agreement.max_difference = agreement.max_difference.max((a - b).abs());
                }
            }
        }
    }
    agreement
}

#[test]
fn the_fixtures_give_spacys_scores_and_tags() {
    for kind in ["listener", "inline", "vectors"] {
        let tagger = Tagger::load(fixture(kind)).unwrap();
        assert_eq!(
            tagger.architecture().listens_to.as_deref(),
            (kind == "listener").then_some("tok2vec")
        );
        assert_eq!(
            tagger.architecture().tok2vec.vectors.is_some(),
            kind == "vectors"
        );
        let (header, texts) = read_reference(&fixture(kind).join("reference.jsonl"));
        let agreement = agreement(&tagger, &header, &texts);
        assert!(agreement.tokens >= 70, "{kind}: {agreement:?}");
        assert_eq!(
            agreement.same_tag, agreement.tokens,
            "{kind}: {agreement:?}"
        );
        assert!(agreement.max_difference < 1e-4, "{kind}: {agreement:?}");
    }
}

#[test]
fn the_training_model_is_the_tagger_ending_in_softmax() {
    let tagger = Tagger::load(fixture("listener")).unwrap();
    let training = tagger.training_model().unwrap();
    let tokens = [
        Token {
            text: "Ali",
            space_after: true,
        },
        Token {
            text: "geldi",
            space_after: false,
        },
    ];
    let keys = tagger.keys(&[&tokens]).unwrap();
    let scores = tagger
        .model()
        .predict(keys.clone())
        .into_parts()
        .0
        .into_array();
    let probabilities = training.predict(keys).into_parts().0.into_array();
    for (scores, probabilities) in scores.rows().into_iter().zip(probabilities.rows()) {
        let total: f32 = scores.iter().map(|s| s.exp()).sum();
        for (s, p) in scores.iter().zip(probabilities) {
            assert!((s.exp() / total - p).abs() < 1e-5, "{s} {p}");
        }
    }
}

/// A copy of the `listener` fixture in a folder of its own, changed by `change`.
fn changed_fixture(name: &str, change: impl FnOnce(&Path)) -> PathBuf {
    fixture_copy(name, "listener", change)
}

/// A copy of the fixture `kind` in a folder of its own, changed by `change`.
fn fixture_copy(name: &str, kind: &str, change: impl FnOnce(&Path)) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("weft-spacy-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_folder(&fixture(kind), &dir);
    change(&dir);
    dir
}

/// Copies the files of `from`, and of its folders, into `to`.
fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        match path.is_dir() {
            true => copy_folder(&path, &target),
            false => drop(std::fs::copy(&path, &target).unwrap()),
        }
    }
}

/// The error loading the fixture changed by `change` gives, as text.
fn load_error(name: &str, change: impl FnOnce(&Path)) -> (Error, PathBuf) {
    let dir = changed_fixture(name, change);
    let err = Tagger::load(&dir).err().expect("the changed fixture loads");
    (err, dir)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{path:?} has no {from:?}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn a_truncated_model_is_an_error_naming_the_file() {
    for cut in [0, 1, 100, 5000] {
        let (err, dir) = load_error(&format!("truncated{cut}"), |dir| {
            let path = dir.join("tok2vec/model");
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..bytes.len().min(cut)]).unwrap();
        });
        let text = err.to_string();
        let file = dir.join("tok2vec/model").display().to_string();
        assert!(matches!(err, Error::Spacy { .. }), "{text}");
        assert!(text.contains(&file) && text.contains("truncated"), "{text}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn an_architecture_weft_does_not_build_is_refused_by_name() {
    let cases = [
        (
            "spacy.MaxoutWindowEncoder.v2",
            "spacy.MishWindowEncoder.v2",
            "the architecture spacy.MishWindowEncoder.v2 is not supported",
        ),
        (
            "spacy.Tagger.v2",
            "spacy.Tagger.v1",
            "the architecture spacy.Tagger.v1 is not supported",
        ),
        (
            "\"SHAPE\"",
            "\"LOWER\"",
            "the attribute LOWER is not supported",
        ),
        (
            "upstream = \"tok2vec\"",
            "upstream = \"other\"",
            "names 0 components of factory `tok2vec`",
        ),
    ];
    for (i, (from, to, expected)) in cases.into_iter().enumerate() {
        let (err, dir) = load_error(&format!("architecture{i}"), |dir| {
            edit(&dir.join("config.cfg"), from, to)
        });
        let text = err.to_string();
        let file = dir.join("config.cfg").display().to_string();
        assert!(text.contains(&file) && text.contains(expected), "{text}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn weights_of_another_shape_than_the_config_says_are_refused() {
    let (err, dir) = load_error("rows", |dir| {
        edit(&dir.join("config.cfg"), "rows = [200", "rows = [300")
    });
    let text = err.to_string();
    assert!(text.contains("tok2vec/model"), "{text}");
    assert!(
        text.contains("has shape [200, 16], not [300, 16]"),
        "{text}"
    );
    std::fs::remove_dir_all(dir).unwrap();

    let (err, dir) = load_error("labels", |dir| {
        edit(&dir.join("tagger/cfg"), "\"ADJ\",", "")
    });
    let text = err.to_string();
    assert!(
        text.contains("tagger/model") && text.contains("softmax"),
        "{text}"
    );
    std::fs::remove_dir_all(dir).unwrap();

    let (err, dir) = load_error("missing", |dir| {
        std::fs::remove_file(dir.join("tok2vec/model")).unwrap()
    });
    assert!(
        matches!(err, Error::Io { ref path, .. } if path.ends_with("tok2vec/model")),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// The agreement with spaCy on the references of `bench/spacy_tagger_reference.py`, in the
/// folder `WEFT_SPACY_REFERENCE` names: the pipelines trained on twt_upos, without and with
/// static vectors (dev split), and en_core_web_sm (2,000 texts of rt_polarity). Asserts the bar of issue 20: at least 99.99%
/// of tokens of the same tag, every other a near-tie of spaCy's, scores within 1e-4.
#[test]
#[ignore = "needs WEFT_SPACY_REFERENCE: the output folder of bench/spacy_tagger_reference.py"]
fn agreement_with_spacy() {
    let folder = std::env::var("WEFT_SPACY_REFERENCE")
        .expect("WEFT_SPACY_REFERENCE: the --out folder of bench/spacy_tagger_reference.py");
    for file in [
        "twt_dev.jsonl",
        "twt_vectors_dev.jsonl",
        "en_core_web_sm.jsonl",
    ] {
        let (header, texts) = read_reference(&Path::new(&folder).join(file));
        let pipeline = header["pipeline"].as_str().unwrap();
        let tagger = Tagger::load(pipeline).unwrap();
        let agreement = agreement(&tagger, &header, &texts);
        println!(
            "{file}: {} texts, {} tokens, same tag {} ({:.4}%), {} other, {} of them near-ties \
             (spaCy's top two within 1e-4), largest score difference {:.2e}",
            texts.len(),
            agreement.tokens,
            agreement.same_tag,
            100.0 * agreement.fraction(),
            agreement.tokens - agreement.same_tag,
            agreement.near_ties,
            agreement.max_difference
        );
        assert!(agreement.fraction() >= 0.9999, "{file}: {agreement:?}");
        assert_eq!(
            agreement.same_tag + agreement.near_ties,
            agreement.tokens,
            "{file}"
        );
        assert!(agreement.max_difference <= 1e-4, "{file}: {agreement:?}");
    }
}

#[test]
fn the_norms_of_the_pipelines_vocabulary_give_the_norm_keys() {
    let dir = changed_fixture("lookups", |dir| {
        // {"lexeme_norm": {string_id("Colour"): "color"}}, as srsly writes it.
        let mut bytes = b"\x81\xablexeme_norm\x81\xcf".to_vec();
        bytes.extend(crate::text::string_id("Colour").to_be_bytes());
        bytes.extend(b"\xa5color");
        std::fs::create_dir_all(dir.join("vocab")).unwrap();
        std::fs::write(dir.join("vocab/lookups.bin"), bytes).unwrap();
    });
    let tagger = Tagger::load(&dir).unwrap();
    assert_eq!(tagger.norms().len(), 1);
    let tokens = [
        Token {
            text: "Colour",
            space_after: true,
        },
        Token {
            text: "Colours",
            space_after: false,
        },
    ];
    let keys = tagger.keys(&[&tokens]).unwrap();
    let norms: Vec<u64> = keys.data().column(0).collect();
    assert_eq!(
        norms,
        [
            crate::text::string_id("color"),
            crate::text::string_id("colours")
        ]
    );
    let others = crate::text::Attr::table(&tagger.architecture().tok2vec.attrs[1..], &tokens);
    for (row, other) in (0..2).zip(others.unwrap().as_slice().chunks(3)) {
        assert_eq!(&keys.data().row(row)[1..], other);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn empty_sentences_and_batches_are_tagged_as_empty() {
    let tagger = Tagger::load(fixture("inline")).unwrap();
    let one = [Token {
        text: "Evet",
        space_after: false,
    }];
    let tagged = tagger.tag(&[&[], &one, &[]]).unwrap();
    let lengths: Vec<usize> = tagged.iter().map(|t| t.tags.len()).collect();
    assert_eq!(lengths, [0, 1, 0]);
    assert_eq!(tagged[0].scores.shape(), [0, tagger.labels().len()]);
    assert!(tagger.tag(&[]).unwrap().is_empty());
}

/// The fixture's table of vectors as `spacy init vectors` read it from text (`vectors.txt`)
/// and wrote it into the vocabulary: the same keys (weft's `string_id` of each word is spaCy's
/// key), rows and values.
#[test]
fn text_vectors_and_spacys_table_of_them_are_the_same() {
    let text = crate::text::Vectors::read(fixture("vectors").join("vectors.txt")).unwrap();
    let spacy = crate::text::Vectors::read(fixture("vectors").join("vocab")).unwrap();
    assert_eq!((spacy.rows(), spacy.dim(), spacy.keys()), (300, 8, 300));
    assert_eq!(text.fingerprint(), spacy.fingerprint());
}

#[test]
fn static_vectors_need_the_pipelines_table_of_a_mode_weft_reads() {
    // A config that says static vectors over a model trained without them.
    let (err, dir) = load_error("no_vectors", |dir| {
        edit(
            &dir.join("config.cfg"),
            "include_static_vectors = false",
            "include_static_vectors = true",
        )
    });
    let text = err.to_string();
    assert!(
        text.contains("tok2vec/model") && text.contains("0 nodes `static_vectors`, 1 expected"),
        "{text}"
    );
    std::fs::remove_dir_all(dir).unwrap();

    let floret = fixture_copy("floret", "vectors", |dir| {
        std::fs::write(dir.join("vocab/vectors.cfg"), r#"{"mode": "floret"}"#).unwrap()
    });
    let err = Tagger::load(&floret).err().unwrap().to_string();
    assert!(
        err.contains("vectors.cfg") && err.contains("`floret`"),
        "{err}"
    );
    std::fs::remove_dir_all(floret).unwrap();

    // A table of another width than the projection spaCy trained: each vector one longer.
    let wider = fixture_copy("wider", "vectors", |dir| {
        let table = crate::text::Vectors::read(dir.join("vocab")).unwrap();
        let (rows, dim) = (table.rows(), table.dim() + 1);
        let header =
            format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {dim}), }}");
        let mut npy = b"\x93NUMPY\x01\x00".to_vec();
        npy.extend((header.len() as u16).to_le_bytes());
        npy.extend(header.as_bytes());
        for row in table.data().rows() {
            npy.extend(row.iter().chain([&0.5]).flat_map(|x| x.to_le_bytes()));
        }
        std::fs::write(dir.join("vocab/vectors"), npy).unwrap();
    });
    let err = Tagger::load(&wider).err().unwrap().to_string();
    assert!(
        err.contains("static_vectors.W [16, 9] cannot take")
            && err.contains("static_vectors` parameter W [16, 8]"),
        "{err}"
    );
    std::fs::remove_dir_all(wider).unwrap();
}
