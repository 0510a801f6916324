#!/usr/bin/env bash
# kill-and-resume.sh <crinn-tune> <source> <out>: starts a run, kills it with
# SIGKILL once a candidate is journaled, resumes it, and checks that the
# journal is whole and the run finished with all its candidates: the resume
# continues the round the kill cut short (issue 19, section 4), losing only
# the work on the candidate in flight.
set -euo pipefail
tune=$1 source=$2 out=$3
args=(--source "$source" --dataset synthetic:n=2000,queries=80,dim=16,clusters=10 --out "$out"
      --iterations 2 --group 2 --ef 10,20,40,80 --runs 1 --recall-window 0.9,0.99)
rm -rf "$out"
"$tune" "${args[@]}" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do
  [ -s "$out/history.jsonl" ] && break
  sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
before=$(wc -l < "$out/history.jsonl")
"$tune" "${args[@]}" --resume > "$out.stdout" 2> "$out.stderr"
after=$(wc -l < "$out/history.jsonl")
grep -q "resuming after $before candidates" "$out.stderr" || { echo "no resume message"; cat "$out.stderr"; exit 1; }
# Every line a complete record, and the run reached its last round.
python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$out/history.jsonl"
grep -q "round 2 of 2" "$out.stderr" || { echo "the resumed run did not finish"; exit 1; }
[ "$after" -eq 4 ] || { echo "expected 4 candidates, got $after"; exit 1; }
if [ "$before" -eq 1 ]; then
  grep -q "continuing round 1 after 1 of its 2 candidates" "$out.stderr" || { echo "round 1 was not continued"; cat "$out.stderr"; exit 1; }
fi
# The cut round's candidates are journaled as round 0, none twice.
python3 -c "
import json, sys
records = [json.loads(l) for l in open(sys.argv[1])]
assert [r['index'] for r in records] == [0, 1, 2, 3], records
assert [r['round'] for r in records] == [0, 0, 1, 1], [r['round'] for r in records]
" "$out/history.jsonl"
echo "killed after $before, resumed to $after candidates"
