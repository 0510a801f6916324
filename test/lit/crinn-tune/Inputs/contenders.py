"""contenders.py <history.jsonl>: for each candidate, whether it was measured
beside the best variant (how many times) or beside the reference only, and
whether a contender's reward is the best's at the time times its lower ratio."""
import json
import sys

best = 1.0  # the reference's
for record in map(json.loads, open(sys.argv[1])):
    ratios = record.get("ratios_to_best")
    if ratios:
        expected = best * min(ratios)
        verdict = ("its reward is the best's times its ratio there" if abs(record["reward"] - expected) <= 1e-9 * expected
                   else f"its reward {record['reward']} is not the best's times its ratio there ({expected})")
        print(record["index"], "beside the best", len(ratios), ("time:" if len(ratios) == 1 else "times:"), verdict)
    else:
        print(record["index"], "beside the reference")
    if record["failure"] == "none":
        best = max(best, record["reward"])
