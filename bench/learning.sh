#!/usr/bin/env bash
# The live confirmation of the offline policy race (issue 19): tunes each
# setting with each policy for the same number of evaluations over several
# seeds, every candidate really built, verified and measured, and scores a
# run by its closing comparison's headline (the best variant re-measured
# beside the original, paired run by run), as crinn-landscape scores a seed
# by the surrogate's noise-free reward of the plan that measured best. Prints,
# per setting and policy, the mean score with its 95 % bootstrap interval and
# the exact one-sided Mann-Whitney p-value of "the built-in policy scores
# higher", to set beside `crinn-landscape`'s table for the same setting.
# The settings are bench/landscape.sh's (bench/settings.sh). Finished runs are
# kept, so the script can be stopped and run again to go on.
# Usage: bench/learning.sh [setting ...]   (default: hnsw-angular hnsw-fmnist)
# SEEDS (default "1 2 3 4 5"), EVALUATIONS (default 20), GROUP (default 4),
# POLICIES (default "builtin random evolution"), OUT (default build/learning)
# and CRINN_TUNE (the crinn-tune binary; an installed copy keeps a long run
# apart from rebuilds) override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/settings.sh
settings=("$@")
[ ${#settings[@]} -gt 0 ] || settings=(hnsw-angular hnsw-fmnist)
seeds=${SEEDS:-"1 2 3 4 5"}
evaluations=${EVALUATIONS:-20}
group=${GROUP:-4}
policies=${POLICIES:-"builtin random evolution"}
out=${OUT:-build/learning}
tune=${CRINN_TUNE:-build/bin/crinn-tune}
[ -x "$tune" ] || { echo "build first: bash tools/setup.sh" >&2; exit 1; }
[ $((evaluations % group)) -eq 0 ] || { echo "bench/learning.sh: EVALUATIONS ($evaluations) is not a multiple of GROUP ($group)" >&2; exit 2; }
for name in "${settings[@]}"; do setting_args "$name" || exit 2; done

for name in "${settings[@]}"; do
  setting_args "$name"
  for seed in $seeds; do
    for policy in $policies; do
      run=$out/$name/$policy-$seed
      [ -f "$run/comparison.json" ] && continue  # finished in an earlier invocation
      mkdir -p "$out/$name"
      resume=()
      [ -f "$run/history.jsonl" ] && resume=(--resume)
      echo "$name: $policy policy, seed $seed ($evaluations plans)" >&2
      "$tune" "${setting[@]}" "${measure[@]}" --out "$run" --policy "$policy" --seed "$seed" \
        --iterations $((evaluations / group)) --group "$group" "${resume[@]}" > "$run.out" 2> "$run.err" \
        || { echo "crinn-tune failed, see $run.err" >&2; exit 1; }
    done
  done
done

/usr/bin/python3 - "$out" "$seeds" "$policies" "${settings[@]}" <<'PY'
import itertools, json, os, random, sys
out, seeds, policies, settings = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4:]

def score(run):
    """The closing comparison's paired ratio of the best variant; 1 when no candidate beat the original."""
    ratios = json.load(open(os.path.join(run, "comparison.json")))["paired_ratios"]
    return next((r["ratio"] for r in ratios if r["index"] == "best"), 1.0)

def bootstrap(values, draws=10000):
    rng = random.Random(1)
    means = sorted(sum(rng.choices(values, k=len(values))) / len(values) for _ in range(draws))
    return means[int(0.025 * draws)], means[int(0.975 * draws) - 1]

def mann_whitney_greater(a, b):
    """Exact one-sided p of U(a > b) over every split of the pooled scores."""
    def u(x, y):
        return sum((xi > yi) + 0.5 * (xi == yi) for xi in x for yi in y)
    observed, pooled = u(a, b), a + b
    splits = [u([pooled[i] for i in chosen], [pooled[i] for i in range(len(pooled)) if i not in chosen])
              for chosen in map(set, itertools.combinations(range(len(pooled)), len(a)))]
    return sum(s >= observed - 1e-9 for s in splits) / len(splits)

for name in settings:
    scores = {p: [score(os.path.join(out, name, f"{p}-{s}")) for s in seeds] for p in policies}
    print(f"\n{name}: closing headline of each run (x the original), seeds {' '.join(seeds)}")
    print(f"{'policy':<12} {'mean':>8}  {'95% interval':<18} {'p (builtin > it)':>16}  scores")
    for p in policies:
        low, high = bootstrap(scores[p])
        mean = sum(scores[p]) / len(scores[p])
        p_value = "-" if p == "builtin" or "builtin" not in scores else f"{mann_whitney_greater(scores['builtin'], scores[p]):.3g}"
        print(f"{p:<12} {mean:>7.3f}x  [{low:.3f}, {high:.3f}]{'':<2} {p_value:>16}  "
              + " ".join(f"{v:.3f}" for v in scores[p]))
PY
