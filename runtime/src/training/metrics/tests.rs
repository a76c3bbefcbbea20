//! Scores against hand counts, the errors of bad input, the tables' cap, and JSON strings.

use super::*;

/// Asserts `found` equals `expected` within rounding.
fn assert_near(found: f64, expected: f64) {
    assert!(
        (found - expected).abs() < 1e-12,
        "found {found}, expected {expected}"
    );
}

#[test]
fn bad_input_is_an_error_naming_it() {
    let labels = ["a", "b"];
    let cases: [(&[usize], &[usize], &str); 4] = [
        (
            &[],
            &[],
            "the classes to score: expected at least one, found none",
        ),
        (
            &[0, 1, 1],
            &[0, 1],
            "the predicted classes: expected one per true class (3), found 2",
        ),
        (
            &[0, 5],
            &[0, 1],
            "the true class at position 1: label 5 is out of range for 2 classes",
        ),
        (
            &[0, 1],
            &[2, 1],
            "the predicted class at position 0: label 2 is out of range for 2 classes",
        ),
    ];
    for (truths, predicted, message) in cases {
        let error = Scores::new(truths, predicted, &labels).unwrap_err();
        assert_eq!(error.to_string(), message);
    }
    let no_labels: [&str; 0] = [];
    assert!(matches!(
        Scores::new(&[0], &[0], &no_labels),
        Err(Error::Label { classes: 0, .. })
    ));
}

/// Two sentences' tags, one after the other. Counts: DET 2 of 2 right (p 2/2, r 2/2); NOUN
/// predicted 3 times, right 2 of its 3 (p 2/3, r 2/3); VERB predicted twice, right 1 of its 2
/// (p 1/2, r 1/2); ADJ neither true nor predicted, so out of the macro averages.
#[test]
fn tagging_scores_the_tokens() {
    let tags = ["DET", "NOUN", "VERB", "ADJ"];
    let truths = [0, 1, 2, 0, 1, 1, 2];
    let predicted = [0, 1, 1, 0, 2, 1, 2];
    let scores = Scores::new(&truths, &predicted, &tags).unwrap();
    assert_eq!((scores.correct, scores.total), (5, 7));
    assert_near(scores.accuracy, 5.0 / 7.0);
    let f1: Vec<f64> = scores.classes.iter().map(|c| c.f1).collect();
    for (found, expected) in f1.into_iter().zip([1.0, 2.0 / 3.0, 0.5, 0.0]) {
        assert_near(found, expected);
    }
    let support: Vec<usize> = scores.classes.iter().map(|c| c.support).collect();
    assert_eq!(support, [2, 3, 2, 0]);
    assert_eq!(scores.macro_classes, 3);
    assert_near(scores.macro_f1, (1.0 + 2.0 / 3.0 + 0.5) / 3.0);
    assert_near(scores.macro_precision, (1.0 + 2.0 / 3.0 + 0.5) / 3.0);
    let cells: Vec<_> = scores.confusion.into_iter().collect();
    let expected = [
        ((0, 0), 2),
        ((1, 1), 2),
        ((1, 2), 1),
        ((2, 1), 1),
        ((2, 2), 1),
    ];
    assert_eq!(cells, expected);
}

/// `b` is predicted once and never true: precision 0 / 1, recall 0 by convention, and it
/// counts in the macro averages (it occurs among the predictions).
#[test]
fn a_class_predicted_but_never_true_counts_in_the_macro_averages() {
    let scores = Scores::new(&[0, 0], &[0, 1], &["a", "b"]).unwrap();
    let b = &scores.classes[1];
    assert_eq!((b.precision, b.recall, b.f1, b.support), (0.0, 0.0, 0.0, 0));
    assert_eq!(scores.macro_classes, 2);
    // a: p 1/1, r 1/2, F1 2/3.
    assert_near(scores.macro_f1, (2.0 / 3.0 + 0.0) / 2.0);
    assert_near(scores.macro_recall, (0.5 + 0.0) / 2.0);
}

/// Forty classes, class `c` with `c + 1` items, all predicted right but one item of `c39`
/// predicted `c0`: the tables show `c39` down to `c10` and leave out `c9` to `c0`, with
/// 1 + 2 + ... + 10 = 55 items.
#[test]
fn tables_show_the_thirty_classes_of_most_support() {
    let labels: Vec<String> = (0..40).map(|c| format!("c{c}")).collect();
    let truths: Vec<usize> = (0..40).flat_map(|c| vec![c; c + 1]).collect();
    let mut predicted = truths.clone();
    *predicted.last_mut().unwrap() = 0;
    let scores = Scores::new(&truths, &predicted, &labels).unwrap();
    let text = scores.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 1 + 30 + 1);
    assert!(lines[2].starts_with("c39 "), "{}", lines[2]);
    assert!(lines[31].starts_with("c10 "), "{}", lines[31]);
    assert_eq!(lines[32], "... and 10 classes more, of 55 items in all");
    let table = scores.confusion_table();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 1 + 30 + 1);
    assert!(lines[0].ends_with("  c10  others"), "{}", lines[0]);
    // c39: 39 right, and the one predicted c0 among the others.
    let c39: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!((c39[1], c39[31]), ("39", "1"));
    assert_eq!(lines[31], "... and 10 classes more, of 55 items in all");
}

#[test]
fn json_strings_escape_quotes_backslashes_and_control_characters() {
    assert_eq!(
        json_string("a\"b\\c\nd\u{1}é"),
        r#""a\"b\\c\u000ad\u0001é""#
    );
}
