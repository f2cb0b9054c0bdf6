"""How fast is `leaflet batch`, and does its memory stay flat? Prints figures; asserts nothing.

    .venv/bin/python benchmarks/batch.py                 # 1,000 rows at --jobs 1 and --jobs 2
    .venv/bin/python benchmarks/batch.py --rows 200      # a quicker look
    .venv/bin/python benchmarks/batch.py --memory        # also 1,000 against 10,000 rows (~3 min)

Each run is the real command (`leaflet batch MANIFEST --out-dir DIR --jobs N`) as a fresh
process on a manifest of personalised rows (all three audiences, ages and weights, names
in several scripts, a pharmacy and phone), so start-up, checking, rendering, hashing and
atomic writes are all counted. Then:

- leaflets per second: rows / wall time of the whole command;
- resume: the same command again (every row up to date, as after an interrupted night);
- merge: --merge of the leaflets just built (printer file, blank pages, bookmarks);
- peak RSS: sampled from /proc every 20 ms: the largest single process (parent or a
  worker) and the largest sum over the process tree, in MiB.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content" / "dupixent.yaml"
LEAFLET = [sys.executable, "-c", "from leaflet.cli import main; main()"]
NAMES = ["Zoë Smith", "Łukasz Nowak", "Ayşe Yılmaz", "Nguyễn Thị Ngọc", "Дмитрий Иванов", "José Álvarez",
         "O'Brien & <Sons>", "Άννα Παπαδοπούλου", "Søren Kierkegaard", "Mary-Jane Watson"]
AGES = {"caregiver": (1, 11), "adolescent": (12, 17), "adult": (18, 90)}


def write_manifest(path: Path, rows: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["content", "audience", "patient_age", "patient_weight", "patient_name", "pharmacy",
                         "pharmacy_phone"])
        for index in range(rows):
            audience = rng.choice(list(AGES))
            age = rng.randint(*AGES[audience])
            weight = rng.randint(10 + 2 * age // 3, 40 + 2 * age)
            writer.writerow([CONTENT, audience, age, weight, NAMES[index % len(NAMES)], "Main Street Pharmacy",
                             "01632 960 000"])


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(command: list[str]) -> tuple[float, float, float, subprocess.CompletedProcess]:
    """Wall seconds, peak single-process RSS and peak tree RSS (MiB) of a command."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_one = peak_sum = 0
    while process.poll() is None:
        sizes = [_rss_kib(pid) for pid in _tree(process.pid)]
        peak_one = max(peak_one, *sizes, 0)
        peak_sum = max(peak_sum, sum(sizes))
        time.sleep(0.02)
    out, err = process.communicate()
    wall = time.perf_counter() - start
    result = subprocess.CompletedProcess(command, process.returncode, out, err)
    if process.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed ({process.returncode}):\n{err[-2000:]}")
    return wall, peak_one / 1024, peak_sum / 1024, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--memory", action="store_true", help="also run 10x the rows and compare peak RSS")
    args = parser.parse_args()

    print(f"leaflet batch benchmark: {args.rows} personalised rows, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        manifest = folder / "rows.csv"
        write_manifest(manifest, args.rows)
        peaks = {}
        for jobs in args.jobs:
            out_dir = folder / f"out-{jobs}"
            command = [*LEAFLET, "batch", str(manifest), "--out-dir", str(out_dir), "--jobs", str(jobs)]
            wall, one, tree, _ = timed(command)
            peaks[jobs] = (one, tree)
            print(f"  --jobs {jobs}: {args.rows / wall:6.1f} leaflets/s ({wall:5.1f} s)   "
                  f"peak RSS {one:5.1f} MiB per process, {tree:6.1f} MiB all processes")
        jobs = max(args.jobs)
        wall, _, _, _ = timed(command)
        print(f"  resume, --jobs {jobs} (every row up to date): {args.rows / wall:6.0f} rows/s ({wall:4.1f} s)")
        merge_command = [*command, "--merge", str(folder / "print.pdf")]
        wall, one, _, _ = timed(merge_command)
        size = (folder / "print.pdf").stat().st_size / 2**20
        print(f"  resume + --merge ({args.rows} leaflets, {size:.0f} MiB PDF): {wall:5.1f} s, "
              f"peak RSS {one:5.1f} MiB per process")
        if args.memory:
            print(f"  memory, --jobs {jobs}, {args.rows} rows against {args.rows * 10}:")
            for rows in (args.rows, args.rows * 10):
                many = folder / f"rows-{rows}.csv"
                write_manifest(many, rows)
                build = [*LEAFLET, "batch", str(many), "--out-dir", str(folder / f"many-{rows}"), "--jobs", str(jobs),
                         "--report", str(folder / f"report-{rows}.csv")]
                wall, one, tree, _ = timed(build)
                merge = [*build, "--merge", str(folder / f"print-{rows}.pdf")]
                merge_wall, merge_one, _, _ = timed(merge)
                print(f"    {rows:6d} rows: build {rows / wall:6.1f} leaflets/s, peak RSS {one:5.1f} MiB per process, "
                      f"{tree:6.1f} MiB all;  resume + --merge {merge_wall:5.1f} s, peak RSS {merge_one:5.1f} MiB")
                peaks[rows] = (one, tree, merge_one)
                shutil.rmtree(folder / f"many-{rows}")
                (folder / f"print-{rows}.pdf").unlink()
            small, big = peaks[args.rows], peaks[args.rows * 10]
            print(f"    ratio 10x rows / 1x rows: {big[0] / small[0]:.2f}x per process, {big[1] / small[1]:.2f}x all "
                  f"processes, {big[2] / small[2]:.2f}x with --merge (goal: at most 1.25x)")

if __name__ == "__main__":
    main()
