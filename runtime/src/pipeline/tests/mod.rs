use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::text::Attr;
use crate::training::Evaluation;

mod configs;

/// A fresh folder under the system's temporary one.
fn folder(name: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("weft-pipeline-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&folder);
    fs::create_dir_all(&folder).unwrap();
    folder
}

/// A config of `task` over `train` and `dev` written in `folder`, training `epochs` epochs.
fn config(folder: &Path, task: Task, network: &str, train: &str, dev: &str) -> Config {
    let (train_path, dev_path) = (folder.join("train"), folder.join("dev"));
    fs::write(&train_path, train).unwrap();
    fs::write(&dev_path, dev).unwrap();
    let mut config: Config = Config::starter(task).parse().unwrap();
    config.model.network = network.into();
    config.data.train = train_path;
    config.data.dev = dev_path;
    config.training.epochs = 8;
    config.training.learn_rate = 0.05;
    config.training.batch_size = Setting::Number(2.0);
    config
}

const TEXTS: &str = "pos\tgood fine\nneg\tbad awful\npos\tfine great\nneg\tawful dull\n";

/// Records the evaluations `train` shows.
#[derive(Default)]
struct Seen(Vec<Evaluation>);

impl Progress for Seen {
    fn evaluation(&mut self, evaluation: &Evaluation, log: &[Evaluation]) -> Result<()> {
        self.0.push(evaluation.clone());
        assert_eq!(log.last(), Some(evaluation));
        Ok(())
    }
}

/// Stops a run with an error after `n` evaluations.
struct StopAfter(usize);

impl Progress for StopAfter {
    fn evaluation(&mut self, _: &Evaluation, log: &[Evaluation]) -> Result<()> {
        match log.len() >= self.0 {
            true => Err(Error::Config {
                place: "test".into(),
                message: "stopped".into(),
            }),
            false => Ok(()),
        }
    }
}

/// A run stopped after its second evaluation and resumed from its checkpoint ends with the
/// weights, the log and the pipeline of the run left alone.
#[test]
fn a_resumed_run_ends_as_the_uninterrupted_one() {
    let folder = folder("resume");
    let network = "embed(width = 8) >> bilstm(hidden = 4) >> attention >> softmax";
    let mut config = config(&folder, Task::Textcat, network, TEXTS, TEXTS);
    config.training.epochs = 4;
    config.training.averages = true;
    let whole = train(&config, &folder.join("whole"), &mut ()).unwrap();
    let stopped = train(&config, &folder.join("parts"), &mut StopAfter(2))
        .err()
        .unwrap();
    assert_eq!(stopped.to_string(), "test: stopped");
    let mut seen = Seen::default();
    let resumed = resume(&config, &folder.join("parts"), &mut seen).unwrap();
    // The run stopped as its second evaluation was shown, before its checkpoint: it goes on
    // from the first, and makes the second again (its line in the log is not kept twice).
    let steps_seen: Vec<_> = seen.0.iter().map(|e| e.step).collect();
    let later: Vec<_> = whole.outcome.evaluations[1..]
        .iter()
        .map(|e| e.step)
        .collect();
    assert_eq!(steps_seen, later);
    let (whole_log, parts_log) = (
        read_log(&folder.join("whole/log.jsonl")),
        read_log(&folder.join("parts/log.jsonl")),
    );
    let steps = |log: Vec<Evaluation>| {
        log.iter()
            .map(|e| (e.step, e.train_loss, e.score))
            .collect::<Vec<_>>()
    };
    assert_eq!(steps(parts_log.unwrap()), steps(whole_log.unwrap()));
    let weights = |dir: &str| fs::read(folder.join(dir).join("model-best/model.weft")).unwrap();
    assert_eq!(weights("parts"), weights("whole"));
    let texts = ["good", "awful dull", "fine great bad"];
    assert_eq!(
        resumed.pipeline.predict(&texts).unwrap(),
        whole.pipeline.predict(&texts).unwrap()
    );

    config.training.seed = 7;
    let error = resume(&config, &folder.join("parts"), &mut ())
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("seed"), "{error}");
    fs::remove_dir_all(&folder).unwrap();
}

