"""spaCy baseline: the CNN tagger of spaCy's small English pipeline, trained on the Turkish
tagging data with spaCy's own loop (`nlp.update`). Prints one JSON line.

    /tmp/spacy-venv/bin/python bench/spacy_bench.py --task spacy_tagger [--threads N]

The pipeline is a blank Turkish one with two components, as in en_core_web_sm: `tok2vec`
(spacy.Tok2Vec.v2: MultiHashEmbed.v2 of NORM, PREFIX, SUFFIX and SHAPE in 5000, 1000, 2500 and
2500 rows, width 96, no static vectors, >> MaxoutWindowEncoder.v2, width 96, depth 4, window 1,
maxout pieces 3) and `tagger` (spacy.Tagger.v2, softmax, listening to tok2vec). Each sentence is
a Doc of its words, a space after each but the last, made before any timing: prediction is timed
from Docs to tags, as weft's from the keys of the tokens' attributes to tags.
"""
import sys
from types import SimpleNamespace

import common

args = common.parse_args(__doc__, tasks=("spacy_tagger",))
# thinc.compat imports torch when it is installed, which adds about 800 MB of RSS: keep it out
# so that the peak RSS is spaCy's own.
sys.modules["torch"] = None

import numpy  # noqa: E402
import spacy  # noqa: E402
import thinc  # noqa: E402
from spacy.tokens import Doc  # noqa: E402
from spacy.training import Example  # noqa: E402
from thinc.api import Adam, fix_random_seed  # noqa: E402

WIDTH = 96
ROWS = {"NORM": 5000, "PREFIX": 1000, "SUFFIX": 2500, "SHAPE": 2500}
TOK2VEC = {
    "@architectures": "spacy.Tok2Vec.v2",
    "embed": {"@architectures": "spacy.MultiHashEmbed.v2", "width": WIDTH,
              "attrs": list(ROWS), "rows": list(ROWS.values()),
              "include_static_vectors": False},
    "encode": {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": WIDTH, "depth": 4,
               "window_size": 1, "maxout_pieces": 3},
}
TAGGER = {
    "@architectures": "spacy.Tagger.v2", "nO": None, "normalize": False,
    "tok2vec": {"@architectures": "spacy.Tok2VecListener.v1", "width": WIDTH,
                "upstream": "tok2vec"},
}


def make_doc(vocab, words):
    """A sentence's words as a Doc: a space after each word but the last."""
    return Doc(vocab, words=words, spaces=[True] * (len(words) - 1) + [False])


def count_params(nlp):
    """Trainable values of the pipeline's components."""
    return int(sum(node.get_param(name).size for _, component in nlp.pipeline
                   for node in component.model.walk()
                   for name in node.param_names if node.has_param(name)))


def main():
    fix_random_seed(args.seed)
    nlp = spacy.blank("tr")
    nlp.add_pipe("tok2vec", config={"model": TOK2VEC})
    # overwrite: the same dev Docs are tagged after every epoch
    nlp.add_pipe("tagger", config={"model": TAGGER, "overwrite": True})
    train, dev, test = common.read_splits(args.task, args.data)
    examples = [Example.from_dict(make_doc(nlp.vocab, words), {"tags": tags})
                for words, tags in train]
    nlp.initialize(lambda: examples)
    # spaCy's default optimizer has weight decay and gradient clipping; the bench's has neither.
    optimizer = Adam(args.lr, L2=0.0, grad_clip=0.0, use_averages=False)

    # Dev and test: Docs, with the hashes of their tags, which Doc.to_array("TAG") gives for the
    # predicted tags.
    def docs(split):
        return [(make_doc(nlp.vocab, words), [nlp.vocab.strings.add(tag) for tag in tags])
                for words, tags in split]

    data = SimpleNamespace(train=list(zip(examples, (tags for _, tags in train))),
                           dev=docs(dev), test=docs(test), rows=sum(ROWS.values()),
                           labels=sorted({tag for _, tags in train for tag in tags}))

    def step(batch):
        # The tagger's gradient is summed over the batch's tokens (its loss has normalize=False),
        # and its loss is the sum of squares of (probabilities - one-hot) over them.
        losses = {}
        nlp.update([example for example, _ in batch], drop=0.0, sgd=optimizer, losses=losses)
        return lambda: (losses["tagger"], sum(len(tags) for _, tags in batch))

    def predict(docs):
        tagged = nlp.pipe(docs, batch_size=common.INFER_BATCH)
        return numpy.concatenate([doc.to_array("TAG") for doc in tagged])

    common.run(args, data, step, predict, count_params(nlp),
               script="bench/spacy_bench.py", framework="spacy", lstm=None,
               spacy=spacy.__version__, thinc=thinc.__version__, numpy=numpy.__version__)


if __name__ == "__main__":
    main()
