#!/usr/bin/env bash
# Ablations on the best graph plan so far: row A's plan (benchmarks.md) with M 24, efConstruction 200,
# the build on SQ4 codes once 500 vectors are in, and an adaptive re-rank (rerank 16, rerank_adaptive 2).
# Each set of variants is built from its plan and measured in one crinn-bench run beside CRINN's
# published code (built as benchmarks.md, row E, says; its path in PUBLISHED).
# Usage: docs/results/graph-ablations/ablate.sh <set> [out dir]
#   sets: calib-et (prefetch calibration; early termination with min_inserts),
#         rerank (re-rank depth, precision, code bits), pruning (edge-pruning alpha, extra degree),
#         prefetch (on ep12: no prefetch of every neighbour's code, the flat graph's row prefetch,
#                   a prefetch in the upper layers' greedy walk, early termination on top)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
bin=${CRINN_BIN:-$repo/build/bin}
published=${PUBLISHED:-/work/peers/build/libcrinn_published.so}
set_name=${1:?usage: ablate.sh <calib-et|rerank|pruning> [out dir]}
out=${2:-$repo/build/graph-ablations/$set_name}
peers=(--index "crinn-published@$published")
case "$set_name" in
  calib-et) variants="graph calib c-p8i1 c-p8i2 c-p4i3"; peers=(--index hnswlib "${peers[@]}") ;;
  rerank) variants="a2 all32 all16 sq8a2" ;;
  pruning) variants="a2 ep12 ep14 ep12x8" ;;
  prefetch) variants="ep12 pf0 pf0fg1 walk walket" ;;
  *) echo "ablate.sh: unknown set '$set_name' (calib-et, rerank, pruning, prefetch)" >&2; exit 2 ;;
esac
mkdir -p "$out" && cd "$out"
for v in $variants; do
  /usr/bin/python3 - "$repo/docs/results/fm-tune-fresh-60m/plan.json" "$v" <<'PY'
import json, sys
base, v = sys.argv[1:]
plan = json.load(open(base))
for e in plan['plan']:
    if e['site'] == 'constant:hnsw::Params::M': e['params']['value'] = 24
    if e['site'] == 'constant:hnsw::Params::ef_construction': e['params']['value'] = 200
    if e['rewrite'] == 'prefetch-insertion': e['params']['calibrate'] = 0 if v == 'graph' else 1
    if e['rewrite'] == 'quantized-distance':
        e['params'].update({'build': 500, 'bits': 4, 'rerank': 16, 'rerank_adaptive': 2, 'rerank_k': 10})
        if v.startswith('all'): e['params'].update({'rerank': 0, 'rerank_adaptive': 0})  # re-rank the whole beam
        if v == 'all16': e['params']['rerank_precision'] = 16
        if v == 'sq8a2': e['params']['bits'] = 8
if v.startswith('c-p'):  # c-p<patience>i<min_inserts>
    plan['plan'].append({'site': 'neighbor-loop:hnsw::Index::search_layer', 'rewrite': 'early-termination',
                         'params': {'patience': int(v[3]), 'min_expansions': 16, 'min_inserts': int(v[5])}})
pruning = {'ep12': (1.2, 0), 'ep14': (1.4, 0), 'ep12x8': (1.2, 8)}
if v in ('pf0', 'pf0fg1', 'walk', 'walket'):
    pruning[v] = (1.2, 0)
    for e in plan['plan']:
        if e['rewrite'] == 'quantized-distance': e['params']['prefetch'] = 0
        if e['rewrite'] == 'flat-graph' and v != 'pf0': e['params']['prefetch'] = 1
if v.startswith('walk'):
    plan['plan'].append({'site': 'neighbor-loop:hnsw::Index::greedy_closest', 'rewrite': 'prefetch-insertion',
                         'params': {'distance': 4, 'lines': 8, 'locality': 3, 'calibrate': 0}})
if v == 'walket':
    plan['plan'].append({'site': 'neighbor-loop:hnsw::Index::search_layer', 'rewrite': 'early-termination',
                         'params': {'patience': 8, 'min_expansions': 16, 'min_inserts': 1}})
if v in pruning:
    plan['plan'].append({'site': 'pruning:hnsw::Index::select_neighbours', 'rewrite': 'edge-pruning',
                         'params': {'alpha': pruning[v][0], 'extra_degree': pruning[v][1]}})
json.dump(plan, open(f'plan-{v}.json', 'w'))
PY
  rm -rf "tree-$v" "build-$v"
  "$bin/crinn-opt" --plan "plan-$v.json" -o "tree-$v" "$repo/baselines/hnsw/hnsw.cpp" "$repo/baselines/hnsw/crinn_index.cpp" \
    -- -std=c++17 -I"$repo/include" 2>/dev/null
  cmake -S "tree-$v" -B "build-$v" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRINN_INCLUDE_DIR="$repo/include" > /dev/null
  nice ninja -C "build-$v" > /dev/null
done
args=()
for v in $variants; do args+=(--index "$v@build-$v/libcrinn_hnsw.so"); done
"$bin/crinn-bench" --dataset fashion-mnist-784-euclidean "${args[@]}" "${peers[@]}" \
  --queries 1000 --runs 5 --ef 16,24,32,48,64,96,128,192,256,384 --recall-window 0.99,0.999
