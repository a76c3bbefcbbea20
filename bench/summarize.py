"""Markdown tables from the JSON lines of bench/run.sh: every run's figures, then weft's ratios
against the peers of the same task and thread count. When a run was repeated (REPEAT=N), the
table shows the median of its speed figures and of its ratios by turns, and the largest peak RSS.

    python3 bench/summarize.py target/bench/results-*.jsonl
"""
import json
import statistics
import sys

# (framework, lstm, inference) -> name, in table order; spaCy's CNN tagger has no LSTM. Only
# torch_bench.py's lines name their way of predicting (`inference`): those of bench/run.sh
# before it did were all packed.
SYSTEMS = {("weft", "weft", None): "weft", ("thinc", "thinc", None): "Thinc (own LSTM)",
           ("thinc", "pytorch", None): "Thinc + PyTorchLSTM",
           ("pytorch", "pytorch", "packed"): "PyTorch", ("pytorch", "pytorch", None): "PyTorch",
           ("pytorch", "pytorch", "padded"): "PyTorch padded",
           ("onnxruntime", "onnxruntime", "onnxruntime"): "ONNX Runtime",
           ("spacy", None, None): "spaCy"}
TASKS = ("textcat", "tagger", "spacy_tagger")  # in table order
# task -> (the peer that weft's speed and accuracy are set against, the peer that its peak RSS
# is set against: a Python framework that does not load torch)
REFERENCES = {"textcat": ("PyTorch", "Thinc (own LSTM)"),
              "tagger": ("PyTorch", "Thinc (own LSTM)"),
              "spacy_tagger": ("spaCy", "spaCy")}


SPEEDS = ("train_words_per_sec", "infer_words_per_sec")
# weft's runs on several threads also time training and prediction by turns, at one thread and
# at the run's threads, and prediction as that many independent one-thread predictors
# (examples/bench.rs): each ratio over one thread, taken within a run.
BY_TURNS = {
    "train_by_turns": ("train_words_per_sec_alternating", "train_words_per_sec_alternating_1t"),
    "predict_by_turns": ("infer_words_per_sec_alternating", "infer_words_per_sec_alternating_1t"),
    "independent_by_turns": ("infer_words_per_sec_independent",
                             "infer_words_per_sec_alternating_1t"),
}


def by_turns(result, ratio):
    """A ratio by turns of one run, or None when the run has none."""
    over, under = (result.get(field) for field in BY_TURNS[ratio])
    return over / under if over and under else None


def system(result):
    """The name of the system of a result."""
    return SYSTEMS[result["framework"], result["lstm"], result.get("inference")]


def combine(results):
    """One result for the repeats of a run: the median speeds and ratios by turns, the largest
    peak RSS, and how many repeats succeeded; a failure when none did. A speed that the runs
    leave null (the training of a system that only predicts) stays null."""
    good = [r for r in results if "error" not in r]
    if not good:
        return results[-1]
    combined = dict(good[-1])
    for field in SPEEDS:
        known = [r[field] for r in good if r[field] is not None]
        combined[field] = statistics.median(known) if known else None
    for ratio in BY_TURNS:
        known = [x for r in good if (x := by_turns(r, ratio)) is not None]
        combined[ratio] = statistics.median(known) if known else None
    combined["peak_rss_mb"] = max(r["peak_rss_mb"] for r in good)
    combined["repeats"] = len(good)
    return combined


