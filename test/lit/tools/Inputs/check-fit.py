"""Fails unless crinn-landscape's output shows a held-out rank correlation
above the given floor and a failure model that ranks failures above passes
better than guessing and beats the base rate's Brier score.
Usage: check-fit.py <output> <floor>"""
import re
import sys

text = open(sys.argv[1]).read()
correlation = float(re.search(r"rank correlation of reward (\S+);", text).group(1))
area, brier, base = map(float, re.search(r"ROC area (\S+), Brier score (\S+) \((\S+) by", text).groups())
if correlation <= float(sys.argv[2]) or area <= 0.5 or brier >= base:
    sys.exit(f"fit too weak: correlation {correlation}, failure ROC area {area}, Brier {brier} against {base}")
