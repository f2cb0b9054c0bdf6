"""How fast is one leaflet? Prints figures; asserts nothing.

    .venv/bin/python benchmarks/build.py [--runs 50]

- warm: median time to render one Dupixent leaflet to PDF bytes in a process that has
  already loaded content, style and fonts (what a batch worker pays per leaflet);
- bare canvas: median time for ReportLab's canvas to write the same text (every heading,
  line, table cell, page header and "Page X of Y" footer), in the same embedded font,
  with naive line wrapping and no layout: the floor for any tool;
- cold: median wall time of `leaflet build` as a fresh process (what a clinician waits),
  beside a bare ReportLab script run the same way; both when the content was checked on
  an earlier run (the usual case: `leaflet.checked` remembers it) and when it was not
  (the first build after an edit: pydantic checks it).

Children run with a cache folder of their own and as Python runs by default, writing
and reading bytecode (some sandboxes set PYTHONDONTWRITEBYTECODE, which would make every
run compile an editable install's modules afresh).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from leaflet import fonts
from leaflet.build import Request, tailored
from leaflet.layout import render
from leaflet.styles import load_style
from leaflet.tailor import printed
from leaflet.checked import load_content

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content" / "dupixent.yaml"


#: The floor for a cold start: a new Python process that imports ReportLab's canvas,
#: registers the same TTF and writes one page of text.
BARE_SCRIPT = """
import sys
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
pdfmetrics.registerFont(TTFont("Sans", sys.argv[1]))
canvas = Canvas(sys.argv[2], invariant=1)
canvas.setFont("Sans", 12)
for line in range(60):
    canvas.drawString(36, 800 - line * 12, f"Dupixent leaflet line {line}")
canvas.showPage()
canvas.save()
"""


def best_cpu_seconds(command: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    """The least CPU time (user + system) a child process took over runs."""
    best = math.inf
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, check=True, capture_output=True, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return best


def median_seconds(task, runs: int) -> float:
    task()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bare_canvas(leaflet, size: float = 12) -> bytes:
    """The same text drawn line by line on a ReportLab canvas, in the same font, with
    each page's header and "Page X of Y" footer: the floor for any layout."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    width, height = A4
    margin = 36
    lines = [line for text in (item.text for item in printed(leaflet))
             for line in simpleSplit(text, fonts.REGULAR, size, width - 2 * margin)]
    per_page = int((height - 2 * margin) // (size * 1.2)) - 4  # room for header and footer
    pages = [lines[start:start + per_page] for start in range(0, len(lines), per_page)]
    footer = f"{leaflet.source_line} {' '.join(filter(None, (leaflet.date_label, leaflet.last_updated)))}."
    for number, page in enumerate(pages, start=1):
        canvas.setFont(fonts.REGULAR, size)
        y = height - margin
        for line in [leaflet.title, "", *page]:
            canvas.drawString(margin, y, line)
            y -= size * 1.2
        footer_lines = simpleSplit(f"Page {number} of {len(pages)}. {footer}", fonts.REGULAR, size,
                                   width - 2 * margin)
        for index, line in enumerate(footer_lines):
            canvas.drawString(margin, margin + (len(footer_lines) - 1 - index) * size * 1.2, line)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    fonts.register_fonts()
    content = load_content(CONTENT)
    style = load_style("standard")
    print(f"leaflet build benchmark: median of {args.runs} runs, Python {sys.version.split()[0]}")
    for audience in ("caregiver", "adolescent", "adult"):
        leaflet = tailored(content, Request(CONTENT, audience))
        warm = median_seconds(lambda: render(leaflet, style), args.runs)
        bare = median_seconds(lambda: bare_canvas(leaflet), args.runs)
        print(f"  {audience:<10}  warm leaflet {warm * 1000:6.1f} ms   bare canvas {bare * 1000:6.1f} ms"
              f"   ratio {warm / bare:4.2f}x")

    with tempfile.TemporaryDirectory() as folder:
        environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        checked_before = {**environment, "LEAFLET_CACHE_DIR": str(Path(folder) / "cache")}
        not_checked = {**environment, "LEAFLET_CACHE_DIR": ""}
        command = [str(Path(sys.executable).with_name("leaflet")), "build", str(CONTENT), "-a", "adult",
                   "-o", str(Path(folder) / "cold.pdf")]
        bare_script = [sys.executable, "-c", BARE_SCRIPT, str(fonts.FONT_DIR / "DejaVuSans.ttf"),
                       str(Path(folder) / "bare.pdf")]
        runs = {"bare": (bare_script, environment), "checked": (command, checked_before),
                "unchecked": (command, not_checked)}
        subprocess.run(command, check=True, capture_output=True, env=checked_before)  # check it once
        walls: dict[str, list[float]] = {name: [] for name in runs}
        cpus: dict[str, float] = {name: math.inf for name in runs}
        # Interleaved, so a change in the machine's load between blocks does not skew the ratios.
        for _ in range(max(20, args.runs // 2)):
            for name, (run, env) in runs.items():
                start = time.perf_counter()
                cpus[name] = min(cpus[name], best_cpu_seconds(run, 1, env))
                walls[name].append(time.perf_counter() - start)
        figures = {name: (statistics.median(walls[name]), cpus[name]) for name in runs}
        cold_runs = len(walls["bare"])
    bare_wall, bare_cpu = figures["bare"]
    print(f"  cold bare ReportLab script (one page of text in the same font): {bare_wall * 1000:.0f} ms wall "
          f"(median of {cold_runs}), {bare_cpu * 1000:.0f} ms CPU (user + system, best of {cold_runs})")
    for name, label in (("checked", "content checked on an earlier run"),
                        ("unchecked", "content not checked before (cache off)")):
        wall, cpu = figures[name]
        print(f"  cold leaflet build, adult, {label}: {wall * 1000:.0f} ms wall ({wall / bare_wall:4.2f}x), "
              f"{cpu * 1000:.0f} ms CPU ({cpu / bare_cpu:4.2f}x)")
    print("  (the three are run in turn, round after round; CPU time is steadier than wall time on a busy "
          "machine)")


if __name__ == "__main__":
    main()
