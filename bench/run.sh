#!/usr/bin/env bash
# Runs weft's benchmark (examples/bench.rs) beside the Thinc, PyTorch and ONNX Runtime
# baselines, one run at a time, collects their JSON lines and prints the comparison table. A
# failing run is reported in the table, and the others go on.
#
#   bench/run.sh                          # textcat and tagger, 1 and 2 threads, full length
#   TASKS=tagger THREADS=1 EPOCHS=1 bench/run.sh
#   TASKS=spacy_tagger THREADS=1 bench/run.sh   # spaCy's CNN tagger, weft beside spaCy
#   REPEAT=3 bench/run.sh                 # every run three times; the table shows medians
#
# Knobs (environment):
#   TASKS="textcat tagger" (or spacy_tagger)   THREADS="1 2"
#   EPOCHS=N (all tasks; default 5 textcat, 15 tagger, 5 spacy_tagger)
#   SYSTEMS (every task; default "weft thinc thinc-pytorchlstm pytorch pytorch-padded
#     onnxruntime", for spacy_tagger "weft spacy")   REPEAT=N (rounds over all runs; default 1)
#   PY=/tmp/weft-bench-venv/bin/python   SPACY_PY=/tmp/spacy-venv/bin/python
#   OUT=target/bench (logs, results-*.jsonl, table-*.md)
set -uo pipefail
cd "$(dirname "$0")/.."
TASKS=${TASKS:-"textcat tagger"}
THREADS=${THREADS:-"1 2"}
EPOCHS=${EPOCHS:-}
SYSTEMS=${SYSTEMS:-}
REPEAT=${REPEAT:-1}
PY=${PY:-/tmp/weft-bench-venv/bin/python}
SPACY_PY=${SPACY_PY:-/tmp/spacy-venv/bin/python}
OUT=${OUT:-target/bench}
stamp=$(date +%Y%m%d-%H%M%S)
results=$OUT/results-$stamp.jsonl
mkdir -p "$OUT"

# The systems that run a task: $SYSTEMS, or the task's own.
systems() {
  if [[ -n $SYSTEMS ]]; then
    echo "$SYSTEMS"
  elif [[ $1 == spacy_tagger ]]; then
    echo "weft spacy"
  else
    echo "weft thinc thinc-pytorchlstm pytorch pytorch-padded onnxruntime"
  fi
}

if [[ " $(for task in $TASKS; do systems "$task"; done) " == *" weft "* ]]; then
  cargo build --release --example bench || exit 1
fi

# Rounds go over every run in turn, so that a slow spell of the machine hits all systems alike.
for round in $(seq "$REPEAT"); do
  for task in $TASKS; do
    for threads in $THREADS; do
      for system in $(systems "$task"); do
        # lstm, inference: JSON values, as the runs print them
        inference=null
        case $system in
          weft) framework=weft lstm='"weft"' cmd=(target/release/examples/bench) ;;
          thinc) framework=thinc lstm='"thinc"' cmd=("$PY" bench/thinc_bench.py --lstm thinc) ;;
          thinc-pytorchlstm) framework=thinc lstm='"pytorch"' cmd=("$PY" bench/thinc_bench.py --lstm pytorch) ;;
          pytorch) framework=pytorch lstm='"pytorch"' inference='"packed"' cmd=("$PY" bench/torch_bench.py) ;;
          pytorch-padded) framework=pytorch lstm='"pytorch"' inference='"padded"'
            cmd=("$PY" bench/torch_bench.py --inference padded) ;;
          onnxruntime) framework=onnxruntime lstm='"onnxruntime"' inference='"onnxruntime"'
            cmd=("$PY" bench/torch_bench.py --inference onnxruntime) ;;
          spacy) framework=spacy lstm=null cmd=("$SPACY_PY" bench/spacy_bench.py) ;;
          *) echo "unknown system $system" >&2; exit 2 ;;
        esac
        cmd+=(--task "$task" --threads "$threads" ${EPOCHS:+--epochs "$EPOCHS"})
        log=$OUT/$stamp-$task-$system-t$threads-r$round
        echo "== round $round, $task, $threads thread(s): ${cmd[*]}" >&2
        "${cmd[@]}" > "$log.out" 2> "$log.err"
        status=$?
        line=$(grep '^{' "$log.out" | tail -n 1)
        if [[ $status -eq 0 && -n $line ]]; then
          echo "$line" >> "$results"
        else
          echo "   failed (exit $status): see $log.err" >&2
          printf '{"task": "%s", "threads": %s, "framework": "%s", "lstm": %s, "inference": %s, "error": "exit %s, see %s"}\n' \
            "$task" "$threads" "$framework" "$lstm" "$inference" "$status" "$log.err" >> "$results"
        fi
      done
    done
  done
done

{
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs."
  echo "Command: TASKS=\"$TASKS\" THREADS=\"$THREADS\" EPOCHS=\"$EPOCHS\" SYSTEMS=\"$SYSTEMS\" REPEAT=$REPEAT bench/run.sh"
  echo
  python3 bench/summarize.py "$results"
} | tee "$OUT/table-$stamp.md"
echo "results: $results" >&2