def main(paths):
    repeats = {}  # (task, threads, system) -> every result
    for path in paths:
        with open(path) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    key = r["task"], r["threads"], system(r)
                    repeats.setdefault(key, []).append(r)
    runs = {key: combine(results) for key, results in repeats.items()}
    most = max((r.get("repeats", 1) for r in runs.values()), default=1)
    if most > 1:
        print(f"Speeds are medians of up to {most} repeats; peak RSS is the largest.")
        print()
    groups = sorted({(task, threads) for task, threads, _ in runs},
                    key=lambda g: (TASKS.index(g[0]), g[1]))
    order = list(dict.fromkeys(SYSTEMS.values()))

    print("| task | threads | system | epochs | train words/s | predict words/s (batch 128) "
          "| dev acc | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for task, threads in groups:
        for name in order:
            r = runs.get((task, threads, name))
            if r is None:
                continue
            if "error" in r:
                print(f"| {task} | {threads} | {name} | failed: {r['error']} | | | | |")
                continue
            train = r["train_words_per_sec"]
            print(f"| {task} | {threads} | {name} | {r['epochs_run']} "
                  f"| {'–' if train is None else f'{train:,.0f}'} "
                  f"| {r['infer_words_per_sec']:,.0f} "
                  f"| {r['dev_acc']:.4f} | {r['peak_rss_mb']:.0f} |")
    if any(r.get("inference") in ("padded", "onnxruntime") for r in runs.values()):
        print()
        print("PyTorch padded and ONNX Runtime predict with the network that PyTorch trained "
              "(the same seed and steps, in a run of their own): their training is PyTorch's "
              "row, and their predictions were checked against its packed ones.")
    by_length = [name for name in order
                 if any(r.get("infer_batches") == "sorted by length"
                        for (_, _, n), r in runs.items() if n == name)]
    if by_length:
        names = " and ".join(filter(None, [", ".join(by_length[:-1]), by_length[-1]]))
        print()
        print(f"{names} predicted the texts sorted by length, in batches of "
              "128, their predictions put back in order (the sorting timed with them); the "
              "others, weft included, predicted batches of 128 in file order.")

    print()
    print("weft's ratios (×: weft's words/s over the peer's; best peer: the fastest of the "
          "other configurations on that figure, named, among those that have it: for prediction "
          "PyTorch packed or padded, ONNX Runtime, Thinc's two, spaCy; for training those that "
          "train; ref.: PyTorch (packed), for spacy_tagger spaCy; RSS ref.: Thinc's own LSTM, "
          "for spacy_tagger spaCy):")
    print()
    print("| task | threads | train ÷ ref. | train ÷ best peer | predict ÷ ref. "
          "| predict ÷ best peer | dev acc − ref. | RSS ÷ RSS ref. | weft N threads ÷ 1 "
          "(train, predict) | N ÷ 1 by turns: train, predict (independent predictors) |")
    print("|---|---|---|---|---|---|---|---|---|---|")

    def ok(task, threads, name):
        """The result of a run that succeeded, or None."""
        r = runs.get((task, threads, name))
        return r if r and "error" not in r else None

    for task, threads in groups:
        weft = ok(task, threads, "weft")
        if weft is None:
            print(f"| {task} | {threads} | no weft result | | | | | | | |")
            continue
        peers = [(s, r) for s in order[1:] if (r := ok(task, threads, s))]
        reference, memory_reference = (ok(task, threads, s) for s in REFERENCES[task])
        one = ok(task, 1, "weft")

        def versus(field, peer):
            return f"{weft[field] / peer[field]:.2f}×" if peer else "–"

        def best(field):
            """weft against the fastest peer on `field`, named."""
            known = [(name, peer) for name, peer in peers if peer[field] is not None]
            if not known:
                return "–"
            name, peer = max(known, key=lambda p: p[1][field])
            return f"{versus(field, peer)} ({name})"

        accuracy = f"{weft['dev_acc'] - reference['dev_acc']:+.4f}" if reference else "–"
        memory = (f"{weft['peak_rss_mb'] / memory_reference['peak_rss_mb']:.2f}"
                  if memory_reference else "–")
        scaling = (f"{versus('train_words_per_sec', one)}, {versus('infer_words_per_sec', one)}"
                   if threads != 1 and one else "–")
        train, predict, independent = (weft.get(ratio) for ratio in BY_TURNS)
        turns = (f"{train:.2f}×, {predict:.2f}× ({independent:.2f}×)"
                 if train and predict and independent else "–")
        print(f"| {task} | {threads} | {versus('train_words_per_sec', reference)} "
              f"| {best('train_words_per_sec')} | {versus('infer_words_per_sec', reference)} "
              f"| {best('infer_words_per_sec')} | {accuracy} | {memory} | {scaling} "
              f"| {turns} |")


if __name__ == "__main__":
    main(sys.argv[1:])
