"""Right-to-left text and mixed scripts: the Unicode bidi algorithm wired into ReportLab.

ReportLab 5 shapes each word with uharfbuzz (Arabic letters join, right to left, inside
the word). Its bidi ordering needs its own `rlbidi` package, which is not on PyPI, and
in 5.1 it is switched off for paragraphs of more than one font, which every mixed-script
paragraph is. So the two halves are combined here, neither written by hand:

- shaping alone would leave the words of a name in left-to-right order;
- reordering the characters before shaping would reverse the letters.

Words are shaped in logical order by ReportLab; after line breaking, each line's words
are put in visual order by python-bidi's implementation of the Unicode bidi algorithm
(`break_lines`). `install()` also makes ReportLab shape a word drawn in two fonts one
font at a time (`_shape_frag_word`). Both touch ReportLab internals (named below), so
ReportLab is pinned below 6.
"""

from __future__ import annotations

import re
import unicodedata
from contextvars import ContextVar

from bidi import algorithm
from bidi.mirror import MIRRORED
from reportlab.pdfbase.pdfmetrics import stringWidth


class _CompiledOnFirstUse:
    """A regular expression compiled the first time it is used."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)
        self._compiled: re.Pattern | None = None

    def __getattr__(self, name: str):
        if self._compiled is None:
            self._compiled = re.compile(*self._source)
        return getattr(self._compiled, name)


def _import_paragraph() -> None:
    """Import ReportLab's paragraph module without compiling its web-address pattern.

    On import it compiles `uri_pat`, a pattern it needs only to split an over-long web
    address at a line end; case-insensitive over most of Unicode, that takes Python 3.11
    about 40 ms, a sixth of a cold `leaflet build`. Here it is compiled when first used.
    """
    import sys

    if "reportlab.platypus.paragraph" in sys.modules:
        return
    compile_now = re.compile

    def compile(pattern, flags=0):
        if isinstance(pattern, str) and pattern.startswith("(^(?:[a-z0-9\\.\\-\\+]*)://)"):
            return _CompiledOnFirstUse(pattern, flags)
        return compile_now(pattern, flags)

    re.compile = compile
    try:
        import reportlab.platypus.paragraph  # noqa: F401
    finally:
        re.compile = compile_now


_import_paragraph()

#: Paragraph directions as ReportLab names them, and python-bidi's base levels.
_BASE_LEVEL = {"LTR": 0, "RTL": 1}


def log2vis(text: str, base_direction: str | None = None, clean: bool = True,
            positions_V_to_L: list[int] | None = None, **_ignored) -> str:
    """The visual order of text (the signature of rlbidi's function of the same name).

    Fills positions_V_to_L (when given) with, for each visual character, the index of
    the logical character it shows: ReportLab maps visual words back to logical ones
    with it. Mirrored characters (brackets) are mirrored inside right-to-left runs.
    Bidi control characters are dropped (rule X9), as `clean` asks.
    """
    storage = algorithm.get_empty_storage()
    if base_direction and base_direction.upper() in _BASE_LEVEL:
        base_level = _BASE_LEVEL[base_direction.upper()]
    else:
        base_level = algorithm.get_base_level(text)
    storage["base_level"] = base_level
    storage["base_dir"] = ("L", "R")[base_level]
    algorithm.get_embedding_levels(text, storage)
    for index, char in enumerate(storage["chars"]):
        char["index"] = index
    algorithm.explicit_embed_and_overrides(storage)
    algorithm.resolve_weak_types(storage, False)
    algorithm.resolve_neutral_types(storage, False)
    algorithm.resolve_implicit_levels(storage, False)
    algorithm.reorder_resolved_levels(storage, False)
    algorithm.apply_mirroring(storage, False)
    chars = storage["chars"]
    if positions_V_to_L is not None:
        positions_V_to_L[:] = [char["index"] for char in chars]
    return "".join(char["ch"] for char in chars)


_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def needs_bidi(text: str) -> bool:
    """Whether text holds any right-to-left character (Hebrew, Arabic and the like)."""
    return _RIGHT_TO_LEFT.search(text) is not None


#: OpenType features for shaping: ReportLab's default adds discretionary ligatures
#: (dlig), which turn a plain "محمد" into a vowelled ligature; a name prints as written.
FEATURES = {"kern": True, "liga": True}


def _shape_frag_word(word, features=None, force=False):
    """ReportLab's word shaping, one font at a time.

    ReportLab shapes a whole word with its first fragment's font, which garbles a word
    whose characters come from two fonts ("(دوبيلوماب)": the brackets are DejaVu's).
    Each same-font run is shaped alone, and the runs are put in the visual order the
    bidi algorithm gives for the page's direction (`direction`); runs without
    right-to-left letters are drawn as bidi displays them (brackets mirrored).
    """
    features = FEATURES if features is None else features
    frags = word[1:]
    names = {frag.fontName for frag, _ in frags}
    if any(hasattr(frag, "cbDefn") for frag, _ in frags):
        return _reportlab_shape(word, features, force)
    if len(names) <= 1:
        if len(frags) == 1 and direction.get() == "RTL" and not needs_bidi(frags[0][1]):
            frag, text = frags[0]
            shown = latin_in_rtl(text)
            if shown != text:
                word = word.__class__([word[0], (frag, shown)])
        return _reportlab_shape(word, features, force)
    groups: list[list] = []
    for frag, text in frags:
        if groups and groups[-1][0][0].fontName == frag.fontName:
            groups[-1].append((frag, text))
        else:
            groups.append([(frag, text)])
    text = "".join(part for _, part in frags)
    if needs_bidi(text):
        groups = _visual(groups, text)
    # Direction marks have done their work in ordering; drawn, they have no width, and a
    # run of nothing else upsets ReportLab's spacing after the word.
    groups = [group for group in groups if "".join(part for _, part in group).strip(_MARKS)] or groups[:1]
    if len(groups) == 1:
        only = groups[0]
        width = sum(stringWidth(part, frag.fontName, frag.fontSize) for frag, part in only)
        return _reportlab_shape(word.__class__([width, *only]), features, force)
    shaped = []
    for group in groups:
        width = sum(stringWidth(part, frag.fontName, frag.fontSize) for frag, part in group)
        shaped.append(_reportlab_shape(word.__class__([width, *group]), features, True))
    return shaped[0].__class__([sum(part[0] for part in shaped), *(piece for part in shaped for piece in part[1:])])


_MARKS = "\u200e\u200f"
_STOPS = ".!?:;"
_PAIRS = {"(": ")", "[": "]"}


def latin_in_rtl(word: str) -> str:
    """A word of Latin letters or digits as drawn on a right-to-left page.

    The word itself reads left to right ("300 mg", "(dupilumab)" stay as typed); what
    belongs to the right-to-left sentence around it moves: a full stop or other end
    mark goes to its left ("2017." is drawn ".2017"), and so does a closing bracket
    whose opening one is in the Arabic before it (mirrored: "EoE)" is drawn "(EoE"); an
    opening bracket whose closing one comes later goes to its right, mirrored.
    A comma inside an English phrase ("Anderson, PharmD") stays put.
    """
    core, tail, head = word, "", ""
    while core and (core[-1] in _STOPS or core[-1] in "\u200e\u200f"
                    or (core[-1] in ")]" and core.count(core[-1]) > core.count({")": "(", "]": "["}[core[-1]]))):
        core, tail = core[:-1], core[-1] + tail
    while core and core[0] in _PAIRS and core.count(core[0]) > core.count(_PAIRS[core[0]]):
        core, head = core[1:], head + core[0]
    if not tail and not head:
        return word
    return ("".join(MIRRORED.get(c, c) for c in reversed(tail)) + core
            + "".join(MIRRORED.get(c, c) for c in reversed(head)))


def _visual(groups: list[list], text: str) -> list[list]:
    """Same-font runs of a word in visual order, neutral runs as bidi displays them."""
    v_to_l: list[int] = []
    shown = log2vis(text, direction.get(), positions_V_to_L=v_to_l)
    l_to_v = {logical: visual for visual, logical in enumerate(v_to_l)}
    placed = []
    start = 0
    for group in groups:
        length = sum(len(part) for _, part in group)
        indices = [l_to_v[i] for i in range(start, start + length) if i in l_to_v]
        start += length
        if not indices:
            continue
        if not needs_bidi("".join(part for _, part in group)):
            drawn = "".join(shown[v] for v in sorted(indices))
            group = [(group[0][0], drawn)]
        placed.append((min(indices), group))
    return [group for _, group in sorted(placed, key=lambda item: item[0])]


#: The direction of the page being laid out ("LTR" or "RTL"); layout sets it.
direction: ContextVar[str] = ContextVar("direction", default="LTR")


def _strong(char: str) -> bool:
    """A letter or digit (a direction mark, LRM or RLM, places nothing by itself)."""
    return char not in _MARKS and unicodedata.bidirectional(char) in ("L", "R", "AL", "EN", "AN")


def visual_order(words: list[str], base: str) -> list[int]:
    """For each word of a line (logical order), its position in visual order."""
    v_to_l: list[int] = []
    log2vis(" ".join(words), base, positions_V_to_L=v_to_l)
    # A word is placed where its first strong character (a letter or digit) goes: in
    # "Dupixent (dupilumab)" on a right-to-left page the closing bracket ends up on the far
    # left, but the word it belongs to stays with the English around it.
    owner = []
    for index, word in enumerate(words):
        owner += [index if _strong(char) else -1 for char in word] + [-1]
    for index, word in enumerate(words):
        if not any(_strong(char) for char in word):  # all punctuation: place it by any character
            start = sum(len(w) + 1 for w in words[:index])
            owner[start:start + len(word)] = [index] * len(word)
    seen: list[int] = []
    for logical in v_to_l:
        word = owner[logical] if logical < len(owner) else -1
        if word >= 0 and word not in seen:
            seen.append(word)
    seen += [index for index in range(len(words)) if index not in seen]  # empty words
    position = [0] * len(words)
    for visual, word in enumerate(seen):
        position[word] = visual
    return position


def break_lines(paragraph, widths, break_lines_as_reportlab, base: str):
    """A paragraph's lines with the words of each line in visual (bidi) order.

    The bidi algorithm reorders each line after line breaking (UAX #9, rule L2), and
    the order of words within a line does not change where lines break. So lines are
    broken once to learn which words each holds, then again with each line's words in
    visual order. ReportLab's own reordering of such paragraphs is switched off in 5.1.
    """
    from reportlab.platypus import paragraph as rl_paragraph

    frags = paragraph.frags
    first = break_lines_as_reportlab(widths)
    paragraph.frags = frags  # ReportLab leaves its word list there
    counts = [getattr(line, "wordCount", None) for line in first.lines]
    if getattr(first, "kind", 0) != 1 or any(count is None for count in counts):
        return first
    original = rl_paragraph._getFragWords

    def reordered(frags, maxWidth=None):
        words = original(frags, maxWidth)
        if sum(counts) != len(words):
            return words
        out, start = [], 0
        for count in counts:
            line = words[start:start + count]
            texts = ["".join(text for frag, text in word[1:] if not hasattr(frag, "cbDefn")) for word in line]
            position = visual_order(texts, base)
            visual = [word for _, word in sorted(zip(position, line), key=lambda item: item[0])]
            # A word carries the space after it (ReportLab's _HSFrag): the slots keep theirs.
            out += [_spaced_like(word, type(slot), rl_paragraph._HSFrag) for word, slot in zip(visual, line)]
            start += count
        return out

    rl_paragraph._getFragWords = reordered
    try:
        return break_lines_as_reportlab(widths)
    finally:
        rl_paragraph._getFragWords = original


def _spaced_like(word, kind, spaced):
    """word with (spaced) or without (list) a space after it, as kind says."""
    if kind is spaced and type(word) is list:
        return spaced(word)
    if kind is list and type(word) is spaced:
        return list(word)
    return word


def isolated(field: str, right_to_left_page: bool = False) -> str:
    """A user's field (a name) kept from reordering the text around it.

    In "Your pharmacy: صيدلية النور, 01632 960 000" the bidi algorithm would carry the
    phone number into the Arabic run and print its groups backwards. A mark of the
    page's direction after a field of the other direction (LRM or RLM) ends its run.
    """
    if right_to_left_page:
        return field + "\u200f" if any(char.isascii() and char.isalpha() for char in field) else field
    return field + "\u200e" if needs_bidi(field) else field


def install() -> None:
    """Make ReportLab shape a word drawn in two fonts one font at a time (see above)."""
    global _reportlab_shape
    from reportlab.platypus import paragraph

    if paragraph.shapeFragWord is not _shape_frag_word:
        _reportlab_shape = paragraph.shapeFragWord
        paragraph.shapeFragWord = _shape_frag_word


_reportlab_shape = None
