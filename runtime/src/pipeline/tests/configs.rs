//! Configs and data files: what a mistake in one reports, and what a config reads back.

use super::*;

/// Each kind of mistake in a config is an error that names the key and shows the line.
#[test]
fn bad_configs_are_errors_that_name_the_key_and_the_line() {
    let starter = Config::starter(Task::Textcat);
    let cases = [
        (
            "epochs = 5",
            "epoch = 5",
            "unknown field `epoch`, expected one of `epochs`",
        ),
        ("epochs = 5", "epochs = 0", "must be at least 1, found 0"),
        (
            "epochs = 5",
            "epochs = \"five\"",
            "invalid type: string \"five\", expected u64",
        ),
        (
            "learn_rate = 0.001",
            "learn_rate = -0.1",
            "must be finite and above 0, found -0.1",
        ),
        (
            "learn_rate = 0.001",
            "learn_rate = nan",
            "must be finite and above 0, found NaN",
        ),
        (
            "batch_size = 32",
            "batch_size = 0",
            "must be at least 1, found 0",
        ),
        (
            "batch_size = 32",
            "batch_size = \"compounding(start = 4)\"",
            "compounding's stop must be given, found nothing",
        ),
        (
            "task = \"textcat\"",
            "task = \"ner\"",
            "unknown variant `ner`, expected `textcat` or `tagger`",
        ),
        (
            "format = \"tsv\"",
            "format = \"csv\"",
            "unknown format `csv`, expected one of tsv, conll, docs, pairs",
        ),
        (
            "format = \"tsv\"",
            "format = \"conll\"",
            "data.format: a textcat reads `tsv` files, not `conll`",
        ),
        (
            "bilstm(hidden = 64)",
            "bilsm(hidden = 64)",
            "unknown layer `bilsm` (did you mean `bilstm`?)",
        ),
        (
            "\n[training]\n",
            "\n[trainig]\n",
            "unknown field `trainig`, expected one of `model`, `data`, `training`",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(starter.contains(from), "{from}");
        let parsed = starter.replacen(from, to, 1).parse::<Config>();
        let error = parsed
            .err()
            .unwrap_or_else(|| panic!("{to} is read"))
            .to_string();
        assert!(error.contains(expected), "{to}: {error}");
        if !expected.starts_with("data.format") && !expected.starts_with("unknown layer") {
            let line = starter
                .lines()
                .position(|l| l == from.trim() || l.contains(from))
                .unwrap()
                + 1;
            assert!(error.contains(&format!("line {line}")), "{to}: {error}");
        }
    }
    let error = starter
        .replace("bilstm(hidden = 64)", "bilsm(hidden = 64)")
        .parse::<Config>();
    let error = error.unwrap_err().to_string();
    assert!(
        error.starts_with("model.network: network: unknown layer"),
        "{error}"
    );
    assert!(
        error.contains("embed(width = 64) >> bilsm(hidden = 64)"),
        "{error}"
    );
    assert!(error.contains("                      ^^^^^"), "{error}");

    let path = std::env::temp_dir().join(format!("weft-no-such-config-{}", std::process::id()));
    let error = Config::from_file(&path).unwrap_err().to_string();
    assert!(error.starts_with(&path.display().to_string()), "{error}");
}

/// A data file that is missing or holds a label the training data lack is an error naming it.
#[test]
fn bad_data_files_are_errors_that_name_the_file() {
    let folder = folder("bad-data");
    let network = "embed(width = 4) >> reduce_mean >> softmax";
    let mut config = config(&folder, Task::Textcat, network, TEXTS, "meh\tgood\n");
    let error = train(&config, &folder.join("out"), &mut ())
        .err()
        .unwrap()
        .to_string();
    let dev = config.data.dev.display();
    assert_eq!(
        error,
        format!("{dev}:1: `meh` is not one of the 2 training labels: neg, pos")
    );
    // A missing test file is found before training, not after it.
    config.data.dev = config.data.train.clone();
    config.data.test = Some(folder.join("missing-test.tsv"));
    let error = train(&config, &folder.join("early"), &mut ())
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.starts_with(&folder.join("missing-test.tsv").display().to_string()),
        "{error}"
    );
    assert!(!folder.join("early/log.jsonl").exists());
    // A network of other outputs than the labels could train but never name a prediction.
    config.data.test = None;
    config.model.network = "embed(width = 4) >> reduce_mean >> softmax(classes = 3)".into();
    let error = train(&config, &folder.join("out"), &mut ())
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        error,
        "model.network: the network outputs 3 probabilities, but the training data have 2 \
         labels: leave softmax's classes to the data"
    );
    config.data.train = folder.join("missing.tsv");
    let error = train(&config, &folder.join("out"), &mut ())
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.starts_with(&folder.join("missing.tsv").display().to_string()),
        "{error}"
    );
    fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn a_config_reads_back_what_it_writes_and_takes_settings() {
    let config: Config = Config::starter(Task::Tagger).parse().unwrap();
    assert_eq!(config.to_toml().parse::<Config>().unwrap(), config);
    let config = config
        .with("training.batch_size=\"compounding(start = 4, stop = 32, compound = 1.001)\"")
        .unwrap()
        .with("training.schedule=warmup_linear(warmup_steps = 10, total_steps = 100)")
        .unwrap();
    assert_eq!(config.to_toml().parse::<Config>().unwrap(), config);
    let settings = config.settings().unwrap();
    assert_eq!(
        settings.learn_rate,
        crate::training::Schedule::WarmupLinear {
            initial_rate: 0.001,
            warmup_steps: 10,
            total_steps: 100
        }
    );
    for (setting, expected) in [
        (
            "training.epochs=0",
            "--set training.epochs=0: must be at least 1, found 0",
        ),
        ("epochs=3", "--set epochs=3: expected section.key=value"),
        (
            "model.network=embed >> nope",
            "--set model.network=embed >> nope: model.network: network: unknown layer `nope`",
        ),
        (
            "training.schedule=warmup_linear(initial_rate = 1, warmup_steps = 1, total_steps = 9)",
            "warmup_linear's initial_rate must be left out (the rate is learn_rate), found 1",
        ),
    ] {
        let error = config.with(setting).unwrap_err().to_string();
        assert!(error.contains(expected), "{setting}: {error}");
    }
}
