#!/bin/sh
# Decomposable attention on FarsTail, weft (examples/pairs.rs) beside its PyTorch reference
# (bench/torch_pairs.py), one after the other on one thread, same data and settings; prints
# each run's lines, the load of the machine before each run (uptime), and a table of the two
# JSON lines.
#
#     bench/pairs.sh                  # 10 epochs
#     EPOCHS=2 bench/pairs.sh         # a quick check
set -eu
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-10}
PYTHON=${PYTHON:-/tmp/weft-bench-venv/bin/python}
OUT=target/bench/pairs-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
cargo build --release --example pairs
echo "== weft, load: $(uptime)"
RAYON_NUM_THREADS=1 target/release/examples/pairs --epochs "$EPOCHS" | tee "$OUT/weft.log"
echo "== pytorch, load: $(uptime)"
"$PYTHON" bench/torch_pairs.py --epochs "$EPOCHS" --threads 1 | tee "$OUT/pytorch.log"
echo "== done, load: $(uptime)"
grep -h '^{' "$OUT/weft.log" "$OUT/pytorch.log" > "$OUT/results.jsonl"
"$PYTHON" - "$OUT/results.jsonl" <<'PY'
import json, sys
runs = {r["system"]: r for r in map(json.loads, open(sys.argv[1]))}
print("| system | train words/s | best dev acc | last dev acc |")
print("|---|---|---|---|")
for name in ("weft", "pytorch"):
    r = runs[name]
    print(f"| {name} | {r['train_words_per_sec']:,.0f} | {r['best_dev_acc']:.4f} | {r['last_dev_acc']:.4f} |")
w, p = runs["weft"], runs["pytorch"]
print(f"\nweft / PyTorch: {w['train_words_per_sec'] / p['train_words_per_sec']:.1f}x training words/s; "
      f"best dev accuracy {100 * (w['best_dev_acc'] - p['best_dev_acc']):+.1f} points")
PY
