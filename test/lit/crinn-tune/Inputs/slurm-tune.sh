#!/usr/bin/env bash
# slurm-tune.sh <crinn-tune> <source> <dir>: the Slurm executor end to end on
# a one-node cluster this script starts (tools/slurm-local-cluster.sh) and stops. A short
# tune with --executor slurm --parallel 2 in which the first job is killed
# with scancel (crinn-tune must submit it once more) and crinn-tune itself is
# killed with kill -9 once its jobs are in flight; --resume must reattach to
# them and lose nothing. The result must agree with the local executor's run
# on the same seed: the same plans, the same failures, overlapping reward
# intervals. The API key in crinn-tune's environment must reach no job.
set -euo pipefail
tune=$1 source=$2 dir=$3
rm -rf "$dir"
mkdir -p "$dir"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../../tools/slurm-local-cluster.sh"
start_slurm_cluster "$dir/cluster"

# Three paired runs of 500 queries each: a job measures while the other one
# compiles on the same two cores, and one run of a few milliseconds left its
# reward's interval blind to that (a fresh-clone CI measured 0.69-0.82 under
# Slurm against 1.00-1.50 here); with three, the interval holds the job's own
# run-to-run spread.
args=(--source "$source" --dataset synthetic:n=2000,queries=500,dim=16,clusters=10 --policy random --seed 5
      --iterations 2 --group 2 --ef 10,20,40,80 --runs 3 --recall-window 0.9,0.99 --compare-runs 3)
slurm=(--executor slurm --parallel 2 --slurm-cpus 1 --slurm-node-cache "$dir/node-cache")
jobs=$dir/slurm/jobs/jobs.jsonl

# The number of journaled job events matching a jq-free Python test.
count_events() {
  python3 - "$jobs" "$1" <<'EOF'
import json, sys
path, test = sys.argv[1], sys.argv[2]
try:
    events = [json.loads(line) for line in open(path) if line.strip()]
except FileNotFoundError:
    events = []
print(sum(1 for e in events if eval(test, {}, {"e": e})))
EOF
}

wait_for() {  # wait_for <python test on event e> <count>
  for _ in $(seq 600); do
    [ "$(count_events "$1")" -ge "$2" ] && return 0
    sleep 0.2
  done
  echo "timed out waiting for $2 job events with $1" >&2
  return 1
}

CRINN_LLM_API_KEY=slurm-test-secret "$tune" "${args[@]}" "${slurm[@]}" --out "$dir/slurm" > "$dir/first.out" 2> "$dir/first.err" &
pid=$!
wait_for 'e["event"] == "submitted"' 2
# Slurm keeps each pending or running batch job's environment in its state dir.
if grep -rqs slurm-test-secret "$dir/cluster/state" "$dir/slurm/jobs"; then
  echo "the API key reached a job" >&2
  exit 1
fi
read -r cancelled cancelled_index < <(python3 -c 'import json, sys; e = next(e for e in map(json.loads, open(sys.argv[1])) if e["event"] == "submitted"); print(e["job_id"], e["index"])' "$jobs")
# A cancel while Slurm is still launching the job can miss its payload, which
# then runs to a result: cancel once crinn-job says it has started.
for _ in $(seq 600); do
  grep -qs "crinn-job: started" "$dir/slurm/jobs/$cancelled_index/slurm-$cancelled.out" && break
  sleep 0.2
done
grep -qs "crinn-job: started" "$dir/slurm/jobs/$cancelled_index/slurm-$cancelled.out" || { echo "job $cancelled never started" >&2; exit 1; }
scancel "$cancelled"
wait_for 'e["event"] == "submitted" and e["attempt"] == 2' 1
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
# A job can finish while the resumed run parses the tree, leaving it nothing
# to reattach to: the jobs wait (running ones suspended, pending ones held)
# until it has reattached. One can also finish between squeue and scontrol
# (a loaded CI saw it): it is then not in the queue to resume or release.
running=() pending=()
for id in $(squeue -h -t R -o %i); do scontrol suspend "$id" 2>/dev/null && running+=("$id"); done
for id in $(squeue -h -t PD -o %i); do scontrol hold "$id" 2>/dev/null && pending+=("$id"); done
echo "killed crinn-tune with $((${#running[@]} + ${#pending[@]})) jobs in the queue"

"$tune" "${args[@]}" "${slurm[@]}" --out "$dir/slurm" --resume > "$dir/resumed.out" 2> "$dir/resumed.err" &
resumed=$!
wait_for 'e["event"] == "reattached"' 1 || { kill "$resumed"; cat "$dir/resumed.err" >&2; exit 1; }
for id in "${running[@]}"; do scontrol resume "$id"; done
for id in "${pending[@]}"; do scontrol release "$id"; done
wait "$resumed" || {
  cat "$dir/resumed.err" >&2
  exit 1
}
grep -q "crinn-tune: 4 candidates evaluated" "$dir/resumed.out" || { echo "the resumed run did not finish" >&2; exit 1; }
[ "$(squeue -h -o %i | wc -l)" -eq 0 ] || { echo "jobs left in the queue" >&2; exit 1; }

python3 - "$jobs" "$cancelled" <<'EOF'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
cancelled = sys.argv[2]
index = next(e["index"] for e in events if e.get("job_id") == cancelled)
ended = [e for e in events if e["event"] == "ended" and e["job_id"] == cancelled]
assert ended and ended[0]["state"] == "CANCELLED", f"no CANCELLED end of job {cancelled}: {ended}"
for i in range(4):
    submitted = [e for e in events if e["event"] == "submitted" and e["index"] == i]
    assert len(submitted) == (2 if i == index else 1), f"candidate {i} submitted {len(submitted)} times"
    results = [e for e in events if e["event"] == "result" and e["index"] == i]
    assert len(results) == 1, f"candidate {i}: {len(results)} results"
assert any(e["event"] == "reattached" for e in events), "the resumed run reattached to no job"
print(f"job {cancelled} (candidate {index}) cancelled and submitted once more; every candidate one result")
EOF

"$tune" "${args[@]}" --out "$dir/local" > "$dir/local.out" 2> "$dir/local.err"

python3 - "$dir/local/history.jsonl" "$dir/slurm/history.jsonl" <<'EOF'
import json, sys
local, slurm = ([json.loads(line) for line in open(path)] for path in sys.argv[1:])
assert len(local) == len(slurm) == 4, (len(local), len(slurm))
for l, s in zip(local, slurm):
    i = l["index"]
    assert s["index"] == i and s["plan"] == l["plan"], f"candidate {i}: another plan"
    assert s["failure"] == l["failure"], f"candidate {i}: {s['failure']} under Slurm, {l['failure']} here"
    assert s["failure"] != "executor"
    if l["failure"] == "none":
        assert s["reward_low"] <= l["reward_high"] and l["reward_low"] <= s["reward_high"], \
            f"candidate {i}: [{s['reward_low']}, {s['reward_high']}] under Slurm, [{l['reward_low']}, {l['reward_high']}] here"
    print(f"candidate {i}: {l['failure']}, reward {l['reward']:.3f} here, {s['reward']:.3f} under Slurm")
EOF
echo "slurm and local agree"
