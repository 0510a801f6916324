#!/usr/bin/env bash
# The best variant of a crinn-tune run against every peer on Fashion-MNIST in
# one session: crinn-bench runs the original, the variant, hnswlib and faiss
# interleaved; then PyNNDescent (Debian's python3-pynndescent, one thread, one
# query at a time, after its JIT warm-up) on the same queries; then the
# variant's QPS ratios at recall 0.99 and 0.999 against each, and its build
# time and index memory (codes included) against the original's.
#
#   bash bench/peers-python.sh [tune output dir (default build/demo/tune)]
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-build/demo/tune}
CRINN_EXTRA_PACKAGES="python3-pynndescent" bash tools/setup.sh > /dev/null

[ -d "$run/best" ] || { echo "peers-python.sh: $run/best: no best variant (run crinn-tune first)" >&2; exit 1; }
out=build/peers-python
rm -rf "$out" && mkdir -p "$out"
cmake -S "$run/best" -B "$out/best-build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRINN_INCLUDE_DIR="$PWD/include" > /dev/null
cmake --build "$out/best-build" > /dev/null
variant=$(ls "$out"/best-build/libcrinn_*.so | head -1)

./build/bin/crinn-bench --dataset fashion-mnist-784-euclidean --queries 1000 --runs 3 \
  --ef 10,16,24,32,48,64,96,128,192,256,384,512 --recall-window 0.95,0.999 \
  --index original@build/lib/libcrinn_hnsw.so --index "best@$variant" --index hnswlib --index faiss-hnsw \
  --json "$out/bench.json" | tee "$out/bench.txt"
echo
/usr/bin/python3 bench/peers_python.py --crinn-json "$out/bench.json" --variant best --queries 1000 --runs 3 \
  | tee "$out/ratios.txt"
echo
echo "faiss is Debian's generic build (no AVX2): its numbers are not faiss at its best."
