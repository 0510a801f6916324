#!/usr/bin/env bash
# Is the built-in policy's learning real? Tunes baselines/hnsw with the
# built-in policy and with uniform random search over the same rewrite space,
# at the same evaluation budget (rounds x group), 3 seeds each, on two
# datasets, and prints the best reward found after each number of
# evaluations (mean over seeds) for both, then whether the policy is ahead.
# Every candidate is really built, verified and measured (crinn-tune), so
# this takes a while: about 30 minutes on 2 cores with the defaults.
# Usage: bench/learning.sh [out dir]   (ROUNDS, GROUP, SEEDS override the budget;
# CRINN_TUNE the crinn-tune binary)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/learning}
rounds=${ROUNDS:-5}
group=${GROUP:-4}
seeds=${SEEDS:-"1 2 3"}
tune=${CRINN_TUNE:-build/bin/crinn-tune}  # an installed copy keeps a long run apart from rebuilds
[ -x "$tune" ] || { echo "build first: bash tools/setup.sh" >&2; exit 1; }

datasets=(
  "clustered-l2@synthetic:n=10000,queries=200,dim=48,clusters=40,metric=euclidean,seed=3"
  "angular@synthetic:n=10000,queries=200,dim=64,clusters=16,metric=angular,seed=5"
)
mkdir -p "$out"
for entry in "${datasets[@]}"; do
  name=${entry%%@*} dataset=${entry#*@}
  for seed in $seeds; do
    for policy in builtin random; do
      run="$out/$name/$policy-$seed"
      [ -f "$run/comparison.json" ] && continue  # done in an earlier invocation
      echo "$name, $policy policy, seed $seed" >&2
      mkdir -p "$out/$name"
      resume=()
      [ -f "$run/history.jsonl" ] && resume=(--resume)
      "$tune" --source baselines/hnsw --dataset "$dataset" --out "$run" --policy "$policy" --seed "$seed" \
        --iterations "$rounds" --group "$group" --runs 3 --ef 10,16,24,32,48,64,96,128 \
        --recall-window 0.9,0.99 "${resume[@]}" > "$run.out" 2> "$run.err" \
        || { echo "crinn-tune failed, see $run.err" >&2; exit 1; }
    done
  done
done

python3 - "$out" $seeds <<'PY'
import json, os, sys
out, seeds = sys.argv[1], sys.argv[2:]

def best_so_far(path):
    best, curve = 1.0, []
    for line in open(path):
        record = json.loads(line)
        if record["failure"] == "none":
            best = max(best, record["reward"])
        curve.append(best)
    return curve

verdicts = []
for name in sorted(os.listdir(out)):
    if not os.path.isdir(os.path.join(out, name)):
        continue
    curves = {p: [best_so_far(os.path.join(out, name, f"{p}-{s}", "history.jsonl")) for s in seeds]
              for p in ("builtin", "random")}
    n = min(len(c) for cs in curves.values() for c in cs)
    mean = {p: [sum(c[i] for c in cs) / len(cs) for i in range(n)] for p, cs in curves.items()}
    failures = {p: sum(1 for s in seeds for line in open(os.path.join(out, name, f"{p}-{s}", "history.jsonl"))
                       if json.loads(line)["failure"] != "none") for p in curves}
    print(f"\n{name}: best reward so far (x the unmodified source), mean of seeds {' '.join(seeds)}")
    print(f"{'evaluations':>12} {'builtin':>9} {'random':>9}")
    for i in range(n):
        if (i + 1) % 4 == 0 or i + 1 == n:
            print(f"{i + 1:>12} {mean['builtin'][i]:>8.3f}x {mean['random'][i]:>8.3f}x")
    print(f"failed candidates: builtin {failures['builtin']}, random {failures['random']} (of {n * len(seeds)} each)")
    ahead = mean["builtin"][n - 1] > mean["random"][n - 1]
    verdicts.append(ahead)
    print(f"at {n} evaluations the built-in policy is {'ahead' if ahead else 'NOT ahead'}: "
          f"{mean['builtin'][n - 1]:.3f}x vs {mean['random'][n - 1]:.3f}x")
print("\nbuilt-in policy ahead on", sum(verdicts), "of", len(verdicts), "datasets")
PY
