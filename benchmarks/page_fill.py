"""How full are the pages? Prints figures; asserts nothing (tests/test_layout.py does).

    .venv/bin/python benchmarks/page_fill.py [CONTENT.yaml ...]

Builds every shipped combination (styles x page sizes x audiences) of each content file
(default: content/*.yaml), with and without a patient's name and directions, and prints
how full each page's text area is. A last page may be short; any other page under a
third full means a block moved on when it could have started there.
"""

from __future__ import annotations

import sys
from itertools import product
from pathlib import Path

from leaflet.build import Request, render_request
from leaflet.layout import Personal

ROOT = Path(__file__).resolve().parent.parent
PERSONAL = Personal("Zoë Martin", "High Street Pharmacy", "01632 960 000",
                    directions="Inject 300 mg under the skin every other week.")


def main() -> None:
    contents = [Path(arg) for arg in sys.argv[1:]] or sorted((ROOT / "content").glob("*.yaml"))
    worst = (2.0, "")
    builds = 0
    for content, style, size, audience, personal in product(
            contents, ("standard", "large-print", "ink-saver"), ("a4", "letter"),
            ("caregiver", "adolescent", "adult"), (Personal(), PERSONAL)):
        rendered = render_request(Request(content, audience, style=style, page_size=size, personal=personal))
        builds += 1
        fills = rendered.page_fill
        label = f"{content.stem} {style} {size} {audience}{' +patient' if personal.patient_name else ''}"
        print(f"{label:55s} {rendered.pages} pages  fill " + " ".join(f"{fill:.0%}" for fill in fills))
        for fill in fills[:-1]:
            worst = min(worst, (fill, label))
    print(f"\n{builds} builds; the emptiest page that is not a last page: {worst[0]:.0%} ({worst[1]})")


if __name__ == "__main__":
    main()
