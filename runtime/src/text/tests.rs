//! Agreement with spaCy: the fixtures that `bench/spacy_attrs.py` wrote from spaCy 3.8 and
//! Python's `str`. `WEFT_SPACY_ATTRS=FILE` checks another file of tokens in the same form (the
//! script's `--all`: every token of the shared data).

use std::collections::HashMap;

use serde_json::Value;

use super::{Attr, Token, is_space, shape};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_keys_of_tokens_are_spacys() {
    let text = match std::env::var("WEFT_SPACY_ATTRS") {
        Ok(path) => std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        Err(_) => fixture("spacy_attrs.jsonl"),
    };
    let mut lines = text.lines();
    let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let columns = &header["columns"].as_array().unwrap()[2..];
    // The fixture's attributes, each by its name (ORTH, the text's own id, is not among them).
    let attrs: Vec<Attr> = columns
        .iter()
        .map(|c| {
            let name = c.as_str().unwrap();
            *Attr::ALL.iter().find(|a| a.name() == name).unwrap()
        })
        .collect();
    assert_eq!(attrs.len(), 6);
    let spacy = attrs.iter().position(|&a| a == Attr::Spacy).unwrap();

    // Per attribute: (distinct tokens, occurrences) that agree, of (distinct, occurrences).
    let mut agree = [(0, 0); 6];
    let (mut distinct, mut occurrences) = (0, 0);
    let mut differences = Vec::new();
    for line in lines {
        let row: Vec<Value> = serde_json::from_str(line).unwrap();
        let text = row[0].as_str().unwrap();
        let count = row[1].as_u64().unwrap();
        let keys: Vec<u64> = row[2..].iter().map(|k| k.as_u64().unwrap()).collect();
        let token = Token {
            text,
            space_after: keys[spacy] == 1,
        };
        distinct += 1;
        occurrences += count;
        for (i, &attr) in attrs.iter().enumerate() {
            if attr.key(token) == keys[i] {
                agree[i].0 += 1;
                agree[i].1 += count;
            } else {
                differences.push(format!("{attr:?} of {text:?}"));
            }
        }
    }
    for (attr, (d, o)) in attrs.iter().zip(agree) {
        println!(
            "{:8} {d} of {distinct} distinct tokens agree, {o} of {occurrences} occurrences",
            attr.name()
        );
    }
    assert!(
        differences.is_empty(),
        "{} differ: {:?}",
        differences.len(),
        &differences[..differences.len().min(20)]
    );
}

#[test]
fn the_empty_text_has_the_keys_of_spacys_empty_lexeme() {
    for space_after in [false, true] {
        let token = Token {
            text: "",
            space_after,
        };
        let keys = Attr::ALL.map(|attr| attr.key(token));
        assert_eq!(keys, [0, 0, 0, 0, 0, u64::from(space_after), 0]);
    }
}

#[test]
fn every_code_point_has_pythons_shape_lower_case_and_spaces() {
    let python: Value = serde_json::from_str(&fixture("python_code_points.json")).unwrap();
    let lower: HashMap<u32, &str> = python["lower"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| (pair[0].as_u64().unwrap() as u32, pair[1].as_str().unwrap()))
        .collect();
    let spaces: Vec<u32> = python["space"]
        .as_array()
        .unwrap()
        .iter()
        .map(|cp| cp.as_u64().unwrap() as u32)
        .collect();
    let mut differences = Vec::new();
    for run in python["shape_runs"].as_array().unwrap() {
        let (first, last) = (
            run[0].as_u64().unwrap() as u32,
            run[1].as_u64().unwrap() as u32,
        );
        let class = run[2].as_str().unwrap();
        if class == "?" {
            continue; // unassigned in Python's Unicode
        }
        for c in (first..=last).filter_map(char::from_u32) {
            let text = c.to_string();
            let shape = shape(&text);
            let ours = match shape.as_str() {
                "X" | "x" | "d" => &shape,
                _ if shape == text => "o",
                other => other,
            };
            let lowered = lower.get(&(c as u32)).copied().unwrap_or(&text);
            let space = spaces.contains(&(c as u32));
            if ours != class || text.to_lowercase() != lowered || is_space(&text) != space {
                differences.push(format!("U+{:04X}", c as u32));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} differ: {differences:?}",
        differences.len()
    );
}
