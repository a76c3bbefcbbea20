//! One grammar for the macro and the run time: the messages the UI snapshots show for
//! `model!` are those the run-time front end gives for the same text, each layer is named in
//! one place of the macro and grammar code, and the rustdoc of `model!` lists the layers as
//! the catalog has them.

use std::fs;
use std::path::Path;

use weft_grammar::catalog::{ArgDefault, LAYERS, Takes};
use weft_grammar::text;

/// UI cases whose `model!` input the text front end reads otherwise, by design.
const MACRO_ONLY: &[(&str, &str)] = &[
    (
        "model_empty",
        "an empty `model!()` names the macro; empty text says so in its words",
    ),
    (
        "model_runtime_input",
        "a Rust expression as a value: text takes numbers",
    ),
    (
        "model_static_vectors_file",
        "a table of vectors as a file: text reads it, `model!` takes the table read before",
    ),
    (
        "model_type_user_expression",
        "`model_type!` names types: text has none",
    ),
];

/// The `model!(...)` or `model_type!(...)` input in `source`, and its byte offset.
fn macro_input(source: &str) -> Option<(&str, usize)> {
    let open = ["model!(", "model_type!("]
        .iter()
        .filter_map(|m| source.find(m).map(|i| i + m.len()))
        .min()?;
    let mut depth = 1;
    for (i, c) in source[open..].char_indices() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth == 0 {
            return Some((&source[open..open + i], open));
        }
    }
    None
}

/// Line and column (1-based, in characters) of byte `offset`.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

#[test]
fn the_macro_and_the_text_front_end_give_the_same_messages_at_the_same_places() {
    let mut compared = 0;
    for entry in fs::read_dir("tests/ui").unwrap() {
        let path = entry.unwrap().path();
        let case = path.file_stem().unwrap().to_str().unwrap().to_string();
        if !case.starts_with("model_") || path.extension().unwrap() != "rs" {
            continue;
        }
        let stderr = fs::read_to_string(path.with_extension("stderr")).unwrap();
        let Some(message) = stderr.lines().next().unwrap().strip_prefix("error: ") else {
            continue; // rustc's own error, after the macro accepted the network
        };
        if MACRO_ONLY.iter().any(|(c, _)| *c == case) {
            continue;
        }
        let source = fs::read_to_string(&path).unwrap();
        let (input, offset) = macro_input(&source).expect("a model! call");
        let err = text::check(input).expect_err(&case);
        assert_eq!(err.message, message, "{case}");
        // ` --> tests/ui/case.rs:4:59`: where the macro's error points.
        let place = stderr
            .lines()
            .nth(1)
            .unwrap()
            .rsplit(".rs:")
            .next()
            .unwrap();
        let (line, column) = line_column(&source, offset + err.span.start);
        assert_eq!(place, format!("{line}:{column}"), "{case}");
        compared += 1;
    }
    assert!(compared >= 20, "only {compared} cases compared");
}

/// `name` as a type's name: `hash_embed` → `HashEmbed`.
fn camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |c| {
                c.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect()
}

/// The code of a source file: comments and `#[cfg(test)]` modules left out, and its string
/// literals apart from the rest.
fn code(source: &str) -> (Vec<String>, String) {
    let source = source.split("#[cfg(test)]").next().unwrap();
    let (mut strings, mut rest) = (Vec::new(), String::new());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let mut literal = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => literal.extend(chars.next()),
                        '"' => break,
                        c => literal.push(c),
                    }
                }
                strings.push(literal);
                rest.push(' ');
            }
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                rest.push('\n');
            }
            '\'' if chars
                .peek()
                .is_some_and(|&n| n != '_' && !n.is_alphabetic()) =>
            {
                rest.push(' '); // a char literal such as '"' or '|'
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                }
            }
            c => rest.push(c),
        }
    }
    (strings, rest)
}

fn rust_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests.rs") {
            files.push(path);
        }
    }
}

#[test]
fn each_built_in_layer_is_named_in_one_place_of_the_macro_and_grammar_code() {
    let mut files = Vec::new();
    rust_files(Path::new("macros/src"), &mut files);
    rust_files(Path::new("grammar/src"), &mut files);
    let sources: Vec<(String, String, (Vec<String>, String))> = files
        .iter()
        .map(|f| {
            let source = fs::read_to_string(f).unwrap();
            let code = code(&source);
            (f.display().to_string(), source, code)
        })
        .collect();
    for spec in LAYERS {
        let mut places = Vec::new();
        for (file, source, (strings, rest)) in &sources {
            // An argument of the same name (an LSTM's `dropout`) is not the layer.
            let arguments = source.matches(&format!("arg(\"{}\"", spec.name)).count();
            let literals = strings.iter().filter(|s| *s == spec.name).count() - arguments;
            let idents = rest
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|word| *word == spec.name || *word == camel(spec.name))
                .count();
            places.extend(std::iter::repeat_n(file.clone(), literals + idents));
        }
        assert_eq!(places.len(), 1, "`{}` is named in {places:?}", spec.name);
    }
}

#[test]
fn the_docs_of_model_list_every_layer_as_the_catalog_has_it() {
    let lib = fs::read_to_string("src/lib.rs").unwrap();
    let section = lib.split("/// # Built-in layers").nth(1).unwrap();
    let section = section.split("/// #").next().unwrap();
    let rows: Vec<Vec<&str>> = section
        .lines()
        .filter_map(|l| l.strip_prefix("/// | `"))
        .map(|row| row.trim_end_matches(" |").split(" | ").collect())
        .collect();
    let mut listed = 0;
    for spec in LAYERS {
        let row = rows
            .iter()
            .find(|cells| {
                format!("`{}", cells[0])
                    .split(", ")
                    .any(|n| n == format!("`{}`", spec.name))
            })
            .unwrap_or_else(|| panic!("`{}` is not in the table of layers", spec.name));
        let takes = match spec.takes {
            Takes::Ids => "token ids",
            Takes::Keys => "hash keys",
            Takes::Sequences => "vectors per token",
            Takes::Vectors => "vectors",
            Takes::PairedSequences => "pairs of vectors per token",
            Takes::PairedVectors => "pairs of vectors",
        };
        assert_eq!(row[1], takes, "what `{}` takes", spec.name);
        let args: Vec<String> = spec
            .args
            .iter()
            .map(|a| {
                let default = match a.default {
                    ArgDefault::Int(n) => n.to_string(),
                    ArgDefault::Float(x) => x.to_string(),
                    ArgDefault::Bool(b) => b.to_string(),
                    ArgDefault::Input | ArgDefault::KnownInput => "the input width".into(),
                    ArgDefault::FromData(_) => "from the data".into(),
                    ArgDefault::Required => "required".into(),
                };
                format!("`{}` ({default})", a.name)
            })
            .collect();
        assert_eq!(
            row[3..].join(" | "),
            args.join(", "),
            "the arguments of `{}`",
            spec.name
        );
        listed += 1;
    }
    let in_table: usize = rows.iter().map(|cells| cells[0].split(", ").count()).sum();
    assert_eq!(
        in_table, listed,
        "the table lists a layer the catalog does not have"
    );
}
