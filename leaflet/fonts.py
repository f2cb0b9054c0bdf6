"""The fonts: shipped in the package (one CJK font found on the machine), registered once.

DejaVu Sans (Bitstream Vera licence, fonts/LICENSE) draws Latin, Greek, Cyrillic and
Vietnamese, and every leaflet's own text in those languages. Noto Sans Arabic, Hebrew
and Devanagari (SIL Open Font License, fonts/LICENSE-OFL.txt) draw those scripts: text
is split into runs, each drawn by the face made for its script. Chinese, Japanese and
Korean need a font of several megabytes, which the package does not ship; the first
TrueType CJK font found on the machine is used (Debian: `fonts-wqy-zenhei`). ReportLab
embeds a subset of each font used (only the glyphs printed).

Registering a TTF costs tens of milliseconds, so each face is registered once per
process, and only when a text first needs it: an English leaflet loads DejaVu alone.
What ReportLab reads from a shipped font file (its tables, about 15 ms a file) is also
remembered between runs with the checked files (`leaflet.checked`).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import unicodedata
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from html import escape  # not xml.sax.saxutils: it imports urllib, http and ssl

from fnmatch import fnmatch
from weakref import WeakKeyDictionary

from reportlab import rl_config
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTEncoding, TTFont, TTFNameBytes, TTFontFace, unShapedFontGlob

from . import checked

FONT_DIR = Path(__file__).with_name("fonts")
REGULAR = "LeafletSans"
BOLD = "LeafletSans-Bold"


@dataclass(frozen=True)
class Face:
    """A regular and a bold font file, registered with ReportLab under these names."""

    name: str
    regular: Path
    bold: Path
    #: Code point ranges whose characters this face draws first (its script).
    ranges: tuple[tuple[int, int], ...] = ()
    subfont: int = 0

    @property
    def bold_name(self) -> str:
        return self.name + "-Bold"

    def owns(self, code: int) -> bool:
        return any(low <= code <= high for low, high in self.ranges)


LATIN = Face(REGULAR, FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf")
ARABIC = Face("LeafletArabic", FONT_DIR / "NotoSansArabic-Regular.ttf", FONT_DIR / "NotoSansArabic-Bold.ttf",
              ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)))
HEBREW = Face("LeafletHebrew", FONT_DIR / "NotoSansHebrew-Regular.ttf", FONT_DIR / "NotoSansHebrew-Bold.ttf",
              ((0x0590, 0x05FF), (0xFB1D, 0xFB4F)))
DEVANAGARI = Face("LeafletDevanagari", FONT_DIR / "NotoSansDevanagari-Regular.ttf",
                  FONT_DIR / "NotoSansDevanagari-Bold.ttf", ((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF)))
BUNDLED = (LATIN, ARABIC, HEBREW, DEVANAGARI)

#: TrueType CJK fonts looked for on the machine, best first (ReportLab reads TrueType
#: outlines only, so Noto CJK's OpenType/CFF files cannot be used). Debian packages:
#: fonts-wqy-zenhei, fonts-wqy-microhei. LEAFLET_CJK_FONT=/path/to/font.ttf|ttc overrides.
CJK_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)


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

    def __init__(self, name: str, filename: str, subfontIndex: int = 0) -> None:
        # What TTFont.__init__ does, with a face read back when this file was read before
        # (tests/test_checked.py compares the two).
        self.fontName = name
        self.face = _face(filename, subfontIndex)
        self.encoding = TTEncoding()
        self.state = WeakKeyDictionary()
        self._asciiReadable = rl_config.ttfAsciiReadable
        self.shapable = not any(fnmatch(name, pattern) for pattern in unShapedFontGlob)
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


#: Parts of a parsed face that are not plain data: the file's bytes (read again), a
#: scaling function (made again from unitsPerEm, as ReportLab makes it) and names that
#: are a bytes subclass.
_NAMES = ("name", "familyName", "styleName", "fullName", "uniqueFontID")


def _face(filename: str, subfont: int) -> TTFontFace:
    """ReportLab's face of a font file: parsed, or read back as parsed on an earlier run."""
    path = Path(filename)
    identity = checked.file_identity(path)
    if identity == "missing":
        return TTFontFace(filename, subfontIndex=subfont)  # ReportLab says what is wrong
    key = f"{path.resolve()}:{subfont}:{identity}"
    kept = checked.remembered_bytes("font", key)
    if kept is not None:
        try:
            return _restored(marshal.loads(kept), path)
        except Exception:  # noqa: BLE001 (whatever cannot be restored is parsed again: never a failed build)
            pass
    face = TTFontFace(filename, subfontIndex=subfont)
    state = {name: value for name, value in vars(face).items() if name not in ("_ttf_data", "_pdfScale")}
    for name in _NAMES:
        state[name] = bytes(state[name])
    try:
        checked.remember_bytes("font", key, marshal.dumps(state))
    except ValueError:
        pass  # a value marshal cannot keep: parse it every time
    return face


