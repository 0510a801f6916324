#!/usr/bin/env bash
# Tunes baselines/hnsw twice with the same seed: once with
# --executor slurm --parallel 2 on a one-node Slurm cluster that this script
# starts on this machine (tools/slurm-local-cluster.sh) and stops, once with
# the local executor. Prints, per candidate, both runs' plans, failures and
# rewards with their intervals, and whether they agree: the same plan, the
# same failure, overlapping reward intervals. The random policy is used so that
# later rounds do not depend on the noise of earlier rewards (a learning
# policy would then propose other plans in the two runs).
#
# usage: bash bench/slurm-vs-local.sh [out dir]   (default build/slurm-vs-local)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build/slurm-vs-local}")

# The out dir is replaced only if this script made it (its marker file is
# there): any other existing dir, such as the source tree, is refused.
marker=.crinn-slurm-vs-local
if [ -e "$out" ] && [ ! -e "$out/$marker" ]; then
  echo "bench/slurm-vs-local.sh: error: $out exists and was not written by this script; name a new dir" >&2
  exit 2
fi
bash tools/setup.sh > /dev/null
rm -rf "$out"
mkdir -p "$out"
touch "$out/$marker"
source tools/slurm-local-cluster.sh
start_slurm_cluster "$out/cluster"

args=(--source baselines/hnsw --dataset synthetic:n=20000,queries=500,dim=96,clusters=100,intrinsic=32
      --policy random --seed 7 --iterations 2 --group 4 --runs 3 --ef 10,16,24,32,48,64,96,128
      --recall-window 0.95,0.999)
echo "== crinn-tune --executor slurm --parallel 2"
./build/bin/crinn-tune "${args[@]}" --executor slurm --parallel 2 --slurm-cpus 1 \
  --slurm-node-cache "$out/node-cache" --out "$out/slurm" > "$out/slurm.txt" 2> "$out/slurm.log"
echo "== crinn-tune (local)"
./build/bin/crinn-tune "${args[@]}" --out "$out/local" > "$out/local.txt" 2> "$out/local.log"
stop_slurm_cluster

python3 - "$out/local/history.jsonl" "$out/slurm/history.jsonl" <<'PY'
import json, sys
local, slurm = ([json.loads(line) for line in open(path)] for path in sys.argv[1:])
def plan(entry):
    return " + ".join(sorted({step["rewrite"] for step in entry["plan"]["plan"]})) or "(none)"
def reward(entry):
    if entry["failure"] != "none":
        return entry["failure"]
    return f"{entry['reward']:.3f}x [{entry['reward_low']:.3f}, {entry['reward_high']:.3f}]"
print(f"{'#':>2}  {'local':<26} {'slurm':<26} agree  plan")
agreeing = 0
for l, s in zip(local, slurm):
    same = l["plan"] == s["plan"] and l["failure"] == s["failure"]
    if same and l["failure"] == "none":
        same = s["reward_low"] <= l["reward_high"] and l["reward_low"] <= s["reward_high"]
    agreeing += same
    print(f"{l['index']:>2}  {reward(l):<26} {reward(s):<26} {'yes' if same else 'NO':<5}  {plan(l)}")
print(f"{agreeing} of {max(len(local), len(slurm))} candidates agree")
sys.exit(0 if agreeing == len(local) == len(slurm) else 1)
PY
echo "report dirs: $out/slurm (jobs/jobs.jsonl: the Slurm journal) and $out/local"
