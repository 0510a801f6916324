#!/usr/bin/env bash
# The main job: set up, then tune the textbook HNSW baseline (baselines/hnsw)
# on Fashion-MNIST (ann-benchmarks' fashion-mnist-784-euclidean, from Debian's
# dataset-fashion-mnist) with the built-in policy for a budget of about 10
# minutes, print the before/after table (the original, the best variant,
# hnswlib and faiss in one interleaved run) and say where the report is.
# Takes about 20 minutes on 2 cores after the set-up. A second invocation
# starts a new run; pass --resume to continue the last one instead.
# Usage: bench/demo.sh [--resume] [budget, default 10m]
set -euo pipefail
cd "$(dirname "$0")/.."
resume=()
if [ "${1:-}" = "--resume" ]; then resume=(--resume); shift; fi
budget=${1:-10m}
bash tools/setup.sh

out=build/demo/tune
if [ ${#resume[@]} -eq 0 ]; then rm -rf "$out"; fi
mkdir -p "$(dirname "$out")"
# 1000 queries and 3 interleaved runs per point keep a candidate near a
# minute; the closing comparison uses the same settings.
./build/bin/crinn-tune --source baselines/hnsw --dataset fashion-mnist-784-euclidean --out "$out" \
  --time-budget "$budget" --group 4 --queries 1000 --runs 3 --ef 10,16,24,32,48,64,96,128,192,256,384 \
  --recall-window 0.95,0.999 --peer hnswlib --peer faiss-hnsw "${resume[@]}" | tee "$out.txt"
echo
echo "faiss is Debian's generic build (no AVX2): its numbers are not faiss at its best."
echo "report: $out/report.html (open it in a browser); the table above: $out.txt"
