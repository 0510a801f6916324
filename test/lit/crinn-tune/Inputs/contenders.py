"""contenders.py <history.jsonl>: for each candidate, whether it was measured
beside the best variant (how many times) or beside the reference only, and
whether a contender's reward is the best's at the time times its ratio there:
the lower of two past the noise margin, else at most 1."""
import json
import sys

WIN_MARGIN = 0.03  # lib/Tune/Tuner.cpp's kWinMargin
best = 1.0  # the reference's
for record in map(json.loads, open(sys.argv[1])):
    ratios = record.get("ratios_to_best")
    if ratios:
        ratio = min(ratios)
        expected = best * (ratio if ratio > 1 + WIN_MARGIN else min(ratio, 1.0))
        if len(ratios) != (2 if ratios[0] > 1 + WIN_MARGIN else 1):
            print(record["index"], "measured beside the best", len(ratios), "times after a first ratio of", ratios[0])
        verdict = ("its reward is the best's times its ratio there" if abs(record["reward"] - expected) <= 1e-9 * expected
                   else f"its reward {record['reward']} is not the best's times its ratio there ({expected})")
        print(record["index"], "beside the best", len(ratios), ("time:" if len(ratios) == 1 else "times:"), verdict)
    else:
        print(record["index"], "beside the reference")
    if record["failure"] == "none":
        best = max(best, record["reward"])
