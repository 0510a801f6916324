#!/usr/bin/env bash
# How fast crinn-opt lists sites and applies a full plan on a translation unit
# of about 3,000 project lines: hnswlib's headers (from libhnswlib-dev), the
# baseline HNSW and the hnswlib adapter in one TU. Prints a table of wall
# times, best and median of N runs (default 5), beside clang's own parse of
# the same TU (-fsyntax-only), the floor any clang tool pays.
# Usage: bench/crinn-opt-speed.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
opt=build/bin/crinn-opt
[ -x "$opt" ] || { echo "build first: bash tools/setup.sh" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tree"
cp -r /usr/include/hnswlib "$work/tree/hnswlib"
cp baselines/hnsw/hnsw.h baselines/hnsw/hnsw.cpp "$work/tree/"
cp baselines/hnswlib/crinn_index.cpp "$work/tree/hnswlib_adapter.cpp"
printf '#include "hnswlib_adapter.cpp"\n#include "hnsw.cpp"\n' > "$work/tree/tu.cpp"
lines=$(cat "$work"/tree/hnswlib/*.h "$work"/tree/*.cpp "$work"/tree/hnsw.h | wc -l)

cat > "$work/plan.json" <<'PLAN'
{"plan": [
  {"site": "distance-kernel:hnsw::l2_squared", "rewrite": "simd-distance"},
  {"site": "distance-kernel:hnsw::inner_product_distance", "rewrite": "loop-unroll", "params": {"accumulators": 4}},
  {"site": "visited-set:hnsw::Index::search_layer::visited", "rewrite": "visited-set"},
  {"site": "neighbor-loop:hnsw::Index::search_layer", "rewrite": "loop-fission"},
  {"site": "neighbor-loop:hnsw::Index::search_layer", "rewrite": "prefetch-insertion", "params": {"adjacency": 1}},
  {"site": "neighbor-loop:hnsw::Index::search_layer", "rewrite": "early-termination"},
  {"site": "pruning:hnsw::Index::select_neighbours", "rewrite": "edge-pruning", "params": {"alpha": 1.1}},
  {"site": "vector-storage:hnsw::Index::data_", "rewrite": "aligned-storage"},
  {"site": "constant:hnsw::Params::ef_construction", "rewrite": "constant-tuning", "params": {"value": 150}},
  {"site": "distance-kernel:hnswlib::L2Sqr", "rewrite": "simd-distance"},
  {"site": "neighbor-loop:hnswlib::HierarchicalNSW::searchBaseLayerST", "rewrite": "prefetch-insertion"},
  {"site": "pruning:hnswlib::HierarchicalNSW::getNeighborsByHeuristic2", "rewrite": "edge-pruning", "params": {"alpha": 1.05}}
]}
PLAN

args=(-- -std=c++17 -march=native -I"$work/tree" -Iinclude)
time_runs() {  # prints best and median seconds of $runs runs of "$@"
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    end=$(date +%s.%N)
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%8.3f %8.3f", a[1], a[int((NR+1)/2)]}'
}

echo "crinn-opt on one translation unit: $lines project lines (hnswlib headers, baseline HNSW, adapter), $runs runs"
printf '%-36s %8s %8s\n' "step" "best s" "median s"
printf '%-36s %s\n' "clang -fsyntax-only (parse only)" "$(time_runs /usr/lib/llvm-19/bin/clang++ -fsyntax-only "$work/tree/tu.cpp" "${args[@]:1}")"
printf '%-36s %s\n' "--list-sites" "$(time_runs "$opt" --list-sites "$work/tree/tu.cpp" "${args[@]}")"
printf '%-36s %s\n' "--plan (12 rewrites) --diff" "$(time_runs "$opt" --plan "$work/plan.json" --diff "$work/tree/tu.cpp" "${args[@]}")"
printf '%-36s %s\n' "--plan (12 rewrites) -o <dir>" "$(time_runs "$opt" --plan "$work/plan.json" -o "$work/out" "$work/tree/tu.cpp" "${args[@]}")"
