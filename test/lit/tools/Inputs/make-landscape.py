"""Writes a made-up landscape over a real site listing, as bench/landscape.sh
records a live one: random plans of the listing's offers, each "measured" by
a known function (quantized-distance, simd-distance and the visited set help,
prefetching further ahead helps more, multi-entry hurts, early termination fails below a patience of 128), so
crinn-landscape's fit can be checked.
Usage: make-landscape.py <sites.json> <records.jsonl> <plans>"""
import json
import math
import random
import sys

sites_path, records_path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
offers = [(site["id"], option["rewrite"], option.get("params", {}))
          for site in json.load(open(sites_path))["sites"] for option in site.get("rewrites", [])]
rng = random.Random(3)


def value(spec):
    if spec.get("choices"):
        return rng.choice(spec["choices"])
    if spec["type"] == "int":
        return rng.randint(int(spec["min"]), int(spec["max"]))
    return rng.uniform(spec["min"], spec["max"])


with open(records_path, "w") as out:
    for _ in range(count):
        plan = [{"site": site, "rewrite": rewrite, "params": {name: value(spec) for name, spec in params.items()}}
                for site, rewrite, params in offers if rng.random() < 0.3]
        # One rewrite per site, drawn (the listing's exclusive groups, simplified).
        rng.shuffle(plan)
        seen, kept = set(), []
        for entry in plan:
            if entry["site"] not in seen:
                seen.add(entry["site"])
                kept.append(entry)
        rewrites = {entry["rewrite"]: entry["params"] for entry in kept}
        failure, reason, log_reward = "none", "", 0.0
        if "early-termination" in rewrites and rewrites["early-termination"].get("patience", 999) < 128:
            failure, reason = "recall", "below the floor"
        log_reward += 0.6 if "quantized-distance" in rewrites else 0.0
        log_reward += 0.02 * rewrites["prefetch-insertion"]["distance"] if "prefetch-insertion" in rewrites else 0.0
        log_reward -= 0.2 if "multi-entry" in rewrites else 0.0
        log_reward += 0.3 if "simd-distance" in rewrites else 0.0
        log_reward += 0.2 if "visited-set" in rewrites else 0.0
        log_reward += rng.gauss(0.0, 0.02)
        out.write(json.dumps({"setting": "made-up", "run": "random-1", "policy": "random", "plan": kept,
                              "failure": failure, "reason": reason,
                              "reward": 0.0 if failure != "none" else math.exp(log_reward), "noise_sd": 0.02}) + "\n")
