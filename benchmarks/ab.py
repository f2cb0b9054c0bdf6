"""Warm render time of two source trees, measured in alternating rounds. Prints figures.

    git archive main | tar -x -C /tmp/leaflet-main
    .venv/bin/python benchmarks/ab.py /tmp/leaflet-main . [--rounds 6 --runs 60] [--personal]

The machine is shared, so one tree measured after the other can see a different load:
each round times A then B (then B then A in the next round), each in a fresh process
with content, style and fonts loaded first, as a batch worker is. Each figure is the
CPU time (not wall time) of one personalised render, averaged over the run, which
other processes on the machine disturb far less.
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
from leaflet.layout import Personal
from leaflet.checked import load_content
from leaflet.styles import load_style
root = Path(sys.argv[1])
content = load_content(root / "content" / "dupixent.yaml")
style = load_style(sys.argv[2])
times = []
render_request(Request(root / "content" / "dupixent.yaml", "adult", style=sys.argv[2]), content=content, style=style)
for index, audience in enumerate(("caregiver", "adolescent", "adult") * (int(sys.argv[3]) // 3 + 1)):
    # Personalised, as batch rows are: a different name (and so font subset) each time.
    personal = (Personal(f"Patient {index} Zoë Łukasz", "High Street Pharmacy", "01632 960 000")
                if sys.argv[4] == "personal" else Personal())
    request = Request(root / "content" / "dupixent.yaml", audience, style=sys.argv[2], personal=personal)
    start = time.process_time()
    render_request(request, content=content, style=style)
    times.append(time.process_time() - start)
print(sum(times) / len(times))
"""


def measure(tree: str, style: str, runs: int, personal: str) -> float:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    out = subprocess.run([sys.executable, "-c", PROBE, os.path.abspath(tree), style, str(runs), personal],
                         env=env, capture_output=True, text=True, check=True, cwd=os.path.abspath(tree))
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--style", default="standard")
    parser.add_argument("--personal", action="store_true",
                        help="a patient name, pharmacy and phone per leaflet, as batch rows have "
                             "(default: the plain leaflets of benchmarks/build.py)")
    args = parser.parse_args()
    a, b = [], []
    for index in range(args.rounds):
        order = [(args.a, a), (args.b, b)] if index % 2 == 0 else [(args.b, b), (args.a, a)]
        for tree, into in order:
            into.append(measure(tree, args.style, args.runs, "personal" if args.personal else "plain"))
        print(f"  round {index + 1}: A {a[-1] * 1000:.2f} ms, B {b[-1] * 1000:.2f} ms", flush=True)
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"style {args.style}{', personalised' if args.personal else ''}: A {ma * 1000:.2f} ms, B {mb * 1000:.2f} ms, B/A {mb / ma:.3f} "
          f"(median of {args.rounds} rounds of {args.runs} renders)")


if __name__ == "__main__":
    main()
