"""PyTorch baseline: embed (64) >> packed BiLSTM (64 per direction) >> attention >> softmax
(textcat), or >> softmax per token (tagger). Prints one JSON line.

    python bench/torch_bench.py --task textcat|tagger [--threads N]
"""
import common

args = common.parse_args(__doc__)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402


class Net(nn.Module):
    """Token ids to logits: one row per text (textcat, with attention pooling) or per token
    (tagger). The embedding and the attention query start uniform(±0.1) and the output layer
    at zero, as in Thinc; the LSTM keeps PyTorch's initialization."""

    def __init__(self, task, rows, classes):
        super().__init__()
        self.embed = nn.Embedding(rows, common.WIDTH)
        nn.init.uniform_(self.embed.weight, -0.1, 0.1)
        self.lstm = nn.LSTM(common.WIDTH, common.HIDDEN, bidirectional=True, batch_first=True)
        self.query = None
        if task == "textcat":
            self.query = nn.Parameter(torch.empty(2 * common.HIDDEN).uniform_(-0.1, 0.1))
        self.out = nn.Linear(2 * common.HIDDEN, classes)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, ids, lengths):
        # ids: (B, T) padded with 0; lengths: (B,)
        packed = pack_padded_sequence(self.embed(ids), lengths, batch_first=True,
                                      enforce_sorted=False)
        hidden, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True,
                                        total_length=ids.shape[1])
        mask = torch.arange(ids.shape[1])[None, :] < lengths[:, None]
        if self.query is None:
            return self.out(hidden[mask])  # the real tokens, sentence after sentence
        scores = (hidden @ self.query).masked_fill(~mask, float("-inf"))
        pooled = (torch.softmax(scores, dim=1).unsqueeze(-1) * hidden).sum(dim=1)
        return self.out(pooled)


def collate(ids):
    """Token-id lists as a padded (B, T) tensor, and their lengths."""
    lengths = torch.tensor([len(x) for x in ids])
    padded = torch.zeros(len(ids), int(lengths.max()), dtype=torch.int64)
    for i, x in enumerate(ids):
        padded[i, :len(x)] = torch.as_tensor(x)
    return padded, lengths


def main():
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = common.Data(args.task, args.data)
    net = Net(args.task, data.rows, len(data.labels))
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)

    def step(batch):
        gold = torch.tensor([c for _, classes in batch for c in classes])
        loss = F.cross_entropy(net(*collate([ids for ids, _ in batch])), gold)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return lambda: (float(loss.detach()) * len(gold), len(gold))

    @torch.inference_mode()
    def predict(ids):  # no dropout: training and inference modes compute the same
        return net(*collate(ids)).argmax(dim=-1)

    common.run(args, data, step, predict, sum(p.numel() for p in net.parameters()),
               script="bench/torch_bench.py", framework="pytorch", lstm="pytorch",
               torch=torch.__version__)


if __name__ == "__main__":
    main()
