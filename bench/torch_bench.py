"""PyTorch baseline: embed (64) >> packed BiLSTM (64 per direction) >> attention >> softmax
(textcat), or >> softmax per token (tagger). Prints one JSON line.

    python bench/torch_bench.py --task textcat|tagger [--threads N]
        [--inference packed|padded|onnxruntime]

The network always trains on packed sequences. --inference says how the trained network then
predicts when timed and scored:
- packed (the default): as it trains, through pack_padded_sequence;
- padded: on the padded batch, without packing, under torch.inference_mode (PaddedNet);
- onnxruntime: PaddedNet exported with torch.onnx and run by ONNX Runtime on --threads threads.
Each predicts the texts sorted by length (stable), in batches of INFER_BATCH, and puts the
predictions back in the texts' order (common.ByLength), as a user who pads batches would; with
packing too, that was faster than batches in file order. Before timing, padded and onnxruntime
are checked against packed prediction on batches in file order, on every dev and test item (the
same argmax, scores within CHECK_TOLERANCE); the run fails if they differ. Their JSON
lines leave the training figures null: that training is the packed run's.
"""
import os
import sys
import tempfile
import warnings

import common

args = common.parse_args(__doc__, inference_choices=["packed", "padded", "onnxruntime"])

import numpy  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

# The largest difference of a score (logit) allowed between packed prediction and another way
CHECK_TOLERANCE = 1e-4
ONNX_OPSET = 17


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
        return classify(self, hidden, padding_mask(lengths, ids.shape[1]))


class PaddedNet(nn.Module):
    """`net`'s network on the padded batch, without packing, the same weights (shared). The
    forward direction of the LSTM runs over the batch as it is: a text's padding comes after its
    tokens and never reaches them. The backward direction runs as a forward LSTM over every
    text's tokens reversed in place (padding left at the end), so that it too starts from the
    text's last token; its outputs are put back in order. Running nn.LSTM(bidirectional=True)
    over the padded batch would start the backward direction from the padding, and differ."""

    def __init__(self, net):
        super().__init__()
        self.embed, self.query, self.out = net.embed, net.query, net.out
        self.ahead = one_direction(net.lstm, "")
        self.back = one_direction(net.lstm, "_reverse")

    def forward(self, ids, lengths):
        # ids: (B, T) padded with 0; lengths: (B,)
        reverse = reversal(lengths, ids.shape[1])
        ahead, _ = self.ahead(self.embed(ids))
        back, _ = self.back(self.embed(ids.gather(1, reverse)))
        back = back.gather(1, reverse.unsqueeze(-1).expand(-1, -1, back.shape[2]))
        hidden = torch.cat([ahead, back], dim=2)
        return classify(self, hidden, padding_mask(lengths, ids.shape[1]))


def one_direction(lstm, suffix):
    """A one-directional nn.LSTM holding the parameters of one direction of `lstm` (suffix ""
    or "_reverse"), shared."""
    single = nn.LSTM(lstm.input_size, lstm.hidden_size, batch_first=True)
    for name in single._flat_weights_names:
        setattr(single, name, getattr(lstm, name + suffix))
    return single


def padding_mask(lengths, width):
    """(B, T): true at a text's tokens, false at its padding."""
    return torch.arange(width)[None, :] < lengths[:, None]


def reversal(lengths, width):
    """(B, T) positions that reverse every text's tokens in place and leave its padding:
    lengths[b] - 1 - t for t < lengths[b], t after. It is its own inverse."""
    positions = torch.arange(width)[None, :]
    inside = positions < lengths[:, None]
    return torch.where(inside, lengths[:, None] - 1 - positions, positions)


