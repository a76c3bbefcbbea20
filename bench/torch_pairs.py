"""PyTorch reference of examples/pairs.rs: decomposable attention (Parikh et al. 2016) on
FarsTail, the same network, data and settings. Prints a line per epoch and one JSON line.

    python bench/torch_pairs.py [--epochs 10] [--threads 1] [--data ../shared/data] [--seed 0]

The network: embedding (64, uniform ±0.1) >> F = two ReLU layers (64, Glorot-uniform weights,
zero biases) on every token of both sides, shared; scores e_ij = F(a_i) · F(b_j); each token
aligned to the other side's F outputs by a softmax of its scores, masked over the padding, and
compared as [x; aligned; x - aligned; x * aligned]; G = two ReLU layers (64) on every compared
token, summed over the real tokens of each side; H = two ReLU layers (64) over the two sums side
by side; a linear output layer at zero and a softmax. Adam (lr 0.001, betas (0.9, 0.999), eps
1e-8), batches of 32 shuffled with the seed, mean cross-entropy. Vocabulary from both sides of
the training split, known tokens numbered from 1 by descending frequency (ties alphabetical),
row 0 for unseen tokens, as weft's. Training words per second count the tokens of both sides
over the time spent in training steps.
"""
import argparse
import json
import os
import random
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WIDTH = 64
BATCH = 32
LEARN_RATE = 0.001
EVAL_BATCH = 256

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data"))
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[name] = str(args.threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def read_pairs(path):
    """`label<TAB>premise<TAB>hypothesis` lines as (label, premise tokens, hypothesis tokens)."""
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return [(label, first.split(), second.split()) for label, first, second in rows]


def mlp(n_in):
    """Two ReLU layers of WIDTH, Glorot-uniform weights and zero biases, as weft's `relu`."""
    layers = [nn.Linear(n_in, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU()]
    for layer in layers[::2]:
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


class Decomposable(nn.Module):
    def __init__(self, rows, classes):
        super().__init__()
        self.embed = nn.Embedding(rows, WIDTH)
        nn.init.uniform_(self.embed.weight, -0.1, 0.1)
        self.attend = mlp(WIDTH)
        self.compare = mlp(4 * WIDTH)
        self.aggregate = mlp(2 * WIDTH)
        self.out = nn.Linear(WIDTH, classes)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, a_ids, a_mask, b_ids, b_mask):
        a, b = self.attend(self.embed(a_ids)), self.attend(self.embed(b_ids))  # (B, m, W), (B, n, W)
        scores = a @ b.transpose(1, 2)                                          # (B, m, n)
        beta = torch.softmax(scores.masked_fill(~b_mask[:, None, :], float("-inf")), dim=2)
        alpha = torch.softmax(scores.masked_fill(~a_mask[:, :, None], float("-inf")), dim=1)
        beta = torch.nan_to_num(beta) @ b                                       # (B, m, W)
        alpha = torch.nan_to_num(alpha).transpose(1, 2) @ a                     # (B, n, W)
        v1 = self.compare(torch.cat([a, beta, a - beta, a * beta], dim=2))
        v2 = self.compare(torch.cat([b, alpha, b - alpha, b * alpha], dim=2))
        v1 = (v1 * a_mask[:, :, None]).sum(dim=1)
        v2 = (v2 * b_mask[:, :, None]).sum(dim=1)
        return self.out(self.aggregate(torch.cat([v1, v2], dim=1)))


def padded(seqs):
    """Token-id lists as a (B, T) tensor padded with 0, and the mask of the real tokens."""
    longest = max(1, max(len(s) for s in seqs))
    ids = torch.zeros(len(seqs), longest, dtype=torch.int64)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.as_tensor(s, dtype=torch.int64)
    lengths = torch.tensor([len(s) for s in seqs])
    return ids, torch.arange(longest)[None, :] < lengths[:, None]


def main():
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    path = lambda split: os.path.join(args.data, f"pairs_farstail.{split}.tsv")
    train = read_pairs(path("train"))
    counts = {}
    for _, first, second in train:
        for token in first + second:
            counts[token] = counts.get(token, 0) + 1
    vocab = {w: i + 1 for i, w in enumerate(sorted(counts, key=lambda w: (-counts[w], w)))}
    labels = sorted({label for label, _, _ in train})
    encode = lambda rows: [([vocab.get(t, 0) for t in a], [vocab.get(t, 0) for t in b],
                            labels.index(label)) for label, a, b in rows]
    train, dev = encode(train), encode(read_pairs(path("dev")))
    test = encode(read_pairs(path("test"))) if os.path.exists(path("test")) else []
    net = Decomposable(len(vocab) + 1, len(labels))
    optimizer = torch.optim.Adam(net.parameters(), lr=LEARN_RATE)

    def inputs(batch):
        return (*padded([a for a, _, _ in batch]), *padded([b for _, b, _ in batch]))

    @torch.inference_mode()
    def accuracy(pairs):
        correct = 0
        for start in range(0, len(pairs), EVAL_BATCH):
            batch = pairs[start:start + EVAL_BATCH]
            predicted = net(*inputs(batch)).argmax(dim=1)
            correct += int((predicted == torch.tensor([c for _, _, c in batch])).sum())
        return correct / max(len(pairs), 1)

    rng = random.Random(args.seed)
    order = list(range(len(train)))
    words, seconds, dev_accs = 0, 0.0, []
    best, best_state = -1.0, None
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(order)
        loss_sum, epoch_words, epoch_seconds = 0.0, 0, 0.0
        for start in range(0, len(order), BATCH):
            batch = [train[i] for i in order[start:start + BATCH]]
            started = time.perf_counter()
            loss = F.cross_entropy(net(*inputs(batch)), torch.tensor([c for _, _, c in batch]))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            epoch_seconds += time.perf_counter() - started
            epoch_words += sum(len(a) + len(b) for a, b, _ in batch)
            loss_sum += float(loss.detach()) * len(batch)
        words, seconds = words + epoch_words, seconds + epoch_seconds
        dev_accs.append(round(accuracy(dev), 4))
        if dev_accs[-1] > best:
            best = dev_accs[-1]
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        print(f"epoch {epoch:>2}  loss {loss_sum / len(train):.4f}  dev acc {dev_accs[-1]:.4f}  "
              f"train words/s {epoch_words / epoch_seconds:.0f}", flush=True)
    net.load_state_dict(best_state)
    print(json.dumps({
        "system": "pytorch", "task": "pairs", "epochs": args.epochs, "threads": args.threads,
        "train_words_per_sec": round(words / seconds), "best_dev_acc": best,
        "last_dev_acc": dev_accs[-1], "dev_acc_per_epoch": dev_accs,
        "test_acc": round(accuracy(test), 4) if test else None,
        "params": sum(p.numel() for p in net.parameters()), "torch": torch.__version__,
    }), flush=True)


if __name__ == "__main__":
    main()
