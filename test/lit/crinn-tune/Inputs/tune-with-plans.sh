#!/usr/bin/env bash
# tune-with-plans.sh <crinn-tune> <plans.json> <out> [crinn-tune args...]:
# runs crinn-tune with the llm policy against plan-server.py, which answers
# with the plans of <plans.json> in order, so the run evaluates exactly those
# (or replays a recorded llm-transcript.jsonl: see plan-server.py).
set -euo pipefail
tune=$1 plans=$2 out=$3
shift 3
rm -rf "$out" "$out.url" "$out.url.authorized"
python3 "$(dirname "$0")/plan-server.py" "$plans" "$out.url" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -s "$out.url" ] && break
  sleep 0.1
done
"$tune" --policy llm --llm-url "$(cat "$out.url")" --llm-model fixed-plans --out "$out" "$@"
