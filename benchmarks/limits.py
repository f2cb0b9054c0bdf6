"""How layout time grows with the size of content, up to the schema's limits. Prints
figures; asserts nothing.

    .venv/bin/python benchmarks/limits.py

Builds the adult Dupixent leaflet with its "about" section replaced by N lines of
MAX_TEXT_CHARS characters of text full of markup characters (`&`, `<`, `>`, escaped on
the way to ReportLab), and prints the best of three times and the time per line: flat figures mean linear time.
A line longer than the limit, or more lines than MAX_ITEMS, is refused by validation.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import yaml

from leaflet.build import Request, render_request
from leaflet.model import MAX_ITEMS, MAX_TEXT_CHARS

ROOT = Path(__file__).resolve().parent.parent


def content_with(lines: int, folder: Path) -> Path:
    data = yaml.safe_load((ROOT / "content" / "dupixent.yaml").read_text(encoding="utf-8"))
    unit = "Fish & chips <b>are</b> fine. "
    text = (unit * (MAX_TEXT_CHARS // len(unit) + 1))[:MAX_TEXT_CHARS].strip()
    data["about"] = {"heading": "About", "lines": [text] * lines}
    path = folder / f"about-{lines}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, width=10**9), encoding="utf-8")
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'lines':>6} {'pages':>6} {'seconds':>8} {'ms per line':>12}")
        for lines in (MAX_ITEMS // 4, MAX_ITEMS // 2, MAX_ITEMS):
            path = content_with(lines, Path(folder))
            render_request(Request(path, "adult"))  # warm: fonts, parsing caches
            times = []
            for _ in range(3):  # the best of three: other processes only ever add time
                started = time.perf_counter()
                rendered = render_request(Request(path, "adult"))
                times.append(time.perf_counter() - started)
            seconds = min(times)
            print(f"{lines:>6} {rendered.pages:>6} {seconds:>8.2f} {seconds / lines * 1000:>12.1f}")


if __name__ == "__main__":
    main()
