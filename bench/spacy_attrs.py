"""spaCy's token attributes and Thinc's HashEmbed, written out as the fixtures that weft's tests
check `weft::text` and `HashEmbed` against (CI reads the fixtures only, without Python).

    python3 -m venv /tmp/spacy-venv && /tmp/spacy-venv/bin/pip install spacy==3.8.18
    /tmp/spacy-venv/bin/python bench/spacy_attrs.py --data /work/shared/data \
        --all /tmp/spacy_attrs_all.jsonl
    WEFT_SPACY_ATTRS=/tmp/spacy_attrs_all.jsonl cargo test -p weft-runtime --lib \
        text::tests::the_keys_of_tokens_are_spacys -- --nocapture   # the agreement, per attribute

The tokens: each sentence of twt_upos.*.conll (Turkish; words as given, a space after each but
the last) in a blank Turkish pipeline, and each text of rt_polarity.*.tsv as spaCy's English
tokenizer cuts it (its words and spaces) in a blank English pipeline; both given to
`Doc(vocab, words=..., spaces=...)`, whose `to_array` gives the keys. Then probes: spaCy's norm
exceptions and symbols, and texts of odd code points.

Writes runtime/tests/data/spacy_attrs.jsonl: a first line naming the versions, then a line per
distinct token, `[text, count, NORM, PREFIX, SUFFIX, SHAPE, SPACY, IS_SPACE]` (`count`: its
occurrences in the data, 0 for a probe): every probe, then a seeded sample of the data's tokens up
to --size bytes, half of tokens other than plain ASCII letters, half of those. `--all FILE`
writes every distinct token of the data as well.
Writes runtime/tests/data/python_code_points.json: what Python's `str` says of each code point
(its shape class, its lower case, whether it is a space), so that every code point is checked.
Writes runtime/tests/data/thinc_hash_embed.jsonl: Thinc HashEmbed layers (seed, rows, width),
their tables, keys and outputs.
"""
import argparse
import json
import os
import random
import sys
import unicodedata

import numpy
import spacy
import thinc
from spacy.attrs import IS_SPACE, NORM, PREFIX, SHAPE, SPACY, SUFFIX
from spacy.lang.lex_attrs import word_shape
from spacy.lang.norm_exceptions import BASE_NORMS
from spacy.symbols import IDS
from spacy.tokens import Doc
from thinc.api import HashEmbed, fix_random_seed

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "runtime", "tests", "data")
ATTRS = [NORM, PREFIX, SUFFIX, SHAPE, SPACY, IS_SPACE]
PROBES = [
    "ΟΔΟΣ", "Σ", "ΣΑΣ.", "İstanbul", "ISPARTA", "ıi", "ǅungla", "ß", "ﬁne", "Ⅻ", "x²", "①②", "½",
    "٣٤", "e\u0301", "\u0301", "🙂", "👍🏽", "👨\u200d👩\u200d👧", "🇹🇷", "नमस्ते", "中文", "ﾃｽﾄ",
    "\u00a0", " ", "  ", "\t", "\n", "\x1c", "\u200b", "x" * 99, "x" * 100, "Ab1" * 40, "aaaaaa",
    "AAAAAB", "1999", "$9.99", "U.S.A.", "don't", "n't", "'s", "'S", "--", "...",
]


def conll_sentences(path):
    words = []
    with open(path, encoding="utf8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                words.append(line.split("\t")[0])
            elif words:
                yield words
                words = []
    if words:
        yield words


def docs(data):
    """(doc, doc of spaCy's tokenizer or None) for every sentence and text of the data."""
    tr, en = spacy.blank("tr"), spacy.blank("en")
    for split in ("train", "dev"):
        for words in conll_sentences(os.path.join(data, f"twt_upos.{split}.conll")):
            spaces = [True] * (len(words) - 1) + [False]
            yield Doc(tr.vocab, words=words, spaces=spaces), None
        with open(os.path.join(data, f"rt_polarity.{split}.tsv"), encoding="utf8") as f:
            for line in f:
                text = line.rstrip("\n").split("\t", 1)[1]
                tokenized = en(text)
                words = [t.text for t in tokenized]
                spaces = [bool(t.whitespace_) for t in tokenized]
                yield Doc(en.vocab, words=words, spaces=spaces), tokenized


def rows_of(doc):
    return [[t.text, *map(int, keys)] for t, keys in zip(doc, doc.to_array(ATTRS))]


def data_tokens(data):
    """{(text, keys): count} over the data, and how many tokens spaCy's tokenizer gives a norm
    of its own (its exceptions': `n't` -> `not`), by (text, norm)."""
    tokens, tokenizer_norms = {}, {}
    for doc, tokenized in docs(data):
        for row in rows_of(doc):
            key = tuple(row)
            tokens[key] = tokens.get(key, 0) + 1
        if tokenized is not None:
            for given, token in zip(doc, tokenized):
                if given.norm != token.norm:
                    pair = (token.text, token.norm_)
                    tokenizer_norms[pair] = tokenizer_norms.get(pair, 0) + 1
    return tokens, tokenizer_norms


def probe_tokens():
    texts = PROBES + list(BASE_NORMS) + [name for name in IDS if name]
    en = spacy.blank("en")
    rows = []
    for i, text in enumerate(texts):
        doc = Doc(en.vocab, words=[text], spaces=[i % 2 == 0])
        rows.extend(rows_of(doc))
    return rows


def line(row, count):
    return json.dumps([row[0], count, *row[1:]], ensure_ascii=False)


def plain(text):
    return text.isascii() and text.isalpha()


def code_points():
    """Python's view of every code point: runs of shape classes (`X`, `x`, `d`, `o` for itself,
    `?` unassigned in Python's Unicode), the code points that lower-case to something else, and
    those that are spaces."""
    runs, lower, space = [], [], []
    for cp in range(0x110000):
        c = chr(cp)
        if unicodedata.category(c) in ("Cn", "Cs"):
            cls = "?"
        else:
            shape = word_shape(c)
            cls = shape if shape in ("X", "x", "d") else "o"
            if c.lower() != c:
                lower.append([cp, c.lower()])
            if c.isspace():
                space.append(cp)
        if runs and runs[-1][2] == cls:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp, cls])
    return {"unicode": unicodedata.unidata_version, "shape_runs": runs, "lower": lower,
            "space": space}