def classify(net, hidden, mask):
    """The logits of the BiLSTM's padded outputs `hidden` (B, T, 2·HIDDEN): for textcat, of
    their attention-weighted sum over the tokens (padding masked out), one row per text; for
    the tagger, of every token's, sentence after sentence (padding left out)."""
    if net.query is None:
        return net.out(hidden[mask])
    scores = (hidden @ net.query).masked_fill(~mask, float("-inf"))
    pooled = (torch.softmax(scores, dim=1).unsqueeze(-1) * hidden).sum(dim=1)
    return net.out(pooled)


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
    def packed_scores(ids):  # no dropout: training and inference modes compute the same
        return net(*collate(ids))

    # Every way predicts the texts sorted by length, in batches of INFER_BATCH (common.ByLength)
    per_token = args.task == "tagger"

    def deploy():
        """The timed predictor of --inference, checked against packed prediction first."""
        if args.inference == "padded":
            scores, fields = padded_scorer(net), {}
        else:
            with tempfile.TemporaryDirectory() as folder:  # the session keeps the model
                scores, fields = onnxruntime_scorer(net, args.threads, folder)
        fields.update(check(packed_scores, common.ByLength(scores, per_token),
                            common.inference_inputs(data)))
        return common.ByLength(lambda ids: scores(ids).argmax(-1), per_token), fields

    framework = "onnxruntime" if args.inference == "onnxruntime" else "pytorch"
    common.run(args, data, step,
               common.ByLength(lambda ids: packed_scores(ids).argmax(dim=-1), per_token),
               sum(p.numel() for p in net.parameters()),
               deploy=None if args.inference == "packed" else deploy,
               script="bench/torch_bench.py", framework=framework, lstm=framework,
               inference=args.inference, torch=torch.__version__)


def padded_scorer(net):
    """The scores of PaddedNet under torch.inference_mode, as a function of token-id lists."""
    padded = PaddedNet(net).eval()

    @torch.inference_mode()
    def scores(ids):
        return padded(*collate(ids))

    return scores


def onnxruntime_scorer(net, threads, folder):
    """PaddedNet exported to ONNX in `folder` (the batch and length axes dynamic; token ids and
    lengths as inputs) and loaded into an ONNX Runtime session on `threads` threads, sequential,
    with every graph optimization. Returns its scores as a function of token-id lists, and the
    fields of the JSON line that name the versions."""
    import onnx
    import onnxruntime

    path = os.path.join(folder, "net.onnx")
    # The TorchScript exporter (dynamo=False, deprecated since PyTorch 2.9 but there) writes
    # nn.LSTM as ONNX's LSTM operator without another package (the dynamo exporter needs
    # onnxscript). It warns that an LSTM exported from a batch of 2 may fail on other batch
    # sizes; check() runs batches of 128 and the smaller last one.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="You are using the legacy TorchScript")
        warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size")
        torch.onnx.export(PaddedNet(net).eval(), collate([[1, 2, 3], [4, 5]]), path,
                          dynamo=False, opset_version=ONNX_OPSET,
                          input_names=["ids", "lengths"], output_names=["scores"],
                          dynamic_axes={"ids": {0: "batch", 1: "length"},
                                        "lengths": {0: "batch"}, "scores": {0: "rows"}})
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])

    def scores(ids):
        padded, lengths = collate(ids)
        return session.run(None, {"ids": padded.numpy(), "lengths": lengths.numpy()})[0]

    return scores, {"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
                    "onnx_opset": ONNX_OPSET}


def check(expected, scores, inputs):
    """Compares `scores` with `expected` (packed prediction's, in batches of INFER_BATCH in file
    order) on `inputs`, each called as common.calls says: the rows (texts, or tokens) whose
    argmax differs and the largest difference of a score. Prints them; exits if any argmax
    differs or a score by more than CHECK_TOLERANCE. Returns them as fields of the JSON line."""
    want, got = (numpy.concatenate([numpy.asarray(predict(inputs[start:end]))
                                    for start, end in common.calls(predict, inputs)])
                 for predict in (expected, scores))
    if want.shape != got.shape:
        raise SystemExit(f"check: scores of shape {got.shape}, packed's {want.shape}")
    rows = len(want)
    differ = int((want.argmax(-1) != got.argmax(-1)).sum())
    largest = float(numpy.abs(want - got).max())
    print(f"check against packed prediction: {rows} rows (dev and test), argmax differs on "
          f"{differ}, largest score difference {largest:.3g}", file=sys.stderr)
    if differ or largest > CHECK_TOLERANCE:
        raise SystemExit(f"check failed: {args.inference} prediction differs from packed "
                         f"(tolerance {CHECK_TOLERANCE})")
    return {"check_rows": rows, "check_argmax_differs": differ,
            "check_max_abs_score_diff": largest}


if __name__ == "__main__":
    main()
