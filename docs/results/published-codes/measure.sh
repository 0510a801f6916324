#!/usr/bin/env bash
# Row A's plan (fm-tune-fresh-60m) as is, with a GLASS-like graph (M 24, efC 200, built on codes after 500),
# and that graph with the prefetch calibrated at run time; hnswlib and the two published codes beside them,
# in one crinn-bench run. The published codes are not part of this project: build each from its own
# repository (see benchmarks.md, row E) into a library exporting include/crinn/index_abi.h, at the
# paths below.
set -euo pipefail
rm -rf /tmp/gab && mkdir -p /tmp/gab && cd /tmp/gab
for v in base graph calib; do
  /usr/bin/python3 - "$v" <<'PY'
import json, sys
v = sys.argv[1]
plan = json.load(open('/work/main/docs/results/fm-tune-fresh-60m/plan.json'))
for e in plan['plan']:
    if v in ('graph', 'calib'):
        if e['site'] == 'constant:hnsw::Params::M': e['params']['value'] = 24
        if e['site'] == 'constant:hnsw::Params::ef_construction': e['params']['value'] = 200
        if e['rewrite'] == 'quantized-distance': e['params']['build'] = 500
    if v == 'calib' and e['rewrite'] == 'prefetch-insertion': e['params']['calibrate'] = 1
json.dump(plan, open(f'plan-{v}.json', 'w'))
PY
  /work/main/build/bin/crinn-opt --plan plan-$v.json -o tree-$v /work/main/baselines/hnsw/hnsw.cpp /work/main/baselines/hnsw/crinn_index.cpp -- -std=c++17 -I/work/main/include 2>/dev/null
  cmake -S tree-$v -B build-$v -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRINN_INCLUDE_DIR=/work/main/include > /dev/null
  nice ninja -C build-$v > /dev/null
done
/work/main/build/bin/crinn-bench --dataset fashion-mnist-784-euclidean --index base@build-base/libcrinn_hnsw.so \
  --index graph@build-graph/libcrinn_hnsw.so --index calib@build-calib/libcrinn_hnsw.so --index hnswlib \
  --index crinn-published@/work/peers/build/libcrinn_published.so --index glass@/work/peers/build/libcrinn_glass.so --queries 1000 --runs 5 \
  --ef 16,24,32,48,64,96,128,192,256,384 --recall-window 0.99,0.999
