"""Warm render time of two source trees, measured in alternating rounds. Prints figures.

    git archive main | tar -x -C /tmp/leaflet-main
    .venv/bin/python benchmarks/ab.py /tmp/leaflet-main . [--rounds 6 --runs 60]

The machine is shared, so one tree measured after the other can see a different load:
each round times A then B (then B then A in the next round), each in a fresh process
with content, style and fonts loaded first, as a batch worker is.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

PROBE = r"""
import statistics, sys, time
from pathlib import Path
from leaflet.build import Request, render_request
from leaflet.validate import load_content
from leaflet.styles import load_style
root = Path(sys.argv[1])
content = load_content(root / "content" / "dupixent.yaml")
style = load_style(sys.argv[2])
times = []
for audience in ("caregiver", "adolescent", "adult") * (int(sys.argv[3]) // 3 + 1):
    request = Request(root / "content" / "dupixent.yaml", audience, style=sys.argv[2])
    start = time.perf_counter()
    render_request(request, content=content, style=style)
    times.append(time.perf_counter() - start)
print(statistics.median(times[3:]))
"""


def measure(tree: str, style: str, runs: int) -> float:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    out = subprocess.run([sys.executable, "-c", PROBE, os.path.abspath(tree), style, str(runs)],
                         env=env, capture_output=True, text=True, check=True, cwd=os.path.abspath(tree))
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--style", default="standard")
    args = parser.parse_args()
    a, b = [], []
    for index in range(args.rounds):
        order = [(args.a, a), (args.b, b)] if index % 2 == 0 else [(args.b, b), (args.a, a)]
        for tree, into in order:
            into.append(measure(tree, args.style, args.runs))
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"style {args.style}: A {ma * 1000:.2f} ms, B {mb * 1000:.2f} ms, B/A {mb / ma:.3f} "
          f"(median of {args.rounds} rounds of {args.runs} renders)")


if __name__ == "__main__":
    main()
