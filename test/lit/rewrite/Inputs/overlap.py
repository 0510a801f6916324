# Usage: overlap.py expected actual minimum
# The share of the expected ids (one query per line) that the actual answers
# also hold; fails below `minimum`, or if a line has a different id count.
import sys

expected = [line.split() for line in open(sys.argv[1])]
actual = [line.split() for line in open(sys.argv[2])]
if len(expected) != len(actual) or any(len(e) != len(a) for e, a in zip(expected, actual)):
    sys.exit(f"{sys.argv[2]}: the answers' shape differs from {sys.argv[1]}")
shared = sum(len(set(e) & set(a)) for e, a in zip(expected, actual))
share = shared / max(1, sum(len(e) for e in expected))
print(f"overlap {share:.3f}")
if share < float(sys.argv[3]):
    sys.exit(f"overlap {share:.3f} is below {sys.argv[3]}")
