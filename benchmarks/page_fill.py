"""How full are the pages? Prints figures; asserts nothing (tests/test_layout.py does).

    .venv/bin/python benchmarks/page_fill.py [CONTENT.yaml ...]

Builds every shipped combination (styles x page sizes x audiences) of each content file
(default: content/*.yaml), with and without a patient's name, pharmacy and directions,
and prints how full each page's text area is. An audience no use of a medicine applies
to is skipped (acetaminophen is for parents of children only). A last page may be short;
any other page under a third full means a block moved on when it could have started there.

It ends with one line per content file, style and page size: the builds, their pages,
the emptiest page that is not a last page, and the shortest last page.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from itertools import product
from pathlib import Path

from leaflet.build import Request, render_request
from leaflet.layout import Personal
from leaflet.tailor import AUDIENCES, serves
try:
    from leaflet.checked import load_content
except ImportError:  # a tree from before the checked-content cache, for a before/after run
    from leaflet.validate import load_content

ROOT = Path(__file__).resolve().parent.parent
STYLES = ("standard", "large-print", "ink-saver")
PERSONAL = Personal("Zoë Martin", "High Street Pharmacy", "01632 960 000",
                    directions="Inject 300 mg under the skin every other week.")


def main() -> None:
    contents = [Path(arg) for arg in sys.argv[1:]] or sorted((ROOT / "content").glob("*.yaml"))
    worst = (2.0, "")
    builds = 0
    groups: dict[tuple[str, str, str], list[tuple[float, ...]]] = defaultdict(list)
    for content, style, size, audience, personal in product(
            contents, STYLES, ("a4", "letter"), ("caregiver", "adolescent", "adult"), (Personal(), PERSONAL)):
        if not serves(load_content(content), AUDIENCES[audience]):
            continue
        rendered = render_request(Request(content, audience, style=style, page_size=size, personal=personal))
        builds += 1
        fills = rendered.page_fill
        groups[(content.stem, style, size)].append(fills)
        label = f"{content.stem} {style} {size} {audience}{' +patient' if personal.patient_name else ''}"
        print(f"{label:55s} {rendered.pages} pages  fill " + " ".join(f"{fill:.0%}" for fill in fills))
        for fill in fills[:-1]:
            worst = min(worst, (fill, label))
    print(f"\n{builds} builds; the emptiest page that is not a last page: {worst[0]:.0%} ({worst[1]})\n")
    print(f"{'content style page':38s} builds pages  emptiest-not-last  shortest-last")
    for (stem, style, size), all_fills in groups.items():
        inner = [fill for fills in all_fills for fill in fills[:-1]]
        print(f"{stem + ' ' + style + ' ' + size:38s} {len(all_fills):6d} {sum(map(len, all_fills)):5d}  "
              f"{(f'{min(inner):.0%}' if inner else '-'):>17s}  {min(fills[-1] for fills in all_fills):>13.0%}")


if __name__ == "__main__":
    main()
