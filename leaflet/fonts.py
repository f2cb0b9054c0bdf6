"""The embedded font family: shipped in the package, registered once per process.

DejaVu Sans (Bitstream Vera licence, see fonts/LICENSE) covers Latin, Greek, Cyrillic
and Vietnamese, so patient names print as written. Registering a TTF costs tens of
milliseconds, so it happens once, on first use.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).with_name("fonts")
REGULAR = "LeafletSans"
BOLD = "LeafletSans-Bold"

# Leaflets use no italics (they are harder to read); <i> would fall back to upright.
_FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
}


@cache
def register_fonts() -> str:
    """Register the family with ReportLab and return the regular face's name."""
    for name, filename in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 1, BOLD)
    return REGULAR


@cache
def _drawable() -> frozenset[int]:
    register_fonts()
    regular = set(pdfmetrics.getFont(REGULAR).face.charToGlyph)
    bold = set(pdfmetrics.getFont(BOLD).face.charToGlyph)
    return frozenset(regular & bold)


def cannot_draw(text: str, personal: bool = False) -> str | None:
    """What is wrong with text the embedded font cannot fully draw, or None.

    One message for content (at validation), manifest names and layout alike. For a
    personal value (a patient's name) only code points are named: the characters of a
    short name would be the name itself, in a log.
    """
    missing = undrawable(unicodedata.normalize("NFC", text))
    if not missing:
        return None
    if personal:
        shown = ", ".join(f"U+{ord(char):04X}" for char in missing[:5])
    else:
        shown = ", ".join(f"{char!r} (U+{ord(char):04X})" for char in missing[:5])
    return f"the embedded font cannot draw {shown}; it would print as a blank box"


def undrawable(text: str) -> list[str]:
    """Characters in text that the embedded font cannot draw (which would print as boxes)."""
    drawable = _drawable()
    missing: list[str] = []
    for char in text:
        if ord(char) not in drawable and not char.isspace() and char not in missing:
            missing.append(char)
    return missing