def _restored(state: dict, path: Path) -> TTFontFace:
    face = TTFontFace.__new__(TTFontFace)
    pdfmetrics.TypeFace.__init__(face, None)
    face.__dict__.update(state)
    for name in _NAMES:
        setattr(face, name, TTFNameBytes(state[name]))
    face._ttf_data = path.read_bytes()
    units = face.unitsPerEm
    face._pdfScale = (lambda x: x) if units == 1000 else (lambda x, _1000mult=1000 / units: x * _1000mult)
    return face


def subset_tag(font_name: str, subset: list[int]) -> str:
    """Six capital letters from a font's name and the characters of one subset."""
    digest = hashlib.sha256(font_name.encode("utf-8") + b":" + ",".join(map(str, subset)).encode()).digest()
    return "".join(chr(ord("A") + byte % 26) for byte in digest[:6])


def register_fonts() -> str:
    """Register the Latin family (every leaflet's own text) and return its regular name."""
    _register(LATIN)
    return REGULAR


@cache
def _register(face: Face) -> Face:
    pdfmetrics.registerFont(_ContentNamedTTFont(face.name, str(face.regular), subfontIndex=face.subfont))
    if face.bold != face.regular:
        pdfmetrics.registerFont(_ContentNamedTTFont(face.bold_name, str(face.bold), subfontIndex=face.subfont))
        bold = face.bold_name
    else:
        bold = face.name  # no bold drawn: bold text in this script prints regular
    addMapping(face.name, 0, 0, face.name)
    addMapping(face.name, 1, 0, bold)
    addMapping(face.name, 0, 1, face.name)
    addMapping(face.name, 1, 1, bold)
    return face


def font_name(face: Face, bold: bool) -> str:
    """The registered name to draw text of this face in (bold falls back to regular)."""
    _register(face)
    if bold and face.bold != face.regular:
        return face.bold_name
    return face.name


@cache
def cjk_face() -> Face | None:
    """The CJK font found on this machine, or None."""
    override = os.environ.get("LEAFLET_CJK_FONT")
    for path in ([Path(override)] if override else []) + list(CJK_CANDIDATES):
        if path.is_file():
            return Face("LeafletCJK", path, path)
    return None


@cache
def _covered(face: Face) -> frozenset[int]:
    """Code points the face draws in both weights."""
    _register(face)
    regular = set(pdfmetrics.getFont(face.name).face.charToGlyph)
    if face.bold != face.regular:
        regular &= set(pdfmetrics.getFont(face.bold_name).face.charToGlyph)
    return frozenset(regular)


@cache
def _latin_chars() -> frozenset[str]:
    return frozenset(chr(code) for code in _covered(LATIN))


@cache
def _draws_ascii() -> bool:
    """The Latin face draws every printable ASCII character (spaces need no glyph)."""
    covered = _covered(LATIN)
    return all(code in covered for code in range(0x21, 0x7F))


def _face_for(char: str, current: Face | None) -> Face | None:
    """The face that draws char: its script's face, else the current run's, else the first."""
    code = ord(char)
    for face in BUNDLED[1:]:
        if face.owns(code) and code in _covered(face):
            return face
    if current is not None and code in _covered(current):
        return current
    for face in BUNDLED:
        if code in _covered(face):
            return face
    cjk = cjk_face()
    if cjk is not None and code in _covered(cjk):
        return cjk
    return None


