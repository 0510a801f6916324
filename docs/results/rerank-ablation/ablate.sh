#!/usr/bin/env bash
# Row C's plan on hnswlib's source, as is, with rerank_ahead 2, and with FP16 re-ranking too.
set -euo pipefail
rm -rf /tmp/abl && mkdir -p /tmp/abl && cd /tmp/abl
for v in base ahead half; do
  /usr/bin/python3 - "$v" <<'PY'
import json, sys
v = sys.argv[1]
plan = json.load(open('/work/main/docs/results/hnswlib-tune-30m/plan.json'))
for e in plan['plan']:
    if e['rewrite'] == 'quantized-distance':
        if v in ('ahead', 'half'): e['params']['rerank_ahead'] = 2
        if v == 'half': e['params']['rerank_precision'] = 16
json.dump(plan, open(f'plan-{v}.json', 'w'))
PY
  /work/main/build/bin/crinn-opt --plan plan-$v.json -o tree-$v /tmp/hl/crinn_index.cpp --root /tmp/hl -- -std=c++17 -I/work/main/include -I/tmp/hl -march=native 2>/dev/null
  cmake -S tree-$v -B build-$v -G Ninja -DCRINN_INCLUDE_DIR=/work/main/include > /dev/null
  ninja -C build-$v > /dev/null
done
/work/main/build/bin/crinn-bench --dataset fashion-mnist-784-euclidean --index base@build-base/libcrinn_hnswlib.so \
  --index ahead@build-ahead/libcrinn_hnswlib.so --index half@build-half/libcrinn_hnswlib.so --queries 1000 --runs 5 \
  --ef 24,32,48,64,96,128,192,256,384 --recall-window 0.99,0.999
