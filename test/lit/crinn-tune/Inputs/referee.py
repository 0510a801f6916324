"""referee.py <history.jsonl>: one line per candidate, saying whom it met
head to head and the referee's call, and "inconsistent: ..." wherever the
journal breaks the rules: a reward outside its interval, a head-to-head
against another than the best at the time, a win whose interval does not lie
above 1, a best that changed without a win, a best's reward that is not its
own measurement beside the reference."""
import json
import sys

best_index, best_reward = -1, 1.0
for record in map(json.loads, open(sys.argv[1])):
    index = record["index"]
    if record["failure"] != "none":
        print(index, "failed:", record["failure"])
        continue
    if not record["reward_low"] <= record["reward"] <= record["reward_high"]:
        print(index, "inconsistent: reward outside its interval")
    meeting = record.get("beside_incumbent")
    if meeting is None:
        print(index, "not a would-be best")
        if record["became_best"]:
            print(index, "inconsistent: became the best without a head-to-head")
        continue
    if meeting["incumbent"] != best_index:
        print(index, "inconsistent: met candidate", meeting["incumbent"], "while the best was", best_index)
    if (meeting["call"] == "wins") != (meeting["low"] > 1.0) or (meeting["call"] == "wins") != record["became_best"]:
        print(index, "inconsistent: call", meeting["call"], "with interval", meeting["low"], meeting["high"])
    if meeting["call"] == "wins" and meeting["repetitions"] < 4:
        print(index, "inconsistent: a win after", meeting["repetitions"], "paired runs")
    print(index, "beside", "the unmodified source:" if best_index == -1 else "the best:", meeting["call"])
    if record["became_best"]:
        best_index, best_reward = index, record["reward"]
print("best", best_index)
