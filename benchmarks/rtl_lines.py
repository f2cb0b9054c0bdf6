"""How far do right-to-left lines run past their margin? Prints figures; asserts nothing.

    .venv/bin/python benchmarks/rtl_lines.py [CONTENT.yaml ...]

Builds every style, page size and audience of each right-to-left content file (default:
content/dupixent.ar.yaml) and prints the most any line's words overrun its width (a
negative room left on the line, in points), with the start of that paragraph. ReportLab
lets a line overrun a little by itself; leaflet's visual-order breaking (rtl.break_lines)
gives a line up to rtl._SLACK more so that it keeps its own words.
"""

from __future__ import annotations

import sys
from itertools import product
from pathlib import Path

from leaflet import rtl
from leaflet.build import Request, render_request

ROOT = Path(__file__).resolve().parent.parent


def main(paths: list[Path]) -> None:
    worst = [0.0, ""]
    breaking = rtl.break_lines

    def measured(paragraph, widths, break_lines_as_reportlab, base):
        lines = breaking(paragraph, widths, break_lines_as_reportlab, base)
        for line in getattr(lines, "lines", []):
            room = getattr(line, "extraSpace", 0.0)
            if room < worst[0]:
                worst[:] = [room, " ".join(paragraph.text.split())[:60]]
        return lines

    rtl.break_lines = measured
    builds = 0
    for path in paths:
        for style, page_size, audience in product(("standard", "large-print", "ink-saver"), ("a4", "letter"),
                                                  ("caregiver", "adolescent", "adult")):
            render_request(Request(path, audience, style=style, page_size=page_size))
            builds += 1
    print(f"{builds} builds: the most a line overruns its width is {-worst[0]:.1f} pt ({worst[1]!r})")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or [ROOT / "content" / "dupixent.ar.yaml"])
