"""Checks a policy.json that crinn-landscape --train-policy learned on the
made-up landscape: the built-in policy's state, with what helps there
(the visited set) included likelier than what hurts (multi-entry).
Usage: check-policy.py <policy.json>"""
import json
import sys

state = json.load(open(sys.argv[1]))
assert state["kind"] == "builtin", state.get("kind")
weights = state["weights"]
helps = weights["include:visited-set/visited-set"][0]
hurts = weights["include:neighbor-loop/multi-entry"][0]
print(f"visited-set {helps:.2f}, multi-entry {hurts:.2f}")
assert helps > hurts, "the learned policy does not prefer what helps"
