"""A/B: warm time per English leaflet, this working tree against a git ref, interleaved.

On a shared machine the load changes from minute to minute, so the time is the CPU time
of the rendering process (time.process_time); the two versions are
run in alternating rounds (a fresh process each), and each round keeps its fastest
render (the least disturbed one). The figure is the median of those per-round minima.

    .venv/bin/python benchmarks/ab.py --against main --rounds 8
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Run inside each version's tree: render each audience `runs` times, print the minima (s).
PROBE = """
import sys, time
from pathlib import Path
from leaflet.build import Request, render_request
from leaflet.styles import load_style
from leaflet.validate import load_content
content = load_content(Path("content/dupixent.yaml"))
style = load_style("standard")
for audience in ("caregiver", "adolescent", "adult"):
    request = Request(Path("content/dupixent.yaml"), audience)
    render_request(request, content, style)  # warm: parsing and line breaks remembered
    times = []
    for _ in range(int(sys.argv[1])):
        start = time.process_time()
        render_request(request, content, style)
        times.append(time.process_time() - start)
    print(audience, min(times))
"""


def probe(tree: Path, runs: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(runs)], cwd=tree, check=True,
                         capture_output=True, text=True, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    return {audience: float(value) for audience, value in (line.split() for line in out.stdout.splitlines())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="main", help="git ref to compare with (default: main)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--runs", type=int, default=30, help="renders per round and audience")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as other:
        archive = subprocess.run(["git", "archive", args.against], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", other], input=archive, check=True)
        results: dict[str, list[dict[str, float]]] = {args.against: [], "this tree": []}
        for _ in range(args.rounds):
            results[args.against].append(probe(Path(other), args.runs))
            results["this tree"].append(probe(ROOT, args.runs))
    print(f"warm render, median over {args.rounds} interleaved rounds of each round's fastest of {args.runs}:")
    for audience in ("caregiver", "adolescent", "adult"):
        base = statistics.median(r[audience] for r in results[args.against])
        mine = statistics.median(r[audience] for r in results["this tree"])
        base_min = min(r[audience] for r in results[args.against])
        mine_min = min(r[audience] for r in results["this tree"])
        print(f"  {audience:<10}  {args.against} {base * 1000:6.2f} ms   this tree {mine * 1000:6.2f} ms"
              f"   {100 * (mine / base - 1):+5.1f}%   (fastest of all: {base_min * 1000:.2f} / "
              f"{mine_min * 1000:.2f} ms, {100 * (mine_min / base_min - 1):+.1f}%)")


if __name__ == "__main__":
    main()
