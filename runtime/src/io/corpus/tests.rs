use super::*;

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("weft-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn malformed_lines_name_file_and_line() {
    let path = write("a.tsv", "x\tgood\n\tno label\n");
    let err = read_texts(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("a.tsv:2: the label before the tab is empty"),
        "{err}"
    );
    let path = write("b.tsv", "x\tgood\ny\t \n");
    let err = read_texts(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("b.tsv:2: the text after the tab has no tokens"),
        "{err}"
    );
    let path = write("c.conll", "a\tX\n\nb\tY\textra\n");
    let err = read_tagged(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("c.conll:3: expected `token<TAB>tag`, found 3 fields"),
        "{err}"
    );
    let path = write("e.tsv", "c\ta b\tc\nn\ta b\t \n");
    let err = read_pairs(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("e.tsv:2: the second text has no tokens"),
        "{err}"
    );
    let path = write("f.tsv", "c\ta b\tc\n c\ta b\tb\n");
    let err = read_pairs(&path).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "f.tsv:2: the label, ` c`, has white space at its edge: it would be another name"
        ),
        "{err}"
    );
    let err = read_texts(write("d", "").with_extension("missing")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
}

/// The message of the error reading `text` as a texts file (`tagged`: as a tagged file).
fn refusal(name: &str, text: &[u8], tagged: bool) -> String {
    let dir = std::env::temp_dir().join(format!("weft-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let err = match tagged {
        false => read_texts(&path).map(drop),
        true => read_tagged(&path).map(drop),
    };
    let err = err.unwrap_err().to_string();
    let place = path.display().to_string();
    err.strip_prefix(&place).unwrap_or(&err).to_string()
}

#[test]
fn what_would_silently_change_the_data_is_refused_at_its_line() {
    assert_eq!(
        refusal("space.tsv", b"fresh\tgood\nfresh \tbad\n", false),
        ":2: the label before the tab, `fresh `, has white space at its edge: it would be \
         another name"
    );
    assert_eq!(
        refusal(
            "tab.tsv",
            b"rotten\tbad film\nfresh\tgood film\trotten\n",
            false
        ),
        ":2: expected `label<TAB>tokens`, found a second tab: tokens are separated by spaces"
    );
    assert_eq!(
        refusal("tag.conll", b"a\tX\nb\t Y\n", true),
        ":2: the tag, ` Y`, has white space at its edge: it would be another name"
    );
    assert_eq!(
        refusal("utf8.tsv", b"fresh\tgood\n\nfresh\tcaf\xe9\n", false),
        ":3: the line is not UTF-8 (byte 10 of the line)"
    );
}

#[test]
fn a_file_without_examples_is_refused() {
    assert_eq!(
        refusal("empty.tsv", b"", false),
        ":1: the file holds no texts: a text is a line `label<TAB>token token ...`"
    );
    assert_eq!(
        refusal("blank.conll", b"\n\n", true),
        ":2: the file holds no sentences: a token is a line `token<TAB>tag`, and a blank \
         line ends a sentence"
    );
}

#[test]
fn byte_order_marks_and_windows_line_ends_are_read_as_editors_mean_them() {
    let path = write("bom.tsv", "\u{feff}fresh\tgood\r\nrotten\tbad\r\n");
    let texts = read_texts(&path).unwrap();
    assert_eq!(texts[0].label, "fresh");
    assert_eq!(texts[1].tokens, ["bad"]);
    let path = write("bom.conll", "\u{feff}a\tX\r\nb\tY\r\n\r\nc\tZ");
    let sentences = read_tagged(&path).unwrap();
    assert_eq!(sentences[0].tokens, ["a", "b"]);
    assert_eq!(sentences[1].tags, ["Z"]);
    assert_eq!(sentences[1].line, 4);
}

#[test]
fn an_unknown_label_is_named_with_ten_of_the_labels_at_most() {
    let labels = |n: usize| Labels::from_names((0..n).map(|i| format!("tag{i:05}")));
    let refusal = |labels: Labels| {
        let err = labels.index_at("NOUN", Path::new("dev.conll"), 7);
        err.unwrap_err().to_string()
    };
    let ten = "tag00000, tag00001, tag00002, tag00003, tag00004, tag00005, tag00006, \
               tag00007, tag00008, tag00009";
    assert_eq!(
        refusal(labels(10)),
        format!("dev.conll:7: `NOUN` is not one of the 10 training labels: {ten}")
    );
    assert_eq!(
        refusal(labels(11)),
        format!("dev.conll:7: `NOUN` is not one of the 11 training labels: {ten} and 1 more")
    );
    // A tagged file read as texts made one label of each of its 18,000 token types.
    let err = refusal(labels(18_000));
    assert_eq!(
        err,
        format!(
            "dev.conll:7: `NOUN` is not one of the 18000 training labels: {ten} and 17990 more"
        )
    );
    assert!(err.len() < 200, "{} bytes", err.len());
}

/// A few lines of each format, most of them cut from the shipped data.
pub(super) const TEXTS: &str = "fresh\tthe ending feels at odds with the rest of the film .\n\
                     rotten\tidiotic and ugly .\n";
pub(super) const TAGGED: &str = "Burda\tPRON\nda\tPRT\nöylemi\tVERB\n?\tPUNCT\n\n\
                      Günde\tNOUN\n1\tNUM\n-\tPUNCT\n2\tNUM\n";
pub(super) const DOCUMENTS: &str = "neg\twarning : may contain spoilers . ||| rated : r .\n\
                         pos\taliens ! ! ||| computer generated aliens .\n";
pub(super) const PAIRS: &str = "entailment\tthe cat sat on the mat .\ta cat sat .\n\
                     contradiction\tthe cat sat on the mat .\tno cat sat .\n";

#[test]
fn a_file_of_another_format_is_refused_saying_what_it_looks_like() {
    let texts = "texts (`label<TAB>tokens`)";
    let tagged = "tagged tokens (`token<TAB>tag`, a blank line after each sentence)";
    let documents = "documents (`label<TAB>sentence ||| sentence ...`)";
    let pairs = "sentence pairs (`label<TAB>tokens<TAB>tokens`)";
    let read_as_pairs = "give it as format `pairs` (read_pairs)";
    let cases = [
        (
            TAGGED,
            false,
            tagged,
            texts,
            "give it as format `conll` (read_tagged)",
        ),
        (
            DOCUMENTS,
            false,
            documents,
            texts,
            "give it as format `docs` (read_documents)",
        ),
        (PAIRS, false, pairs, texts, read_as_pairs),
        (
            TEXTS,
            true,
            texts,
            tagged,
            "give it as format `tsv` (read_texts)",
        ),
        (
            DOCUMENTS,
            true,
            documents,
            tagged,
            "give it as format `docs` (read_documents)",
        ),
        (PAIRS, true, pairs, tagged, read_as_pairs),
    ];
    for (text, as_tagged, found, read_as, advice) in cases {
        let err = refusal("other.txt", text.as_bytes(), as_tagged);
        assert_eq!(
            err,
            format!(": looks like {found}, not {read_as}: {advice}")
        );
    }
}

#[test]
fn the_format_is_refused_before_any_example_is_read() {
    let mut text = TAGGED.repeat(25).into_bytes();
    text.extend(b"caf\xe9\tNOUN\n");
    let line = text.iter().filter(|&&b| b == b'\n').count();
    assert!(refusal("late.conll", &text, false).starts_with(": looks like tagged tokens"));
    assert_eq!(
        refusal("late.conll", &text, true),
        format!(":{line}: the line is not UTF-8 (byte 4 of the line)")
    );
}

/// Each shipped data file, its format and examples: those of `examples/data`, then those of
/// the shared data folder beside the checkout (when there is one: `/work/shared/data`).
const SHIPPED: [(&str, Format, usize); 8] = [
    ("rt_polarity.train.tsv", Format::Texts, 10_201),
    ("rt_polarity.dev.tsv", Format::Texts, 1_275),
    ("twt_upos.train.conll", Format::Tagged, 3_881),
    ("twt_upos.dev.conll", Format::Tagged, 485),
    ("docs_polarity.train.tsv", Format::Documents, 1_199),
    ("docs_polarity.dev.tsv", Format::Documents, 149),
    ("pairs_farstail.train.tsv", Format::Pairs, 7_266),
    ("pairs_farstail.dev.tsv", Format::Pairs, 1_537),
];

#[test]
fn the_shipped_data_reads_as_its_format_and_is_refused_as_another() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // `examples/data` holds the texts and the tagged tokens, the shared folder all four.
    let mut folders = vec![(root.join("examples/data"), &SHIPPED[..4])];
    let shared = root.join("../shared/data");
    match shared.is_dir() {
        true => folders.push((shared, &SHIPPED[..])),
        false => eprintln!("no {}: its data files are not checked", shared.display()),
    }
    for (folder, shipped) in folders {
        for &(name, format, examples) in shipped {
            let path = folder.join(name);
            assert_eq!(guess_format(&path).unwrap(), Some(format), "{name}");
            let texts = read_texts(&path).map(|texts| texts.len());
            let sentences = read_tagged(&path).map(|sentences| sentences.len());
            let refused = |read: &Result<usize>| matches!(read, Err(Error::Format { .. }));
            let (read, other) = match format {
                Format::Texts => (texts, sentences),
                Format::Tagged => (sentences, texts),
                Format::Documents => (read_documents(&path).map(|docs| docs.len()), texts),
                Format::Pairs => {
                    assert!(refused(&texts), "{name}: {texts:?}");
                    (read_pairs(&path).map(|pairs| pairs.len()), sentences)
                }
            };
            assert_eq!(read.ok(), Some(examples), "{name}");
            assert!(refused(&other), "{name}: {other:?}");
        }
    }
}

#[test]
fn a_line_longer_than_the_bound_is_an_error_read_no_further() {
    use std::io::Read;
    // One line of 50 MB: the reader stops a byte past the bound (and a buffer's read).
    let mut line = std::io::repeat(b'a').take(50 << 20);
    let mut lines = Lines::new(Path::new("long.tsv"), std::io::BufReader::new(&mut line));
    let err = lines.next_line().unwrap_err().to_string();
    assert_eq!(
        err,
        "long.tsv:1: the line is longer than 1 MiB; is this a text file of one example per \
         line?"
    );
    drop(lines);
    let read = (50 << 20) - line.limit() as usize;
    assert!(read <= MAX_LINE_BYTES + (64 << 10), "{read} bytes read");
}
