"""The embedded font family: shipped in the package, registered once per process.

DejaVu Sans (Bitstream Vera licence, see fonts/LICENSE) covers Latin, Greek, Cyrillic
and Vietnamese, so patient names print as written. Registering a TTF costs tens of
milliseconds, so it happens once, on first use.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zlib
from functools import cache
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).with_name("fonts")
REGULAR = "LeafletSans"
BOLD = "LeafletSans-Bold"

# Leaflets use no italics (they are harder to read); <i> would fall back to upright.
_FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
}


class _ContentNamedTTFont(TTFont):
    """A TTF whose subsets are tagged by what they hold, not by their number.

    ReportLab tags a document's first subset AAAAAA+, its second AAAAAB+..., so a print
    file merged from many leaflets holds different subsets under one name, which PDF
    forbids (ISO 32000-1, 9.6.4) and which confuses printers and checkers. Here the six
    letters come from a hash of the font and the characters in the subset.

    It also remembers the last few subsets it built, compressed: a batch prints the same
    characters again and again, and cutting and compressing two font subsets is the
    largest fixed cost of a leaflet (it pays for the tagging).
    """

    _REMEMBERED = 32  # per face; a subset is some 20 KiB compressed

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._subsets: dict[tuple[int, ...], tuple[bytes, bytes | None]] = {}
        cut = self.face.makeSubset

        def make_subset(subset) -> bytes:
            known = self._subsets.get(tuple(subset))
            if known is None:
                if len(self._subsets) >= self._REMEMBERED:
                    self._subsets.clear()
                known = self._subsets[tuple(subset)] = (cut(subset), None)
            return known[0]

        self.face.makeSubset = make_subset

    def _compressed(self, subset, stream) -> None:
        """The subset's font file, compressed once (as ReportLab would, every time)."""
        key = tuple(subset)
        raw, packed = self._subsets.get(key, (stream.content, None))
        if packed is None:
            packed = zlib.compress(raw)
            self._subsets[key] = (raw, packed)
        stream.content = packed
        stream.dictionary["Filter"] = pdfdoc.PDFName("FlateDecode")

    def addObjects(self, doc) -> None:
        state = self.state.get(doc)
        if state is None:
            return super().addObjects(doc)
        subsets = list(state.subsets)
        internals = [self.getSubsetInternalName(index, doc)[1:] for index in range(len(subsets))]
        super().addObjects(doc)  # names them AAAAAA+..., AAAAAB+... and forgets the document
        for internal, subset in zip(internals, subsets):
            font = doc.idToObject[internal]
            old = font.BaseFont
            new = subset_tag(old[7:], subset) + old[6:]
            font.BaseFont = new
            doc.idToObject["fontDescriptor:" + old]["FontName"] = pdfdoc.PDFName(new)
            cmap = doc.idToObject["toUnicodeCMap:" + old]
            cmap.content = cmap.content.replace(old, new)
            font_file = doc.idToObject["fontFile:%s(%s)" % (self.face.filename, old)]
            if font_file.filters:
                self._compressed(subset, font_file)


def subset_tag(font_name: str, subset: list[int]) -> str:
    """Six capital letters from a font's name and the characters of one subset."""
    digest = hashlib.sha256(font_name.encode("utf-8") + b":" + ",".join(map(str, subset)).encode()).digest()
    return "".join(chr(ord("A") + byte % 26) for byte in digest[:6])


@cache
def register_fonts() -> str:
    """Register the family with ReportLab and return the regular face's name."""
    for name, filename in _FILES.items():
        pdfmetrics.registerFont(_ContentNamedTTFont(name, str(FONT_DIR / filename)))
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
