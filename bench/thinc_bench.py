"""Thinc baseline: embed (64) >> BiLSTM (64 per direction) >> attention >> softmax (textcat),
or >> softmax per token (tagger). Prints one JSON line.

    python bench/thinc_bench.py --task textcat|tagger [--lstm thinc|pytorch] [--threads N]

--lstm thinc (the default) is Thinc's own LSTM; --lstm pytorch is PyTorchLSTM, which wraps
torch.nn.LSTM and hands it the padded batch.
"""
import sys

import common

args = common.parse_args(__doc__, lstm_choices=["thinc", "pytorch"])
if args.lstm == "thinc":
    # thinc.compat imports torch when it is installed, which adds about 800 MB of RSS: keep it
    # out so that the peak RSS is Thinc's own.
    sys.modules["torch"] = None
else:
    import torch

    torch.set_num_threads(args.threads)

import numpy  # noqa: E402
import thinc  # noqa: E402
from thinc.api import (LSTM, Adam, Embed, NumpyOps, ParametricAttention,  # noqa: E402
                       PyTorchLSTM, Softmax, chain, fix_random_seed, list2array,
                       list2ragged, reduce_sum, set_current_ops, with_array, with_padded)


def build(task, rows, classes, lstm):
    """The network, from a list of token-id arrays to class probabilities: one row per text
    (textcat) or per token (tagger). Embed starts uniform(±0.1), Softmax at zero, and
    ParametricAttention's query uniform(±0.1): Thinc's defaults."""
    if lstm == "thinc":
        bilstm = with_padded(LSTM(nO=2 * common.HIDDEN, nI=common.WIDTH, bi=True))
    else:
        bilstm = PyTorchLSTM(nO=2 * common.HIDDEN, nI=common.WIDTH, bi=True)
    if task == "textcat":
        pool = chain(list2ragged(), ParametricAttention(2 * common.HIDDEN), reduce_sum())
    else:
        pool = list2array()
    return chain(with_array(Embed(nO=common.WIDTH, nV=rows)), bilstm, pool,
                 Softmax(nO=classes, nI=2 * common.HIDDEN))


def count_params(model):
    """Parameters of Thinc's layers and of the PyTorch modules they wrap."""
    n = sum(node.get_param(name).size for node in model.walk()
            for name in node.param_names if node.has_param(name))
    n += sum(p.numel() for node in model.walk() for shim in node.shims
             for p in shim._model.parameters())
    return int(n)


def main():
    ops = NumpyOps()
    set_current_ops(ops)
    fix_random_seed(args.seed)
    data = common.Data(args.task, args.data)
    for split in ("train", "dev", "test"):
        examples = getattr(data, split)
        setattr(data, split, [(ops.asarray1i(ids), classes) for ids, classes in examples])
    one_hot = numpy.eye(len(data.labels), dtype="f")
    model = build(args.task, data.rows, len(data.labels), args.lstm)
    model.initialize(X=[ids for ids, _ in data.train[:8]])
    optimizer = Adam(args.lr, L2=0.0, grad_clip=0.0, use_averages=False)

    def step(batch):
        gold = numpy.asarray([c for _, classes in batch for c in classes])
        probs, backprop = model.begin_update([ids for ids, _ in batch])
        backprop((probs - one_hot[gold]) / len(gold))  # mean cross-entropy, through softmax
        model.finish_update(optimizer)
        return lambda: (float(-numpy.log(probs[numpy.arange(len(gold)), gold] + 1e-9).sum()),
                        len(gold))

    def predict(ids):
        return model.predict(ids).argmax(axis=1)

    common.run(args, data, step, predict, count_params(model),
               script="bench/thinc_bench.py", framework="thinc", lstm=args.lstm,
               thinc=thinc.__version__, numpy=numpy.__version__)


if __name__ == "__main__":
    main()
