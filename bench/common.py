"""What the Thinc and PyTorch baselines share: options, data, the training and timing loop, and
the JSON line.

A baseline calls `parse_args` first: it sets the thread variables of the BLAS and OpenMP
libraries, which they read once, when numpy or torch is first imported. This module imports
neither.
"""
import argparse
import json
import os
import random
import resource
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "examples", "data")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "BLIS_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")

WIDTH = 64           # embedding width
HIDDEN = 64          # LSTM units per direction
LEARN_RATE = 0.001   # Adam, betas (0.9, 0.999), eps 1e-8
BATCH = 32           # training batch
INFER_BATCH = 128    # prediction batch when timing
INFER_SECONDS = 3.0  # seconds of passes over the inference data when timing (--infer-seconds)
# spacy_tagger: as weft's example (examples/common/spacy_tagger.rs)
EPOCHS = {"textcat": 5, "tagger": 15, "spacy_tagger": 5}
FILES = {"textcat": "rt_polarity.{}.tsv", "tagger": "twt_upos.{}.conll",
         "spacy_tagger": "twt_upos.{}.conll"}


def parse_args(description, tasks=("textcat", "tagger"), lstm_choices=None,
               inference_choices=None):
    """The command line (--task among `tasks`, --epochs, --threads, --data, --batch-size, --lr,
    --seed, --lstm when the framework has a choice of LSTM, and --inference when it has a choice
    of ways to predict), with the thread variables set from --threads."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=tasks, required=True)
    parser.add_argument("--epochs", type=int, help="default: " + ", ".join(
        f"{EPOCHS[task]} for {task}" for task in tasks))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", default=DATA, help="folder of the data files")
    parser.add_argument("--batch-size", type=int, default=BATCH,
                        help=f"training batch, in texts or sentences (default {BATCH})")
    parser.add_argument("--lr", type=float, default=LEARN_RATE,
                        help=f"Adam's learning rate (default {LEARN_RATE})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--infer-seconds", type=float, default=INFER_SECONDS,
                        help="time prediction over passes of the inference data until this many "
                             "seconds have gone (after one untimed pass)")
    if lstm_choices:
        parser.add_argument("--lstm", choices=lstm_choices, default=lstm_choices[0])
    if inference_choices:
        parser.add_argument("--inference", choices=inference_choices,
                            default=inference_choices[0],
                            help="how the trained network predicts when timed and scored "
                                 f"(default {inference_choices[0]})")
    args = parser.parse_args()
    if args.epochs is None:
        args.epochs = EPOCHS[args.task]
    for name, least in {"epochs": 0, "threads": 1, "batch_size": 1}.items():
        if getattr(args, name) < least:
            parser.error(f"--{name.replace('_', '-')} must be at least {least}")
    if not args.lr > 0:
        parser.error("--lr must be positive")
    for name in THREAD_VARIABLES:
        os.environ[name] = str(args.threads)
    return args


class Data:
    """Every split of a task as examples `(ids, classes)`: token ids (0 for a token unseen in
    training) and a list of class indices, one per text (textcat) or one per token (tagger).
    The test split is empty when its file is missing."""

    def __init__(self, task, folder):
        train, dev, test = read_splits(task, folder)
        counts = {}
        for tokens, _ in train:
            for token in tokens:
                counts[token] = counts.get(token, 0) + 1
        # Known tokens from 1, by descending frequency, ties alphabetical: as weft's Vocab.
        words = sorted(counts, key=lambda w: (-counts[w], w))
        self.vocab = {w: i + 1 for i, w in enumerate(words)}
        self.labels = sorted({label for _, labels in train for label in labels})
        index = {label: i for i, label in enumerate(self.labels)}
        encode = lambda examples: [([self.vocab.get(t, 0) for t in tokens],
                                    [index.get(label, -1) for label in labels])
                                   for tokens, labels in examples]
        self.train, self.dev, self.test = encode(train), encode(dev), encode(test)
        self.rows = len(self.vocab) + 1


def read_splits(task, folder):
    """The train, dev and test splits of a task as examples `(tokens, labels)`: one label per
    text (textcat) or one per token (taggers). The test split is empty when its file is
    missing."""
    read = read_texts if task == "textcat" else read_tagged
    path = lambda split: os.path.join(folder, FILES[task].format(split))
    test = read(path("test")) if os.path.exists(path("test")) else []
    return read(path("train")), read(path("dev")), test


def read_texts(path):
    """`label<TAB>tokens` lines as (tokens, [label])."""
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t", 1) for line in f if line.strip()]
    return [(text.split(), [label]) for label, text in rows]


def read_tagged(path):
    """`token<TAB>tag` lines, a blank line after each sentence, as (tokens, tags)."""
    sentences, tokens, tags = [], [], []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                fields = line.rstrip("\n").split("\t")
                if len(fields) != 2 or not all(fields):
                    raise SystemExit(f"{path}:{number}: expected `token<TAB>tag`, got {line!r}")
                token, tag = fields
                tokens.append(token)
                tags.append(tag)
            elif tokens:
                sentences.append((tokens, tags))
                tokens, tags = [], []
    if tokens:
        sentences.append((tokens, tags))
    return sentences


def run(args, data, step, predict, n_params, deploy=None, **fields):
    """Trains for args.epochs epochs in shuffled batches, scoring dev after each; times
    prediction; prints the JSON line of the run, with `fields` added.

    data.train, data.dev and data.test hold examples `(input, classes)`: an input is whatever
    the baseline feeds its network (token ids; spaCy's Docs), and its len() counts its words.
    step(batch) trains on a list of examples of data.train and returns a function giving the
    batch's summed loss and its number of classes; it is called after the clock stops.
    predict(inputs) returns the predicted classes of a list of inputs, flat, as an array or
    tensor; a plain function is called on batches of INFER_BATCH in file order, a ByLength on
    all the inputs at once.

    deploy, when given, makes a run of another way of predicting with the trained network:
    deploy() is called after training and returns a predict function of that way and the fields
    it adds to the JSON line; that function is then timed and gives dev_acc and test_acc
    (dev_acc_per_epoch stays the training's). The training figures (train_words_seen,
    train_seconds, train_words_per_sec) are then null: the training is the framework's own run,
    reported there."""
    losses, dev_accs, words, seconds = train(args, data, step, predict)
    result = dict(fields)
    if deploy is not None:
        predict, deployed = deploy()
        result.update(deployed)
        words = seconds = None
    passes, infer_words, infer_seconds = time_prediction(args, data, predict)
    dev_acc = dev_accs[-1] if dev_accs else None
    if deploy is not None:
        dev_acc = round(accuracy(predict, data.dev), 4)
    result.update({
        "task": args.task, "threads": args.threads, "epochs_run": len(losses),
        "batch_size": args.batch_size, "vocab_rows": data.rows, "classes": len(data.labels),
        "n_params": n_params,
        "train_words_seen": words, "train_seconds": None if seconds is None else round(seconds, 3),
        "train_words_per_sec": round(words / seconds, 1) if seconds else None,
        "infer_batches": batch_order(predict), "infer_passes": passes,
        "infer_words": infer_words, "infer_seconds": round(infer_seconds, 3),
        "infer_words_per_sec": round(infer_words / infer_seconds, 1),
        "train_loss_per_epoch": losses, "dev_acc_per_epoch": dev_accs,
        "dev_acc": dev_acc, "best_dev_acc": max(dev_accs, default=None),
        "test_acc": round(accuracy(predict, data.test), 4) if data.test else None,
        # ru_maxrss is in KiB on Linux
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    })
    print(json.dumps(result), flush=True)


def train(args, data, step, predict):
    """Trains for args.epochs epochs in batches shuffled with args.seed, scoring dev with
    `predict` after each; returns the mean loss of each epoch, the dev accuracies, and the words
    trained on and the seconds inside the steps."""
    rng = random.Random(args.seed)
    order = list(range(len(data.train)))
    losses, dev_accs = [], []
    words, seconds = 0, 0.0
    for _ in range(args.epochs):
        rng.shuffle(order)
        loss_sum, count = 0.0, 0
        for start in range(0, len(order), args.batch_size):
            batch = [data.train[i] for i in order[start:start + args.batch_size]]
            started = time.perf_counter()
            batch_loss = step(batch)
            seconds += time.perf_counter() - started
            words += sum(len(ids) for ids, _ in batch)
            batch_sum, batch_count = batch_loss()
            loss_sum += batch_sum
            count += batch_count
        losses.append(round(loss_sum / count, 4))
        dev_accs.append(round(accuracy(predict, data.dev), 4))
    return losses, dev_accs, words, seconds


def inference_inputs(data):
    """The inputs prediction is timed on: dev's, then test's."""
    return [ids for ids, _ in data.dev + data.test]


class ByLength:
    """A predictor that batches texts of similar lengths, as a user who pads batches would.
    Called with a list of inputs (a whole timed pass, or a split), it sorts them by length
    (stable: texts of one length keep their order), cuts them into batches of INFER_BATCH,
    calls `predict_batch` on each, and returns the rows of its outputs (arrays or tensors) in
    the order of `inputs`, as one numpy array. The sorting and the putting back are its own
    work, timed with it. `per_token`: predict_batch gives a row per token (a tagger), not a row
    per text."""

    def __init__(self, predict_batch, per_token):
        self.predict_batch = predict_batch
        self.per_token = per_token

    def __call__(self, inputs):
        import numpy  # after parse_args: see the module's docstring

        order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]))
        rows = numpy.concatenate([
            numpy.asarray(self.predict_batch([inputs[i] for i in order[start:start + INFER_BATCH]]))
            for start in range(0, len(order), INFER_BATCH)])
        # The rows of the k-th text in sorted order start at sorted_starts[k]; the i-th input's
        # go to out_starts[i] onwards.
        counts = numpy.array([len(inputs[i]) if self.per_token else 1 for i in order])
        sorted_starts = numpy.cumsum(counts) - counts
        rank = numpy.empty(len(order), dtype=numpy.int64)
        rank[order] = numpy.arange(len(order))
        counts, starts = counts[rank], sorted_starts[rank]
        out_starts = numpy.cumsum(counts) - counts
        return rows[numpy.arange(len(rows)) + numpy.repeat(starts - out_starts, counts)]


def calls(predict, inputs):
    """The (start, end) slices of `inputs` that `predict` is called on: all of them at once for
    a ByLength (it makes its own batches), batches of INFER_BATCH in file order otherwise."""
    size = max(len(inputs), 1) if isinstance(predict, ByLength) else INFER_BATCH
    return [(start, start + size) for start in range(0, len(inputs), size)]


def batch_order(predict):
    """How `predict` batches the texts it predicts, for the JSON line."""
    return "sorted by length" if isinstance(predict, ByLength) else "file order"


def time_prediction(args, data, predict):
    """Passes of `predict` over the inference inputs (see `calls`): one untimed, then as many
    as args.infer_seconds take. Returns the timed passes, the words predicted in them and their
    seconds."""
    inputs = inference_inputs(data)
    spans = calls(predict, inputs)

    def one_pass():
        for start, end in spans:
            predict(inputs[start:end])

    one_pass()  # untimed: first-touch allocations, lazy set-up
    started, passes = time.perf_counter(), 0
    while passes == 0 or time.perf_counter() - started < args.infer_seconds:
        one_pass()
        passes += 1
    seconds = time.perf_counter() - started
    return passes, passes * sum(len(ids) for ids in inputs), seconds


def accuracy(predict, examples):
    """The share of the classes of `examples` that `predict` gets right."""
    correct = total = 0
    for start, end in calls(predict, examples):
        batch = examples[start:end]
        predicted = predict([ids for ids, _ in batch]).tolist()
        gold = [c for _, classes in batch for c in classes]
        correct += sum(p == g for p, g in zip(predicted, gold))
        total += len(gold)
    return correct / max(total, 1)
