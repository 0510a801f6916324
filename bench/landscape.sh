#!/usr/bin/env bash
# Records a landscape: measured plans of one tuning setting (plan, reward with
# its interval, failure and reason), for fitting a surrogate and comparing
# policies offline (issue 19). Each chunk is one crinn-tune run of ROUNDS x
# GROUP candidates, alternating the random policy (broad samples) and the
# built-in one (its own proposals) by seed; its candidates are appended to
# bench/landscapes/<setting>.jsonl once the run has finished, so the script
# can be stopped and run again to add more; the site listing they were drawn
# over goes beside it (<setting>.sites.json). crinn-landscape reads both.
# The settings are bench/settings.sh's, which bench/learning.sh runs live too.
# Fashion-MNIST settings tune on a 10,000-vector sample; the closing comparison
# measures the best variant alone on the whole set: a landscape needs no
# ranking confirmed there.
# Usage: bench/landscape.sh <setting> <chunks> [first seed]
#   settings: hnsw-fmnist, hnswlib-fmnist, hnsw-angular
# ROUNDS (default 10) and GROUP (default 4) size a chunk; CRINN_TUNE names the
# crinn-tune binary (an installed copy keeps a long recording apart from rebuilds).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: bench/landscape.sh <setting> <chunks> [first seed]}
chunks=${2:?usage: bench/landscape.sh <setting> <chunks> [first seed]}
first_seed=${3:-1}
rounds=${ROUNDS:-10}
group=${GROUP:-4}
tune=${CRINN_TUNE:-build/bin/crinn-tune}
[ -x "$tune" ] || { echo "build first: bash tools/setup.sh" >&2; exit 1; }

source bench/settings.sh
setting_args "$name" || exit 2

out=build/landscapes/$name
record=bench/landscapes/$name.jsonl
mkdir -p "$out" bench/landscapes
for ((seed = first_seed; seed < first_seed + chunks; seed++)); do
  policy=$([ $((seed % 2)) -eq 1 ] && echo random || echo builtin)
  run=$out/$policy-$seed
  if [ ! -f "$run/comparison.json" ]; then
    resume=()
    [ -f "$run/history.jsonl" ] && resume=(--resume)
    echo "$name: $policy policy, seed $seed ($((rounds * group)) plans)" >&2
    "$tune" "${setting[@]}" "${measure[@]}" --out "$run" --policy "$policy" --seed "$seed" --iterations "$rounds" \
      --group "$group" "${resume[@]}" > "$run.out" 2> "$run.err" || { echo "crinn-tune failed, see $run.err" >&2; exit 1; }
  fi
  # The space the plans were drawn over, kept beside the records. A later run
  # whose space only adds rewrite options keeps every earlier plan a plan of
  # it (one that did not choose them), so the wider listing replaces the
  # kept one; any other change would mix two spaces.
  sites=bench/landscapes/$name.sites.json
  if [ ! -f "$sites" ]; then cp "$run/sites.json" "$sites"
  elif ! cmp -s "$run/sites.json" "$sites"; then
    if /usr/bin/python3 - "$sites" "$run/sites.json" <<'PY'
import json, sys
kept, new = (json.load(open(path))["sites"] for path in sys.argv[1:])
new_by_id = {site["id"]: site for site in new}
def widens(old, wider):
    if wider is None or {k: v for k, v in old.items() if k != "rewrites"} != {k: v for k, v in wider.items() if k != "rewrites"}:
        return False
    options = {option["rewrite"]: option for option in wider.get("rewrites", [])}
    return all(options.get(option["rewrite"]) == option for option in old.get("rewrites", []))
sys.exit(0 if all(widens(site, new_by_id.get(site["id"])) for site in kept) else 1)
PY
    then
      cp "$run/sites.json" "$sites"
      echo "bench/landscape.sh: $run/sites.json adds rewrite options to $sites; it replaces it" >&2
    else
      echo "bench/landscape.sh: $run/sites.json differs from $sites beyond added options: the code changed; record a new setting" >&2
      exit 1
    fi
  fi
  /usr/bin/python3 - "$run/history.jsonl" "$record" "$name" "$policy" "$seed" "$run/run.json" <<'PY'
import json, os, sys
history, record, setting, policy, seed, run_json = sys.argv[1:]
run = f"{policy}-{seed}"
noise_sd = json.load(open(run_json)).get("noise_floor", {}).get("run_sd")
if os.path.exists(record) and any(json.loads(line)["run"] == run for line in open(record) if line.strip()):
    sys.exit(0)  # appended by an earlier invocation
rows = []
for line in open(history):
    entry = json.loads(line)
    rows.append({"setting": setting, "run": run, "policy": policy, "index": entry["index"],
                 "plan": entry["plan"]["plan"], "failure": entry["failure"], "reason": entry.get("reason", ""),
                 "reward": entry["reward"], "reward_low": entry.get("reward_low"), "reward_high": entry.get("reward_high"),
                 "noise_sd": noise_sd})
with open(record, "a") as out:
    for row in rows:
        out.write(json.dumps(row, sort_keys=True) + "\n")
print(f"{setting}: {len(rows)} plans of {run} recorded in {record}", file=sys.stderr)
PY
done
echo "$name: $(wc -l < "$record") plans in $record" >&2
