"""This tree against another version of leaflet, in the same minutes. Prints; asserts nothing.

    git archive aecc68e | (mkdir -p /tmp/old && tar -x -C /tmp/old)
    .venv/bin/python benchmarks/versions.py /tmp/old [--rounds 25]

This machine's speed changes from hour to hour, so figures taken at different times
mislead; here each round runs, in turn: the bare ReportLab script of
`benchmarks/build.py`, a cold `leaflet build` of the other tree, and a cold build of this
one with its content checked on an earlier run and with the cache off; then a warm render
(the least of 60, per audience) in each tree. The other tree runs with this tree's
virtual environment and PYTHONPATH pointing at it; it needs the same dependencies.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "benchmarks"))
from build import BARE_SCRIPT  # noqa: E402 (the same bare script as benchmarks/build.py)

#: `leaflet build` from a tree, whichever version (the CLI's module has always been leaflet.cli).
BUILD = "import sys; from leaflet.cli import main; sys.argv[0] = 'leaflet'; main()"

#: The least warm render of Dupixent per audience, whichever version (load_content moved).
WARM = """
import sys, time
from pathlib import Path
try:
    from leaflet.checked import load_content
except ImportError:
    from leaflet.validate import load_content
from leaflet import fonts
from leaflet.build import Request, tailored
from leaflet.layout import render
from leaflet.styles import load_style
content_path = Path(sys.argv[1]) / "content" / "dupixent.yaml"
fonts.register_fonts()
content, style = load_content(content_path), load_style("standard")
least = []
for audience in ("caregiver", "adolescent", "adult"):
    leaflet = tailored(content, Request(content_path, audience))
    render(leaflet, style)
    times = []
    for _ in range(60):
        start = time.perf_counter()
        render(leaflet, style)
        times.append(time.perf_counter() - start)
    least.append(min(times) * 1000)
print(" ".join(f"{ms:.1f}" for ms in least))
"""


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one child process. It runs in a folder
    with no leaflet in it: `python -c` puts the working folder first on sys.path."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=tempfile.gettempdir())
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other version's source tree")
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    other = args.other.resolve()
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as folder:
        def build(tree: Path) -> list[str]:
            return [sys.executable, "-c", BUILD, "build", str(tree / "content" / "dupixent.yaml"), "-a", "adult",
                    "-o", str(Path(folder) / "cold.pdf")]

        commands = {
            "bare ReportLab script": ([sys.executable, "-c", BARE_SCRIPT, str(HERE / "leaflet" / "fonts" /
                                       "DejaVuSans.ttf"), str(Path(folder) / "bare.pdf")], environment),
            f"other ({other.name})": (build(other), {**environment, "PYTHONPATH": str(other),
                                                     "LEAFLET_CACHE_DIR": str(Path(folder) / "other")}),
            "this, checked before": (build(HERE), {**environment, "PYTHONPATH": str(HERE),
                                                   "LEAFLET_CACHE_DIR": str(Path(folder) / "this")}),
            "this, not checked": (build(HERE), {**environment, "PYTHONPATH": str(HERE), "LEAFLET_CACHE_DIR": ""}),
        }
        for command, env in commands.values():  # warm up: bytecode, and the checked files
            run(command, env)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus = {name: math.inf for name in commands}
        for _ in range(args.rounds):
            for name, (command, env) in commands.items():
                wall, cpu = run(command, env)
                walls[name].append(wall)
                cpus[name] = min(cpus[name], cpu)
        warm: dict[str, list[str]] = {"other": [], "this": []}
        for _ in range(5):
            for name, tree in (("other", other), ("this", HERE)):
                done = subprocess.run([sys.executable, "-c", WARM, str(tree)], check=True, capture_output=True,
                                      text=True, cwd=folder, env={**environment, "PYTHONPATH": str(tree),
                                                      "LEAFLET_CACHE_DIR": str(Path(folder) / name)})
                warm[name].append(done.stdout.strip())
    bare_wall, bare_cpu = statistics.median(walls["bare ReportLab script"]), cpus["bare ReportLab script"]
    print(f"cold leaflet build -a adult, {args.rounds} rounds (wall: median; CPU, user + system: least)")
    for name in commands:
        wall = statistics.median(walls[name])
        print(f"  {name:<24} {wall * 1000:5.0f} ms wall ({wall / bare_wall:4.2f}x)   "
              f"{cpus[name] * 1000:5.0f} ms CPU ({cpus[name] / bare_cpu:4.2f}x)")
    print("warm render, least of 60, caregiver / adolescent / adult (ms), five rounds in turn")
    for name in warm:
        print(f"  {name:<6} " + "   ".join(warm[name]))


if __name__ == "__main__":
    main()
