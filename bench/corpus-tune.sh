#!/usr/bin/env bash
# Tunes corpus programs (test/corpus/, indexes CRINN was not written against)
# on Fashion-MNIST with the built-in policy, one after another, and prints
# each one's closing comparison: the tuned variant against its own original,
# measured side by side in one interleaved run.
#
# usage: bash bench/corpus-tune.sh [budget] [program ...]   (default 10m; templated hnsw-blob vamana)
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-10m}
shift || true
programs=("$@")
[ ${#programs[@]} -eq 0 ] && programs=(templated hnsw-blob vamana)

bash tools/setup.sh > /dev/null
for program in "${programs[@]}"; do
  # A program is a directory name of test/corpus/, so that the out dir below
  # (removed and written again) stays under build/corpus-tune/.
  if [[ ! "$program" =~ ^[A-Za-z0-9_-]+$ ]] || [ ! -d "test/corpus/$program" ]; then
    echo "bench/corpus-tune.sh: error: '$program' is not a program of test/corpus/" >&2
    exit 2
  fi
done
for program in "${programs[@]}"; do
  out=build/corpus-tune/$program
  rm -rf "$out"
  mkdir -p "$(dirname "$out")"
  echo "== $program: crinn-tune for $budget"
  ./build/bin/crinn-tune --source "test/corpus/$program" --library "libcorpus_${program}.so" \
    --dataset fashion-mnist-784-euclidean --out "$out" --time-budget "$budget" --group 4 --queries 1000 \
    --runs 3 --ef 10,16,24,32,48,64,96,128,192,256,384,512 --recall-window 0.95,0.999 > "$out.txt" 2> "$out.log"
  python3 - "$out/comparison.json" "$program" <<'PY'
import json, sys
indexes = {i["label"]: i for i in json.load(open(sys.argv[1]))["indexes"]}
original, best = indexes["original"], indexes.get("best")
print(f"{'recall':>8} {'original QPS':>13} {'best QPS':>10} {'ratio':>7}")
for recall in ("0.95", "0.99", "0.999"):
    o = original["qps_at_recall"].get(recall)
    b = best["qps_at_recall"].get(recall) if best else None
    ratio = f"{b / o:.2f}x" if o and b else "-"
    print(f"{recall:>8} {o or 0:>13.0f} {b or 0:>10.0f} {ratio:>7}")
PY
  echo "plan: $out/plan.json; report: $out/report.html; log: $out.log"
done
