#!/usr/bin/env bash
# The hierarchical attention network of examples/han.rs beside its PyTorch reference
# (bench/torch_han.py), with the same settings, one run after the other on one thread; prints
# each run's epochs, the load of the machine before each run (uptime), and a table of the two:
# training words/s, best and last dev accuracy.
#
#   bench/han.sh                     # 10 epochs, lr 0.001, batches of 32
#   EPOCHS=3 LR=0.003 bench/han.sh
#
# Knobs (environment): EPOCHS (10), LR (0.001), BATCH (32), SEED (0), THREADS (1),
#   DATA (../shared/data beside the checkout), PY (/tmp/weft-bench-venv/bin/python),
#   OUT (target/bench: logs and the results file).
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-10}
LR=${LR:-0.001}
BATCH=${BATCH:-32}
SEED=${SEED:-0}
THREADS=${THREADS:-1}
DATA=${DATA:-../shared/data}
PY=${PY:-/tmp/weft-bench-venv/bin/python}
OUT=${OUT:-target/bench}
stamp=$(date +%Y%m%d-%H%M%S)
results=$OUT/han-$stamp.jsonl
mkdir -p "$OUT"
options=(--train "$DATA/docs_polarity.train.tsv" --dev "$DATA/docs_polarity.dev.tsv"
  --epochs "$EPOCHS" --lr "$LR" --batch-size "$BATCH" --seed "$SEED")

cargo build --release --example han
echo "== weft: target/release/examples/han ${options[*]}; load: $(uptime)" >&2
RAYON_NUM_THREADS=$THREADS target/release/examples/han "${options[@]}" | tee "$OUT/han-$stamp-weft.out"
echo "== pytorch: bench/torch_han.py ${options[*]} --threads $THREADS; load: $(uptime)" >&2
"$PY" bench/torch_han.py "${options[@]}" --threads "$THREADS" | tee "$OUT/han-$stamp-pytorch.out"
grep -h '^{' "$OUT/han-$stamp-weft.out" "$OUT/han-$stamp-pytorch.out" > "$results"

python3 - "$results" <<'PY'
import json, sys
runs = {r["system"]: r for r in map(json.loads, open(sys.argv[1]))}
print(f"\n| system | threads | epochs | train words/s | best dev acc | last dev acc |")
print("|---|---|---|---|---|---|")
for name in ("weft", "pytorch"):
    r = runs[name]
    print(f"| {name} | {r['threads']} | {r['epochs']} | {r['train_words_per_sec']:.0f} "
          f"| {r['best_dev_acc']:.4f} | {r['dev_acc_per_epoch'][-1]:.4f} |")
w, p = runs["weft"], runs["pytorch"]
print(f"\nweft / pytorch: {w['train_words_per_sec'] / p['train_words_per_sec']:.1f}x the training "
      f"words/s; best dev accuracy {100 * (w['best_dev_acc'] - p['best_dev_acc']):+.1f} points")
PY
echo "results: $results" >&2
