#!/usr/bin/env bash
# The main job: set up, then measure the textbook HNSW baseline against
# hnswlib, faiss and brute force on Fashion-MNIST (ann-benchmarks'
# fashion-mnist-784-euclidean, from Debian's dataset-fashion-mnist), and say
# where the report is. Takes about 15 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh

out=build/demo
mkdir -p "$out"
./build/bin/crinn-bench --dataset fashion-mnist-784-euclidean --runs 3 \
  --recall-window 0.95,0.999 --json "$out/bench.json" --plot "$out/bench.html" | tee "$out/bench.txt"
echo
echo "report: $out/bench.html (plot and tables), $out/bench.json (every point), $out/bench.txt"
