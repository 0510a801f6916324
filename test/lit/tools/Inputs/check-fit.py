"""Fails unless crinn-landscape's output shows a held-out rank correlation
above the given floor and failures predicted better than by "none fails".
Usage: check-fit.py <output> <floor>"""
import re
import sys

text = open(sys.argv[1]).read()
correlation = float(re.search(r"rank correlation of reward (\S+);", text).group(1))
right, baseline = map(float, re.search(r"predicted right (\S+) % \((\S+) %", text).groups())
if correlation <= float(sys.argv[2]) or right <= baseline:
    sys.exit(f"fit too weak: correlation {correlation}, failures right {right} % against {baseline} %")
