#!/usr/bin/env bash
# The adaptive re-rank depth on two SQ4 plans, one crinn-bench run:
# row C's plan on hnswlib's source (181 re-ranked) and with rerank 16 + rerank_adaptive 2;
# row A's plan with the GLASS-like graph (M 24, efC 200, built on codes) on SQ4 codes, 16 re-ranked, and with rerank_adaptive 2.
set -euo pipefail
rm -rf /tmp/aab /tmp/hl && mkdir -p /tmp/aab && cp -r /work/main/baselines/hnswlib /tmp/hl && cp -r /usr/include/hnswlib /tmp/hl/hnswlib
cd /tmp/aab
for v in c-fixed c-adaptive a-fixed a-adaptive; do
  /usr/bin/python3 - "$v" <<'PY'
import json, sys
v = sys.argv[1]
source = 'hnswlib-tune-30m' if v.startswith('c-') else 'fm-tune-fresh-60m'
plan = json.load(open(f'/work/main/docs/results/{source}/plan.json'))
for e in plan['plan']:
    if v.startswith('a-'):
        if e['site'] == 'constant:hnsw::Params::M': e['params']['value'] = 24
        if e['site'] == 'constant:hnsw::Params::ef_construction': e['params']['value'] = 200
        if e['rewrite'] == 'quantized-distance':
            e['params'].update({'build': 500, 'bits': 4, 'rerank': 16})
    if v.endswith('adaptive') and e['rewrite'] == 'quantized-distance':
        e['params'].update({'rerank': 16, 'rerank_adaptive': 2, 'rerank_k': 10})
json.dump(plan, open(f'plan-{v}.json', 'w'))
PY
  if [[ $v == c-* ]]; then
    /work/main/build/bin/crinn-opt --plan plan-$v.json -o tree-$v /tmp/hl/crinn_index.cpp --root /tmp/hl -- -std=c++17 -I/work/main/include -I/tmp/hl -march=native 2>/dev/null
  else
    /work/main/build/bin/crinn-opt --plan plan-$v.json -o tree-$v /work/main/baselines/hnsw/hnsw.cpp /work/main/baselines/hnsw/crinn_index.cpp -- -std=c++17 -I/work/main/include 2>/dev/null
  fi
  cmake -S tree-$v -B build-$v -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRINN_INCLUDE_DIR=/work/main/include > /dev/null
  nice ninja -C build-$v > /dev/null
done
grep -l rerank_widening -r tree-c-adaptive tree-a-adaptive | head
/work/main/build/bin/crinn-bench --dataset fashion-mnist-784-euclidean \
  --index c-fixed@build-c-fixed/libcrinn_hnswlib.so --index c-adaptive@build-c-adaptive/libcrinn_hnswlib.so \
  --index a-fixed@build-a-fixed/libcrinn_hnsw.so --index a-adaptive@build-a-adaptive/libcrinn_hnsw.so --index hnswlib \
  --queries 1000 --runs 5 --ef 16,24,32,48,64,96,128,192,256,384 --recall-window 0.99,0.999