/// The pipeline `train` keeps is the best evaluation's: loaded from `model-best`, it scores on
/// dev what that evaluation printed, predicts as the returned one, and the log has a line per
/// evaluation.
#[test]
fn the_saved_pipeline_is_the_best_evaluation_and_predicts_from_strings() {
    let folder = folder("textcat");
    let network = "embed(width = 8) >> reduce_mean >> softmax";
    let dev = "pos\tgood\nneg\tdull bad\npos\tunseen great\n";
    let config = config(&folder, Task::Textcat, network, TEXTS, dev);
    let mut seen = Seen::default();
    let out = folder.join("out");
    let trained = train(&config, &out, &mut seen).unwrap();
    let best = trained.outcome.best().unwrap();
    assert_eq!(seen.0, trained.outcome.evaluations);
    let loaded = Pipeline::from_disk(out.join("model-best")).unwrap();
    assert_eq!(
        loaded.evaluate(&config.data.dev).unwrap().accuracy,
        best.score
    );
    let texts = ["good great", "awful bad dull", "never seen words"];
    let predicted = loaded.predict(&texts).unwrap();
    assert_eq!(predicted, trained.pipeline.predict(&texts).unwrap());
    let Prediction::Class {
        label,
        probabilities,
    } = &predicted[1]
    else {
        panic!("{predicted:?}")
    };
    assert_eq!(label, "neg");
    assert_eq!(probabilities.len(), 2);
    assert!(
        probabilities[0].1 > 0.5 && probabilities[0].0 == "neg",
        "{probabilities:?}"
    );
    let log = fs::read_to_string(out.join("log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 8);
    assert!(
        log.lines().all(|line| line.starts_with("{\"step\":")),
        "{log}"
    );
    let nothing: [&str; 0] = [];
    assert_eq!(loaded.predict(&nothing).unwrap(), []);
    let error = loaded.predict(&["good", " "]).unwrap_err().to_string();
    assert_eq!(
        error,
        "text 2 of 2: expected at least one token, found none"
    );
    fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn a_tagger_pipeline_tags_each_token() {
    let folder = folder("tagger");
    let train_data = "Ali\tPROPN\ngeldi\tVERB\n\nVeli\tPROPN\ngitti\tVERB\n\n";
    let network = "embed(width = 8) >> bilstm(hidden = 4) >> softmax";
    let config = config(&folder, Task::Tagger, network, train_data, train_data);
    let trained = train(&config, &folder.join("out"), &mut ()).unwrap();
    let nothing: [&str; 0] = [];
    assert_eq!(trained.pipeline.predict(&nothing).unwrap(), []);
    let blank = trained.pipeline.predict(&[" "]).unwrap();
    assert_eq!(
        blank,
        [Prediction::Tags {
            tokens: vec![],
            tags: vec![]
        }]
    );
    let predicted = trained.pipeline.predict(&["Ali gitti", ""]).unwrap();
    let expected = Prediction::Tags {
        tokens: vec!["Ali".into(), "gitti".into()],
        tags: vec!["PROPN".into(), "VERB".into()],
    };
    assert_eq!(predicted[0], expected);
    assert_eq!(
        predicted[0].to_json(),
        r#"{"tokens":["Ali","gitti"],"tags":["PROPN","VERB"]}"#
    );
    assert_eq!(
        predicted[1],
        Prediction::Tags {
            tokens: vec![],
            tags: vec![]
        }
    );
    fs::remove_dir_all(&folder).unwrap();
}

/// A saved pipeline whose files were changed is refused, naming the file; saving never
/// replaces a folder that is not a pipeline.
#[test]
fn a_pipeline_changed_on_disk_is_refused_naming_the_file() {
    let folder = folder("changed");
    let config = config(
        &folder,
        Task::Textcat,
        "embed(width = 4) >> reduce_mean >> softmax",
        TEXTS,
        TEXTS,
    );
    let vocab = Vocab::from_tokens(["good", "bad"]);
    let labels = Labels::from_names(["neg", "pos"]);
    let pipeline = Pipeline::new(config.clone(), vocab, labels).unwrap();
    let dir = folder.join("saved");
    pipeline.to_disk(&dir).unwrap();
    pipeline.to_disk(&dir).unwrap();
    let names: Vec<_> = fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names.len(),
        3,
        "nothing beside the pipeline but the data: {names:?}"
    );

    let vocab_path = dir.join("vocab.txt");
    fs::write(&vocab_path, "good\nbad\n").unwrap();
    let error = Pipeline::from_disk(&dir).err().unwrap().to_string();
    assert!(
        error.contains("meta.json: vocab.txt was changed since the pipeline was saved"),
        "{error}"
    );
    pipeline.to_disk(&dir).unwrap();

    let other = Config {
        model: ModelConfig {
            network: "embed(width = 6) >> reduce_mean >> softmax".into(),
            ..config.model.clone()
        },
        ..config.clone()
    };
    Pipeline::new(other, pipeline.vocab().clone(), pipeline.labels().clone())
        .unwrap()
        .to_disk(folder.join("other"))
        .unwrap();
    fs::copy(folder.join("other/model.weft"), dir.join("model.weft")).unwrap();
    let error = Pipeline::from_disk(&dir).err().unwrap().to_string();
    assert!(
        error.starts_with(&format!("cannot load {}", dir.join("model.weft").display())),
        "{error}"
    );

    let not_a_pipeline = folder.join("mine");
    fs::create_dir(&not_a_pipeline).unwrap();
    let error = pipeline.to_disk(&not_a_pipeline).unwrap_err().to_string();
    assert!(
        error.ends_with("saving replaces saved pipelines only"),
        "{error}"
    );
    let error = Pipeline::from_disk(folder.join("nothing"))
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("nothing/meta.json: No such file"), "{error}");
    fs::remove_dir_all(&folder).unwrap();
}

/// A config that names token attributes trains a network over their keys (spaCy's hash
/// embeddings, and pretrained vectors beside them): saved, loaded, it predicts from strings and
/// scores its dev data as training did.
#[test]
fn a_pipeline_over_token_attributes_trains_saves_and_predicts() {
    let folder = folder("keys");
    let tagged = "Ali\tNOUN\ngeldi\tVERB\n\nbir\tDET\nev\tNOUN\ngördü\tVERB\n\n";
    let vectors = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/spacy_tagger/vectors/vectors.txt"
    );
    let network = format!(
        "(hash_embed(column = 0, rows = 50, width = 8, seed = 8) \
         | hash_embed(column = 1, rows = 20, width = 8, seed = 9) \
         | static_vectors(vectors = \"{vectors}\", width = 8, column = 2)) \
         >> maxout(width = 8, pieces = 2) >> softmax"
    );
    let mut config = config(&folder, Task::Tagger, &network, tagged, tagged);
    config.model.attrs = vec![Attr::Norm, Attr::Suffix, Attr::Orth];
    assert_eq!(config.to_toml().parse::<Config>().unwrap(), config);
    let out = folder.join("out");
    let trained = train(&config, &out, &mut ()).unwrap();
    let best = trained.outcome.best().unwrap().score;
    let loaded = Pipeline::from_disk(out.join("model-best")).unwrap();
    assert_eq!(loaded.config().model.attrs, config.model.attrs);
    assert_eq!(loaded.evaluate(&config.data.dev).unwrap().accuracy, best);
    let texts = ["Ali geldi", "bir ev gördü", ""];
    let predicted = loaded.predict(&texts).unwrap();
    assert_eq!(predicted, trained.pipeline.predict(&texts).unwrap());
    assert!(matches!(&predicted[1], Prediction::Tags { tags, .. } if tags.len() == 3));

    // Ids where keys are read, and an attribute spaCy has not.
    let mut over_ids = config.clone();
    over_ids.model.attrs.clear();
    let error = train(&over_ids, &folder.join("ids"), &mut ())
        .err()
        .unwrap();
    assert!(error.to_string().contains("hash keys"), "{error}");
    let unknown = config.to_toml().replace("\"SUFFIX\"", "\"LEMMA\"");
    let error = unknown.parse::<Config>().unwrap_err().to_string();
    assert!(
        error.contains("unknown attribute \"LEMMA\": the attributes are ORTH, NORM"),
        "{error}"
    );
    fs::remove_dir_all(&folder).unwrap();
}