def runs(text: str) -> list[tuple[Face, str]]:
    """Text split into runs, each drawn by one face.

    White space, marks and joiners stay in the run they follow; other characters go to
    their script's face, or the first face that has them (Noto Sans Arabic has no
    brackets: they come from DejaVu).
    Raises ValueError for a character no face can draw; `cannot_draw` says which.
    """
    if _latin_chars().issuperset(text) and not needs_own_face(text):
        return [(LATIN, text)] if text else []
    out: list[tuple[Face, str]] = []
    current: Face | None = None
    for index, char in enumerate(text):
        if char in _ISOLATE_OPENERS:  # never drawn: with the run it opens (see rtl.ISOLATES)
            following = text[index + 1:].lstrip(_ISOLATES)
            face = (current if not following else _face_for(following[0], None if current in BUNDLED[1:] else current)
                    ) or current or LATIN
        elif char in _ISOLATES:  # the closing PDI: with the run it closes
            face = current or LATIN
        elif current is not None and (char.isspace() or char in _JOINERS or unicodedata.category(char) in ("Mn", "Me")):
            face = current
        else:
            # Digits and punctuation do not stay in a right-to-left (or Devanagari) run:
            # shaping would lay them out in that script's direction, and bidi decides where
            # they go ("النور, 01632": the comma and number belong to the English around them).
            face = _face_for(char, None if current in BUNDLED[1:] else current)
            if face is None:
                raise ValueError(cannot_draw(text))
        if out and out[-1][0] is face:
            out[-1] = (face, out[-1][1] + char)
        else:
            out.append((face, char))
        current = face
    return out


_OWN_SCRIPTS = re.compile("[%s]" % "".join(f"{chr(low)}-{chr(high)}" for face in BUNDLED[1:]
                                             for low, high in face.ranges))


#: Zero-width joiner and non-joiner: they shape the letters on both sides.
_JOINERS = "\u200c\u200d"
#: Directional isolates (rtl.ISOLATES): order text, are never drawn, so no face needs them.
_ISOLATE_OPENERS = "\u2066\u2067\u2068"
_ISOLATES = _ISOLATE_OPENERS + "\u2069"


def needs_own_face(text: str) -> bool:
    """Whether text has characters drawn by a face of their own script (not DejaVu)."""
    return _OWN_SCRIPTS.search(text) is not None


def markup(text: str, bold: bool = False) -> str:
    """Text made safe for ReportLab's paragraph markup, each run in its own face.

    Runs of the Latin face need no tag (it is the paragraph style's font).
    """
    text = unicodedata.normalize("NFC", text)
    pieces = []
    for face, part in runs(text):
        escaped = escape(part, quote=False).replace('"', "&quot;").replace("'", "&#39;")
        if face is LATIN:
            pieces.append(escaped)
        else:
            pieces.append(f'<font name="{font_name(face, bold)}">{escaped}</font>')
    return "".join(pieces)


def cannot_draw(text: str) -> str | None:
    """What is wrong with text no available font can fully draw, or None.

    One message for content (at validation), manifest names and layout alike. It names
    code points, never the text itself (a patient's name stays out of logs).
    """
    missing = undrawable(unicodedata.normalize("NFC", text))
    if not missing:
        return None
    shown = ", ".join(f"U+{ord(char):04X}" for char in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    hint = ""
    if cjk_face() is None and any(_looks_cjk(char) for char in missing):
        hint = " (Chinese, Japanese and Korean need a CJK font: install the Debian package fonts-wqy-zenhei)"
    return f"no available font can draw the character(s) {shown}{more}; they would print as blank boxes{hint}"


def _looks_cjk(char: str) -> bool:
    code = ord(char)
    return (0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF
            or 0x20000 <= code <= 0x3FFFF or 0x1100 <= code <= 0x11FF)


def undrawable(text: str) -> list[str]:
    """Characters in text that no available font can draw (which would print as boxes)."""
    if text.isascii() and text.isprintable() and _draws_ascii():  # most names: no set of every glyph needed
        return []
    if _latin_chars().issuperset(text):
        return []
    missing: list[str] = []
    for char in text:
        if char.isspace() or char in missing:
            continue
        if _face_for(char, None) is None:
            missing.append(char)
    return missing
