#!/usr/bin/env bash
# Times weft's benchmark at two commits by turns, in one window, and prints the ratios: what a
# change did to training and prediction speed, free of the drift of a shared machine between
# two runs minutes apart.
#
#   bench/before_after.sh be8e2db HEAD               # both tasks, 1 epoch, 5 rounds
#   TASKS=tagger ROUNDS=9 EPOCHS=2 bench/before_after.sh main my-branch
#
# Each commit is built once into target/before-after/<commit> (from a detached worktree). Each
# round runs every task at the first commit, then at the second (the order alternating from round
# to round); the table gives the medians of each commit's figures and of the per-round ratios,
# and whether the two trained alike (the same losses and dev accuracy).
#
# Knobs (environment): TASKS="textcat tagger"  ROUNDS=5  EPOCHS=1  THREADS=1  INFER_SECONDS=3
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -eq 2 ]] || { sed -n '2,14p' "$0" >&2; exit 2; }
TASKS=${TASKS:-"textcat tagger"}
ROUNDS=${ROUNDS:-5}
EPOCHS=${EPOCHS:-1}
THREADS=${THREADS:-1}
INFER_SECONDS=${INFER_SECONDS:-3}
out=target/before-after
mkdir -p "$out"

# The benchmark binary of commit $1, built once.
build() {
  local commit dir
  commit=$(git rev-parse --short "$1")
  dir=$out/$commit
  if [[ ! -x $dir/bench ]]; then
    rm -rf "$dir/src" && git worktree add --detach "$dir/src" "$commit" >/dev/null
    CARGO_TARGET_DIR=$dir/target cargo build --release --example bench \
      --manifest-path "$dir/src/Cargo.toml" >&2
    cp "$dir/target/release/examples/bench" "$dir/bench"
    git worktree remove --force "$dir/src"
  fi
  echo "$dir/bench"
}

a=$(build "$1")
b=$(build "$2")
results=$out/$(date +%Y%m%d-%H%M%S).jsonl
for round in $(seq "$ROUNDS"); do
  for task in $TASKS; do
    pair=("a $a" "b $b")
    (( round % 2 == 0 )) && pair=("b $b" "a $a")
    for side in "${pair[@]}"; do
      read -r name bin <<<"$side"
      echo "== round $round, $task, $name" >&2
      line=$("$bin" --task "$task" --data examples/data --epochs "$EPOCHS" --threads "$THREADS" \
        --infer-seconds "$INFER_SECONDS" 2>/dev/null | grep '^{')
      echo "{\"side\": \"$name\", \"round\": $round, \"line\": $line}" >> "$results"
    done
  done
done

python3 - "$results" "$1" "$2" <<'EOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
a_name, b_name = sys.argv[2], sys.argv[3]
print(f"{a_name} (a) against {b_name} (b), {max(r['round'] for r in runs)} rounds by turns")
print("| task | train a | train b | b / a | predict a | predict b | b / a | trained alike |")
print("|---|---|---|---|---|---|---|---|")
for task in dict.fromkeys(r["line"]["task"] for r in runs):
    side = {s: {r["round"]: r["line"] for r in runs if r["side"] == s and r["line"]["task"] == task}
            for s in "ab"}
    rounds = sorted(side["a"])
    def figures(key):
        a = [side["a"][i][key] for i in rounds]
        b = [side["b"][i][key] for i in rounds]
        ratio = statistics.median(y / x for x, y in zip(a, b))
        return statistics.median(a), statistics.median(b), ratio
    ta, tb, tr = figures("train_words_per_sec")
    pa, pb, pr = figures("infer_words_per_sec")
    alike = all(side["a"][i]["train_loss_per_epoch"] == side["b"][i]["train_loss_per_epoch"]
                and side["a"][i]["dev_acc"] == side["b"][i]["dev_acc"] for i in rounds)
    print(f"| {task} | {ta:,.0f} | {tb:,.0f} | {tr:.3f} | {pa:,.0f} | {pb:,.0f} | {pr:.3f} | "
          f"{'yes' if alike else 'no'} |")
EOF