def hash_embeds():
    """Thinc HashEmbed layers, their tables, keys (token ids as spaCy gives them, and edges)
    and outputs."""
    keys = [0, 1, 2, 101, 2**32 - 1, 2**32, 2**63, 2**64 - 1, 5983625672228268878,
            11901859001352538922, 14313749767032693980]
    keys = numpy.asarray(keys, dtype="uint64")
    fix_random_seed(0)
    layers = []
    for seed, rows, width in [(0, 7, 2), (5, 1, 3), (8, 97, 4), (11, 200, 2), (2**32 - 1, 13, 1)]:
        layer = HashEmbed(width, rows, seed=seed)
        layer.initialize()
        output = layer.predict(keys)
        layers.append({"seed": seed, "rows": rows, "width": width,
                       "table": layer.get_param("E").tolist(), "keys": [int(k) for k in keys],
                       "hashes": (layer.ops.hash(keys, seed) % rows).tolist(),
                       "output": output.tolist()})
    return layers


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="/work/shared/data")
    parser.add_argument("--size", type=int, default=200_000, help="bytes of the token fixture")
    parser.add_argument("--all", help="also write every distinct token of the data here")
    args = parser.parse_args()

    tokens, tokenizer_norms = data_tokens(args.data)
    occurrences = sum(tokens.values())
    print(f"{occurrences} tokens, {len(tokens)} distinct", file=sys.stderr)
    exceptions = {}
    for row, count in tokens.items():
        if BASE_NORMS.get(row[0], row[0].lower()) != row[0].lower():
            exceptions[row[0]] = exceptions.get(row[0], 0) + count
    print(f"norms of BASE_NORMS, not the lower case: {sum(exceptions.values())} tokens: "
          f"{exceptions}", file=sys.stderr)
    print(f"norms of spaCy's tokenizer exceptions, not given by Doc(words=...): "
          f"{sum(tokenizer_norms.values())} tokens: {tokenizer_norms}", file=sys.stderr)
    header = json.dumps({"spacy": spacy.__version__, "thinc": thinc.__version__,
                         "python": sys.version.split()[0],
                         "columns": ["text", "count", "NORM", "PREFIX", "SUFFIX", "SHAPE",
                                     "SPACY", "IS_SPACE"]})
    if args.all:
        with open(args.all, "w", encoding="utf8") as f:
            print(header, file=f)
            for row, count in tokens.items():
                print(line(row, count), file=f)

    lines = [line(row, 0) for row in probe_tokens()]
    size = sum(len(text.encode()) + 1 for text in lines)
    rows = sorted(tokens)
    random.Random(0).shuffle(rows)
    others = [row for row in rows if not plain(row[0])]
    letters = [row for row in rows if plain(row[0])]
    for pool, limit in [(others, (size + args.size) // 2), (letters, args.size)]:
        for row in pool:
            text = line(row, tokens[row])
            size += len(text.encode()) + 1
            if size > limit:
                break
            lines.append(text)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "spacy_attrs.jsonl"), "w", encoding="utf8") as f:
        print(header, file=f)
        for text in lines:
            print(text, file=f)
    with open(os.path.join(OUT, "python_code_points.json"), "w", encoding="utf8") as f:
        json.dump(code_points(), f, ensure_ascii=False, separators=(",", ":"))
    print(f"fixture: {len(lines)} tokens", file=sys.stderr)
    with open(os.path.join(OUT, "thinc_hash_embed.jsonl"), "w", encoding="utf8") as f:
        for layer in hash_embeds():
            print(json.dumps(layer), file=f)


if __name__ == "__main__":
    main()
