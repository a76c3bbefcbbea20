//! The `weft` command, run as a user runs it: a starter config trained with settings changed on
//! the command line, its pipeline evaluated and run on new text, and the mistakes a user makes
//! answered with one clear error.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs `weft` with `args` (and `stdin`, if any).
fn weft(args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_weft"));
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("weft runs");
    let input = child.stdin.take().expect("a pipe");
    if let Some(text) = stdin {
        use std::io::Write;
        (&input)
            .write_all(text.as_bytes())
            .expect("weft reads its input");
    }
    drop(input);
    child.wait_with_output().expect("weft ends")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The error `weft` ends with: its one line of standard error, and exit code 1.
fn error(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn folder(name: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("weft-cli-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&folder);
    fs::create_dir_all(&folder).unwrap();
    folder
}

/// A starter config of `task`, written in `folder`, whose data are the first `lines` lines of
/// the shipped files.
fn small_config(folder: &Path, task: &str, train: &str, dev: &str, lines: usize) -> PathBuf {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    let head = |name: &str| {
        let text = fs::read_to_string(data.join(name)).unwrap();
        let mut kept: Vec<&str> = text.lines().take(lines).collect();
        // A tagged file ends at a sentence's end.
        while kept.last().is_some_and(|line| !line.is_empty()) && task == "tagger" {
            kept.pop();
        }
        let path = folder.join(name);
        fs::write(&path, kept.join("\n") + "\n").unwrap();
        path
    };
    let (train, dev) = (head(train), head(dev));
    let starter = stdout(&weft(&["init-config", "--task", task], None));
    let config: Vec<String> = (starter.lines())
        .map(|line| match line.split_once(" = ") {
            Some(("train", _)) => format!("train = {:?}", train.display().to_string()),
            Some(("dev", _)) => format!("dev = {:?}", dev.display().to_string()),
            _ => line.to_owned(),
        })
        .collect();
    let config = config.join("\n");
    let path = folder.join(format!("{task}.toml"));
    fs::write(&path, config).unwrap();
    path
}

/// `weft train` keeps the best evaluation: the dev accuracy of its saved pipeline, as
/// `weft evaluate` prints it, is the best one `weft train` printed; `weft predict` gives a line
/// of JSON per line of text.
#[test]
fn train_keeps_the_best_and_evaluate_and_predict_use_it() {
    let folder = folder("textcat");
    let config = small_config(
        &folder,
        "textcat",
        "rt_polarity.train.tsv",
        "rt_polarity.dev.tsv",
        400,
    );
    let out = folder.join("out");
    let args = [
        "train",
        config.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    let sets = [
        "--set",
        "training.epochs=4",
        "--set",
        "model.network=embed(width = 16) >> bilstm(hidden = 8) >> attention >> softmax",
    ];
    let printed = stdout(&weft(&[&args[..], &sets[..]].concat(), None));
    let evaluations: Vec<&str> = printed
        .lines()
        .filter(|l| l.starts_with("epoch "))
        .collect();
    assert_eq!(evaluations.len(), 4, "{printed}");
    let best = (evaluations.iter())
        .find(|l| {
            l.contains("(best)")
                && !evaluations
                    .iter()
                    .rev()
                    .take_while(|m| *m != *l)
                    .any(|m| m.contains("(best)"))
        })
        .unwrap();
    let best_dev: f64 = best.split("dev ").nth(1).unwrap()[..6].parse().unwrap();
    assert!(
        printed.contains(&format!("dev accuracy {best_dev:.4}; saved in")),
        "{printed}"
    );

    let dev = folder.join("rt_polarity.dev.tsv");
    let json = stdout(&weft(
        &[
            "evaluate",
            out.to_str().unwrap(),
            dev.to_str().unwrap(),
            "--json",
        ],
        None,
    ));
    let accuracy = json
        .split("\"accuracy\":")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    assert_eq!(
        format!("{:.4}", accuracy.parse::<f64>().unwrap()),
        format!("{best_dev:.4}")
    );
    assert!(out.join("log.jsonl").is_file() && out.join("training.svg").is_file());
    let svg = fs::read_to_string(out.join("training.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("dev accuracy"),
        "{}",
        &svg[..200]
    );

    let predicted = stdout(&weft(
        &["predict", out.join("model-best").to_str().unwrap()],
        Some("a fine film .\nan awful , dull mess .\n"),
    ));
    let lines: Vec<&str> = predicted.lines().collect();
    assert_eq!(lines.len(), 2, "{predicted}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("{\"label\":\"") && l.contains("\"probabilities\":{\"fresh\":")),
        "{predicted}"
    );
    let blank = error(&weft(&["predict", out.to_str().unwrap()], Some("good\n\n")));
    assert_eq!(
        blank,
        "error: <stdin>:2: no tokens: a text classifier predicts texts of one token or more\n"
    );
    fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn a_tagger_trains_and_tags() {
    let folder = folder("tagger");
    // Dev is the training data: the first sentences of the dev file have a tag that those
    // of the training file lack, which is an error.
    let config = small_config(
        &folder,
        "tagger",
        "twt_upos.train.conll",
        "twt_upos.train.conll",
        300,
    );
    let out = folder.join("out");
    let args = [
        "train",
        config.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--set",
        "training.epochs=2",
        "--set",
        "training.eval_every=2",
        "--set",
        "training.batch_size=8",
    ];
    let printed = stdout(&weft(&args, None));
    assert!(
        printed.lines().filter(|l| l.starts_with("epoch ")).count() >= 2,
        "{printed}"
    );
    // Resumed with one epoch more, the run goes on from its last evaluation: only the third
    // epoch is trained and shown.
    let mut more = args.to_vec();
    more.extend(["--set", "training.epochs=3", "--resume"]);
    let printed = stdout(&weft(&more, None));
    let shown: Vec<&str> = printed
        .lines()
        .filter(|l| l.starts_with("epoch "))
        .collect();
    assert!(
        !shown.is_empty() && shown.iter().all(|l| l.starts_with("epoch 3 ")),
        "{printed}"
    );
    let tagged = stdout(&weft(
        &["predict", out.to_str().unwrap()],
        Some("Ali eve geldi .\n"),
    ));
    assert!(
        tagged.starts_with("{\"tokens\":[\"Ali\",\"eve\",\"geldi\",\".\"],\"tags\":[\""),
        "{tagged}"
    );
    fs::remove_dir_all(&folder).unwrap();
}

/// Each mistake gets one line that names what is wrong and where, and exit code 1.
#[test]
fn mistakes_are_one_clear_error() {
    let folder = folder("mistakes");
    let config = small_config(
        &folder,
        "textcat",
        "rt_polarity.train.tsv",
        "rt_polarity.dev.tsv",
        20,
    );
    let (config, out) = (config.to_str().unwrap(), folder.join("out"));
    let out = out.to_str().unwrap();
    let train = |sets: &[&str]| {
        let mut args = vec!["train", config, "--output", out];
        for set in sets {
            args.extend(["--set", set]);
        }
        error(&weft(&args, None))
    };
    let typo = train(&["model.network=embed >> bilsm >> attention >> softmax"]);
    assert!(
        typo.contains("unknown layer `bilsm` (did you mean `bilstm`?)"),
        "{typo}"
    );
    assert!(
        typo.contains("embed >> bilsm >> attention >> softmax\n")
            && typo.contains("         ^^^^^"),
        "{typo}"
    );
    assert_eq!(
        train(&["training.epochs=0"]),
        "error: --set training.epochs=0: must be at least 1, found 0\n"
    );
    assert_eq!(
        train(&["training.batch_size=0"]),
        "error: --set training.batch_size=0: must be at least 1, found 0\n"
    );
    assert_eq!(
        train(&["training.learn_rate=nan"]),
        "error: --set training.learn_rate=nan: must be finite and above 0, found NaN\n"
    );
    let unknown = train(&["training.epoch=2"]);
    assert!(
        unknown.starts_with(
            "error: --set training.epoch=2: unknown field `epoch`, expected one of `epochs`"
        ),
        "{unknown}"
    );
    let conll = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/twt_upos.dev.conll");
    let wrong = train(&[&format!("data.train={}", conll.display())]);
    assert!(wrong.contains("looks like tagged tokens"), "{wrong}");
    assert_eq!(wrong.lines().count(), 1, "{wrong}");
    let missing = error(&weft(&["train", "no-such.toml", "--output", out], None));
    assert!(
        missing.starts_with("error: no-such.toml: No such file"),
        "{missing}"
    );
    let no_pipeline = error(&weft(&["evaluate", folder.to_str().unwrap(), config], None));
    assert!(
        no_pipeline.contains("meta.json: No such file"),
        "{no_pipeline}"
    );
    fs::remove_dir_all(&folder).unwrap();
}

/// The configs shipped in `configs/` are what `weft init-config` writes, so neither drifts.
#[test]
fn the_shipped_configs_are_the_starters() {
    let configs = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    for task in ["textcat", "tagger"] {
        let shipped = fs::read_to_string(configs.join(format!("{task}.toml"))).unwrap();
        assert_eq!(
            shipped,
            stdout(&weft(&["init-config", "--task", task], None)),
            "{task}"
        );
    }
}
