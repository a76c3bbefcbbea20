"""PyTorch reference of examples/han.rs, the hierarchical attention network: every sentence by
embed (64) >> packed BiLSTM (64 per direction) >> attention, every review as the sequence of its
sentence vectors by packed BiLSTM (64 per direction) >> attention >> linear + softmax. The same
settings as the example: vocabulary from the training split (known tokens from 1 by descending
frequency, ties alphabetical, 0 for unseen ones); embedding and attention queries
uniform(±0.1), output layer zero, the LSTMs PyTorch's own initialization; Adam (betas 0.9,
0.999, eps 1e-8) at --lr, batches of --batch-size reviews shuffled each epoch, mean
cross-entropy; the dev accuracy after every epoch and the test accuracy of the best epoch.
Prints a line per epoch, then the run's JSON line.

    python bench/torch_han.py [--train F --dev F --test F --epochs N --batch-size N --lr R
                               --seed N --threads N]
"""
import argparse
import json
import os
import random
import time

import common

SHARED = os.path.join(common.HERE, "..", "..", "shared", "data")
PREDICT_BATCH = 128

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--train", default=os.path.join(SHARED, "docs_polarity.train.tsv"))
parser.add_argument("--dev", default=os.path.join(SHARED, "docs_polarity.dev.tsv"))
parser.add_argument("--test")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--batch-size", type=int, default=common.BATCH)
parser.add_argument("--lr", type=float, default=common.LEARN_RATE)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--threads", type=int, default=1)
args = parser.parse_args()
for name in common.THREAD_VARIABLES:  # read once, when torch is imported
    os.environ[name] = str(args.threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402


def read_documents(path):
    """`label<TAB>sentence ||| sentence ...` lines as (label, [[token, ...], ...])."""
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return [(label, [s.split() for s in text.split(" ||| ")]) for label, text in rows]


class Encoder(nn.Module):
    """Sequences of vectors (padded, with their lengths) to one vector each: a packed BiLSTM,
    then attention with a learned query, masked over the padding. An empty sequence gives
    zeros, as weft's attention does."""

    def __init__(self, width):
        super().__init__()
        self.lstm = nn.LSTM(width, common.HIDDEN, bidirectional=True, batch_first=True)
        self.query = nn.Parameter(torch.empty(2 * common.HIDDEN).uniform_(-0.1, 0.1))

    def forward(self, x, lengths):
        out = torch.zeros(x.shape[0], 2 * common.HIDDEN)
        full = lengths > 0
        if not full.any():
            return out
        x, lengths = x[full], lengths[full]
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        hidden, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True,
                                        total_length=x.shape[1])
        mask = torch.arange(x.shape[1])[None, :] < lengths[:, None]
        scores = (hidden @ self.query).masked_fill(~mask, float("-inf"))
        pooled = (torch.softmax(scores, dim=1).unsqueeze(-1) * hidden).sum(dim=1)
        return out.index_put((full.nonzero().squeeze(1),), pooled)


class Han(nn.Module):
    """Reviews (sentences of token ids) to logits."""

    def __init__(self, rows, classes):
        super().__init__()
        self.embed = nn.Embedding(rows, common.WIDTH)
        nn.init.uniform_(self.embed.weight, -0.1, 0.1)
        self.words = Encoder(common.WIDTH)
        self.sentences = Encoder(2 * common.HIDDEN)
        self.out = nn.Linear(2 * common.HIDDEN, classes)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, ids, lengths, counts):
        # ids: every sentence of the batch, padded (S, T); lengths: (S,); counts: (B,)
        vectors = self.words(self.embed(ids), lengths)
        grouped = torch.zeros(len(counts), int(counts.max()), vectors.shape[1])
        mask = torch.arange(grouped.shape[1])[None, :] < counts[:, None]
        grouped[mask] = vectors
        return self.out(self.sentences(grouped, counts))


def collate(documents):
    """Every sentence of `documents` as a padded tensor with its lengths, and the number of
    sentences of each document."""
    sentences = [s for d in documents for s in d]
    lengths = torch.tensor([len(s) for s in sentences], dtype=torch.int64)
    padded = torch.zeros(len(sentences), max(1, int(lengths.max())), dtype=torch.int64)
    for i, s in enumerate(sentences):
        padded[i, :len(s)] = torch.as_tensor(s, dtype=torch.int64)
    return padded, lengths, torch.tensor([len(d) for d in documents])


def main():
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train = read_documents(args.train)
    counts = {}
    for _, sentences in train:
        for s in sentences:
            for token in s:
                counts[token] = counts.get(token, 0) + 1
    vocab = {w: i + 1 for i, w in enumerate(sorted(counts, key=lambda w: (-counts[w], w)))}
    labels = sorted({label for label, _ in train})

    def encode(documents):
        return [([[vocab.get(t, 0) for t in s] for s in sentences], labels.index(label))
                for label, sentences in documents]

    train, dev = encode(train), encode(read_documents(args.dev))
    test = encode(read_documents(args.test)) if args.test else None
    net = Han(len(vocab) + 1, len(labels))
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)

    @torch.inference_mode()
    def accuracy(examples):
        correct = 0
        for start in range(0, len(examples), PREDICT_BATCH):
            batch = examples[start:start + PREDICT_BATCH]
            predicted = net(*collate([d for d, _ in batch])).argmax(dim=-1).tolist()
            correct += sum(p == c for p, (_, c) in zip(predicted, batch))
        return correct / max(1, len(examples))

    rng = random.Random(args.seed)
    order = list(range(len(train)))
    words, seconds, dev_accs, best = 0, 0.0, [], None
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(order)
        loss_sum = 0.0
        for start in range(0, len(order), args.batch_size):
            batch = [train[i] for i in order[start:start + args.batch_size]]
            started = time.perf_counter()
            gold = torch.tensor([c for _, c in batch])
            loss = F.cross_entropy(net(*collate([d for d, _ in batch])), gold)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            seconds += time.perf_counter() - started
            words += sum(len(s) for d, _ in batch for s in d)
            loss_sum += float(loss.detach()) * len(batch)
        dev_accs.append(accuracy(dev))
        print(f"epoch {epoch}: loss {loss_sum / len(order):.4f}, dev acc {dev_accs[-1]:.4f}, "
              f"{words / seconds:.0f} words/s", flush=True)
        if best is None or dev_accs[-1] > best[0]:
            best = (dev_accs[-1], {k: v.clone() for k, v in net.state_dict().items()})
    net.load_state_dict(best[1])
    test_acc = round(accuracy(test), 4) if test else None
    print(json.dumps({
        "system": "pytorch", "threads": args.threads, "epochs": args.epochs,
        "batch_size": args.batch_size, "lr": args.lr,
        "n_params": sum(p.numel() for p in net.parameters()),
        "train_words_per_sec": round(words / seconds, 1),
        "dev_acc_per_epoch": [round(a, 4) for a in dev_accs],
        "best_dev_acc": round(max(dev_accs), 4), "test_acc": test_acc,
        "torch": torch.__version__,
    }), flush=True)


if __name__ == "__main__":
    main()
