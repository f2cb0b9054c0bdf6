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
from reportlab.pdfbase.ttfonts import ShapeData


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


#: Directional isolates (UAX #9): LRI, RLI and FSI open one, PDI closes it. A value put
#: into a sentence of the other direction (an English title in an Arabic sentence) is
#: wrapped in FSI ... PDI (`i18n.CatalogueWords.field`): inside, it keeps its own order
#: and punctuation. They order text and are never drawn.
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
_OPENERS = LRI + RLI + FSI
ISOLATES = _OPENERS + PDI
_OBJECT = "\ufffc"  # a neutral (ON) character that stands for a whole isolate, as UAX #9 treats one


def plain(text: str) -> str:
    """text without isolate characters: what is drawn, and what metadata carries."""
    return text.translate(_NO_ISOLATES) if any(char in ISOLATES for char in text) else text


_NO_ISOLATES = {ord(char): None for char in ISOLATES}


def log2vis(text: str, base_direction: str | None = None, clean: bool = True,
            positions_V_to_L: list[int] | None = None, **_ignored) -> str:
    """The visual order of text (the signature of rlbidi's function of the same name).

    Fills positions_V_to_L (when given) with, for each visual character, the index of
    the logical character it shows: ReportLab maps visual words back to logical ones
    with it. Mirrored characters (brackets) are mirrored inside right-to-left runs.
    Bidi control characters are dropped (rule X9), as `clean` asks, and so are isolate
    characters, after they have done their work (`_with_isolates`).
    """
    if any(char in ISOLATES for char in text):
        return _with_isolates(text, base_direction, positions_V_to_L)
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


def _with_isolates(text: str, base_direction: str | None, positions_V_to_L: list[int] | None) -> str:
    """log2vis for text holding isolates; python-bidi's Python algorithm has none (its Rust
    one has, but gives no positions).

    As UAX #9 says, each isolate is one neutral character to the text around it (here
    U+FFFC) and is ordered inside by its own direction: LRI left to right, RLI right to
    left, FSI as its first letter says. A PDI with no opener before it closes an
    isolate begun on an earlier line (the text is one line); an opener with no PDI runs
    to the end.
    """
    outer, spans = [], []  # spans: (start, end, direction) of each isolate's inside
    index, depth = 0, 0
    first_pdi = text.find(PDI)
    first_opener = min((text.find(c) for c in _OPENERS if c in text), default=-1)
    if first_pdi >= 0 and (first_opener < 0 or first_pdi < first_opener):
        spans.append((0, first_pdi, None))
        outer.append(_OBJECT)
        index = first_pdi + 1
    while index < len(text):
        char = text[index]
        if char in _OPENERS:
            end, depth = index + 1, 1
            while end < len(text) and depth:
                depth += text[end] in _OPENERS
                depth -= text[end] == PDI
                end += 1
            inner_end = end - 1 if depth == 0 else end
            spans.append((index + 1, inner_end, {LRI: "LTR", RLI: "RTL"}.get(char)))
            outer.append(_OBJECT)
            index = end
        else:
            if char != PDI:  # an unmatched closer: nothing to close
                spans.append((index, index + 1, ""))
                outer.append(char)
            index += 1
    outer_v_to_l: list[int] = []
    outer_shown = log2vis("".join(outer), base_direction, positions_V_to_L=outer_v_to_l)
    shown: list[str] = []
    v_to_l: list[int] = []
    for visual, logical in enumerate(outer_v_to_l):
        start, end, direction = spans[logical]
        if direction == "":  # an ordinary character, as the outer text shows it
            shown.append(outer_shown[visual])
            v_to_l.append(start)
            continue
        inside = text[start:end]
        if direction is None:
            direction = "RTL" if algorithm.get_base_level(plain(inside)) == 1 else "LTR"
        inner: list[int] = []
        shown.append(log2vis(inside, direction, positions_V_to_L=inner))
        v_to_l += [start + position for position in inner]
    if positions_V_to_L is not None:
        positions_V_to_L[:] = v_to_l
    return "".join(shown)


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
        return _shape_around_callbacks(word, features, force)
    if len(names) <= 1:
        if len(frags) == 1 and direction.get() == "RTL" and not needs_bidi(frags[0][1]):
            frag, text = frags[0]
            shown = latin_in_rtl(text, inside=id(word) in _inside_isolates.get())
            if shown != text:
                word = word.__class__([stringWidth(shown, frag.fontName, frag.fontSize), (frag, shown)])
        return _reportlab_shape(_without_isolates(word), features, force)
    word = _without_isolates(word)
    frags = word[1:]
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


def _shape_around_callbacks(word, features, force):
    """A word holding zero-width callbacks (a link's start and end, see tagging.py), its
    text between them shaped run by run.

    ReportLab shapes such a word whole and then sorts callbacks and glyph runs by place,
    which fails when a one-glyph run (the "." after an address) sits where a callback
    does. On a right-to-left page an end mark after an isolated address ("⁨https://...⁩."
    ending an Arabic sentence) is drawn first: left of the link, not inside it.
    """
    parts = list(word[1:])
    if direction.get() == "RTL" and not hasattr(parts[-1][0], "cbDefn") and PDI in parts[-1][1]:
        frag, text = parts[-1]
        inner, after = text.rsplit(PDI, 1)
        if after and not after.strip(_STOPS):
            parts = [(frag, after), *parts[:-1], *([(frag, inner + PDI)] if plain(inner) else [])]
    inside = _inside_isolates.get()
    out: list = []
    run: list = []
    made, width = None, 0.0

    def shape_run() -> None:
        nonlocal made, width
        if not run:
            return
        alone = word.__class__([sum(stringWidth(plain(text), frag.fontName, frag.fontSize) for frag, text in run),
                                *run])
        if id(word) in inside and isinstance(inside, set):
            inside.add(id(alone))
        shaped = _shape_frag_word(alone, features, force)
        if shaped is not alone and made is None:
            made = shaped.__class__
        width += shaped[0]
        out.extend(shaped[1:])
        run.clear()

    for frag, text in parts:
        if hasattr(frag, "cbDefn"):
            shape_run()
            out.append((frag, text))
        else:
            run.append((frag, text))
    shape_run()
    return (made or word.__class__)([width, *out])


def _without_isolates(word):
    """A frag word with its isolate characters taken out (they have no glyph), and its
    width measured again when any were there."""
    frags = word[1:]
    if not any(char in ISOLATES for _, text in frags for char in text):
        return word
    kept = [(frag, plain(text)) for frag, text in frags]
    kept = [(frag, text) for frag, text in kept if text or hasattr(frag, "cbDefn")] or kept[:1]
    width = sum(stringWidth(text, frag.fontName, frag.fontSize) for frag, text in kept if not hasattr(frag, "cbDefn"))
    return word.__class__([width, *kept])


#: ids of the frag words, in the line being broken, that lie wholly inside an isolate
#: (an English title in an Arabic sentence): their punctuation is the title's own.
_inside_isolates: ContextVar[set[int] | frozenset[int]] = ContextVar("_inside_isolates", default=frozenset())

_MARKS = "\u200e\u200f"
_STOPS = ".!?:;"
_PAIRS = {"(": ")", "[": "]"}


def latin_in_rtl(word: str, inside: bool = False) -> str:
    """A word of Latin letters or digits as drawn on a right-to-left page.

    The word itself reads left to right ("300 mg", "(dupilumab)" stay as typed); what
    belongs to the right-to-left sentence around it moves: a full stop or other end
    mark goes to its left ("2017." is drawn ".2017"), and so does a closing bracket
    whose opening one is in the Arabic before it (mirrored: "EoE)" is drawn "(EoE"); an
    opening bracket whose closing one comes later goes to its right, mirrored.
    A comma inside an English phrase ("Anderson, PharmD") stays put, and so does
    everything inside an isolate (see `ISOLATES`): "work?" ending an English title keeps its
    question mark on the right, while a stop after the isolate ends the Arabic sentence.
    A word wholly inside an isolate (inside=True) is drawn as written. Isolate
    characters are left out of what is returned.
    """
    if inside or any(char in ISOLATES for char in word):
        opener = min((word.find(c) for c in _OPENERS if c in word), default=-1)
        closer = word.rfind(PDI)
        if closer >= 0 and (opener < 0 or opener < closer):
            start = opener + 1 if opener >= 0 else 0
            own, around = word[start:closer], word[:max(opener, 0)] + _OBJECT + word[closer + 1:]
        elif opener >= 0:
            own, around = word[opener + 1:], word[:opener] + _OBJECT
        else:
            return plain(word)
        before, after = plain(around).split(_OBJECT)
        if _neutral(before) and _neutral(after):  # the isolate's own text between RTL punctuation
            return _rtl_neutrals(after) + plain(own) + _rtl_neutrals(before)
        return _latin_in_rtl(plain(around)).replace(_OBJECT, plain(own))
    return _latin_in_rtl(word)


def _latin_in_rtl(word: str) -> str:
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

    inside: set[int] = set()

    def reordered(frags, maxWidth=None):
        words = original(frags, maxWidth)
        if sum(counts) != len(words):
            return words
        out, start, depth = [], 0, 0
        for count in counts:
            line = words[start:start + count]
            texts = ["".join(text for frag, text in word[1:] if not hasattr(frag, "cbDefn")) for word in line]
            position = visual_order(texts, base)
            depths = []
            for text in texts:
                depths.append(depth)
                for char in text:
                    depth = depth + 1 if char in _OPENERS else max(depth - (char == PDI), 0)
            if base == "RTL":
                line = _punctuation_around_isolates(line, texts, depths, position)
            visual = [word for _, word in sorted(zip(position, line), key=lambda item: item[0])]
            # A word carries the space after it (ReportLab's _HSFrag): the slots keep theirs.
            placed = [_spaced_like(word, type(slot), rl_paragraph._HSFrag) for word, slot in zip(visual, line)]
            within = {id(word) for word, text, at in zip(line, texts, depths)
                      if at > 0 and not any(char in ISOLATES for char in text)}
            inside.update(id(new) for new, old in zip(placed, visual) if id(old) in within)
            out += placed
            start += count
            end = _line_end(line, rl_paragraph) if start < len(words) else None
            if end is not None:
                out.append(end)
        return out

    rl_paragraph._getFragWords = reordered
    token = _inside_isolates.set(inside)  # filled as lines are reordered, read as their words are shaped
    try:
        full = [widths[min(index, len(widths) - 1)] if isinstance(widths, (list, tuple)) else widths
                for index in range(len(counts))]
        second = break_lines_as_reportlab([width + _SLACK for width in full])
        for line, width in zip(second.lines, full + full[-1:] * len(second.lines)):
            line.extraSpace -= _SLACK
            if getattr(line, "maxWidth", None) is not None:
                line.maxWidth = width
        return second
    finally:
        rl_paragraph._getFragWords = original
        _inside_isolates.reset(token)


#: How much wider a line may come out in visual order than in logical order (each word
#: carries the space after it in its own font, and the words change places): the
#: forced breaks (`_line_end`) keep every line to its own words, so the line is allowed
#: this much more room rather than being split.
_SLACK = 6.0


def _line_end(line: list, rl_paragraph):
    """A forced line break after a line's words, as ReportLab injects one itself when it
    hyphenates (an `_InjectedFrag`, so the line is not marked as ended by a <br/>).

    ReportLab fills lines greedily; with each line's words in visual order, the word that
    comes first after a line is a different one (on a right-to-left page, the line's
    last: "الأولى." is its leftmost), and a narrower one was pulled up onto the line
    above when it fitted there. The break holds each line to the words it had.
    """
    frag = next((frag for word in reversed(line) for frag, _ in reversed(word[1:]) if not hasattr(frag, "cbDefn")),
                None)
    if frag is None:
        return None
    return rl_paragraph._InjectedFrag([0, (frag.clone(_fkind=rl_paragraph._FK_BREAK, text=""), "")])


def _neutral(text: str) -> bool:
    """Punctuation and spaces only: characters that take the direction of the text around."""
    return not any(_strong(char) for char in text)


def _rtl_neutrals(text: str) -> str:
    """Neutral characters as a right-to-left sentence shows them: reversed, brackets mirrored."""
    return "".join(MIRRORED.get(char, char) for char in reversed(text))


def _punctuation_around_isolates(line: list, texts: list[str], depths: list[int], position: list[int]) -> list:
    """A line's words (logical order) with the punctuation around an isolate of several
    words moved to where the bidi algorithm shows it: what follows the isolate to its
    left end, what precedes it to its right end.

    "راجعه ⁨Leigh Ann Anderson, PharmD⁩." ends an Arabic sentence: its full stop is
    drawn left of the whole English name (".Leigh Ann Anderson, PharmD"), not inside it
    before its last word; "(⁨Krames patient education⁩)," shows as ",(Krames patient
    education)". `latin_in_rtl` does the same within one word. The characters are put
    inside the isolate of the word they join, so they are not moved again.
    """
    line = list(line)

    def members(index: int, step: int) -> list[int]:
        """The words of the isolate that ends (step -1) or starts (step 1) at index."""
        found, at = [index], index + step
        while 0 <= at < len(texts):
            if step < 0 and (depths[at + 1] == 0 if at + 1 < len(texts) else True):
                break
            found.append(at)
            if (PDI in texts[at]) if step > 0 else any(c in _OPENERS for c in texts[at]):
                break
            at += step
        return found

    for index, text in enumerate(texts):
        closer, opener = text.rfind(PDI), max(text.rfind(c) for c in _OPENERS)
        after = text[closer + 1:] if closer >= 0 and opener < 0 else ""
        before = text[:opener] if opener >= 0 and closer < opener else ""
        if after and _neutral(after) and depths[index] > 0:
            leftmost = min(members(index, -1), key=lambda i: position[i])
            if leftmost != index and _frag_text(line[index], -1).endswith(after) and _frag_text(line[leftmost], 1):
                line[index] = _retext(line[index], -1, lambda old: old[:len(old) - len(after)])
                line[leftmost] = _retext(line[leftmost], 1, lambda old: _insert_inside(old, _rtl_neutrals(after), True))
        if before and _neutral(before) and PDI not in text[opener:]:
            rightmost = max(members(index, 1), key=lambda i: position[i])
            if rightmost != index and _frag_text(line[index], 1).startswith(before) and _frag_text(line[rightmost], -1):
                line[index] = _retext(line[index], 1, lambda old: old[len(before):])
                line[rightmost] = _retext(line[rightmost], -1,
                                          lambda old: _insert_inside(old, _rtl_neutrals(before), False))
    return line


def _frag_text(word, at: int) -> str:
    """The text of a word's first (at=1) or last (at=-1) frag; empty for a callback."""
    frag, text = word[at] if at < 0 else word[1]
    return "" if hasattr(frag, "cbDefn") else text


def _insert_inside(text: str, marks: str, at_start: bool) -> str:
    """marks put into text just inside its isolate: after its opener (at_start) or before its PDI."""
    if at_start:
        opener = max(text.rfind(c) for c in _OPENERS)
        return text[:opener + 1] + marks + text[opener + 1:]
    closer = text.rfind(PDI)
    return text[:closer] + marks + text[closer:] if closer >= 0 else text + marks


def _retext(word, at: int, change):
    """word with the text of its frag at `at` (1: first, -1: last) changed, width measured again."""
    parts = list(word[1:])
    slot = at - 1 if at > 0 else len(parts) + at
    frag, text = parts[slot]
    new = change(text)
    parts[slot] = (frag, new)
    width = word[0] + stringWidth(plain(new), frag.fontName, frag.fontSize) - stringWidth(plain(text), frag.fontName,
                                                                                          frag.fontSize)
    return word.__class__([width, *parts])


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
    phone number into the Arabic run and print its groups backwards. On a left-to-right
    page a mark of its direction (LRM) after a right-to-left field ends its run. On a
    right-to-left page each field is an isolate (FSI ... PDI): a phone number keeps its
    groups in order ("01632 960 000", not "000 960 01632") and a name its own full stops
    ("Dr. Zoë M.", not ".Dr Zoë .M").
    """
    if right_to_left_page:
        return FSI + field + PDI if field else field
    return field + "\u200e" if needs_bidi(field) else field


# --- /ActualText: what a shaped cluster says, for text extraction and screen readers ---

#: Glyphs with no character of their own (a Devanagari conjunct such as क्ष): ReportLab
#: gives them private-use code points, which is all a PDF reader could give back.
_PRIVATE = re.compile("[\ue000-\uf8ff]")


def _with_actual_text(shape):
    """ReportLab's shaping, marking each shaped run that holds such a glyph with the text
    it was shaped from (see `_ActualText`), so that it is drawn inside a marked-content
    span whose /ActualText is that text (`_format_text`). Right-to-left runs are left as
    they are: their presentation forms read back as letters already."""

    def shaped(word, features=None, force=False):
        out = shape(word, features, force)
        if out is word:
            return out
        source = [(frag, text) for frag, text in word[1:] if not hasattr(frag, "cbDefn")]
        pieces = [(index, text) for index, (frag, text) in enumerate(out[1:], 1) if not hasattr(frag, "cbDefn")]
        if len(source) != len(pieces):
            return out
        marked = False
        for (frag, original), (_, text) in zip(source, pieces):
            data = getattr(text, "__shapeData__", None)
            if data and _PRIVATE.search(text) and not needs_bidi(original):
                data[0] = _ActualText(*data[0], actual=original, glyphs=len(text))
                marked = True
        if marked:
            _learn_private_glyphs(out[1:], "".join(text for frag, text in source))
        return out

    return shaped


#: (font face name, private-use code point) -> the characters that glyph draws, for the
#: font's ToUnicode map (`_to_unicode_cmap`).
_PRIVATE_TEXT: dict[tuple[str, int], str] = {}


def _learn_private_glyphs(pieces, text: str) -> None:
    """What each private-use glyph of a shaped word draws: its cluster's characters less
    those the cluster's other glyphs stand for (क्ष्मी less म and ी: क्ष्, the conjunct's
    half form). A cluster with two such glyphs is ambiguous and left out."""
    from reportlab.pdfbase import pdfmetrics

    glyphs = [(frag.fontName, char, data.cluster) for frag, shown in pieces if not hasattr(frag, "cbDefn")
              for char, data in zip(shown, getattr(shown, "__shapeData__", ()))]
    starts = sorted({cluster for _, _, cluster in glyphs if cluster >= 0}) + [len(text)]
    for start, end in zip(starts, starts[1:]):
        members = [(font, char) for font, char, cluster in glyphs if cluster == start]
        private = [(font, char) for font, char in members if _PRIVATE.match(char)]
        if len(private) != 1:
            continue
        rest = list(text[start:end])
        for _, char in members:
            if not _PRIVATE.match(char) and char in rest:
                rest.remove(char)
        font, char = private[0]
        face = pdfmetrics.getFont(font).face.name
        face = face.decode("latin-1") if isinstance(face, bytes) else face
        if rest:
            _PRIVATE_TEXT.setdefault((face, ord(char)), "".join(rest))


def _to_unicode_cmap(make):
    """ReportLab's ToUnicode CMap, with each private-use glyph mapped to the characters
    it draws (`_learn_private_glyphs`) rather than to its private-use code point."""

    def made(fontname: str, subset) -> str:
        cmap = make(fontname, subset)
        face = fontname.split("+", 1)[-1]
        for index, code in enumerate(subset):
            text = _PRIVATE_TEXT.get((face, code))
            if text:
                cmap = cmap.replace("<%02X> <%04X>" % (index, code),
                                    "<%02X> <%s>" % (index, text.encode("utf-16-be").hex().upper()), 1)
        return cmap

    made.leaflet_private_text = True
    return made


class _ActualText(ShapeData):
    """The first glyph of a shaped run, carrying the run's text (`actual`) and length
    (`glyphs`): it travels with the glyph through ReportLab's joining and slicing of
    shaped strings into the line that is drawn."""

    def __new__(cls, *fields, actual: str, glyphs: int):
        made = super().__new__(cls, *fields)
        made.actual, made.glyphs = actual, glyphs
        return made


def _format_text(format_text):
    """ReportLab's text-showing operators, with each marked run (see `_with_actual_text`)
    wrapped in `/Span <</ActualText (...)>> BDC ... EMC` (PDF 32000-1, 14.9.4)."""

    def formatted(self, text):
        data = getattr(text, "__shapeData__", None)
        if not data or not any(hasattr(item, "actual") for item in data):
            return format_text(self, text)
        out, start, end = [], 0, len(text)
        while start < end:
            marked = next((index for index in range(start, end) if hasattr(data[index], "actual")), end)
            if marked > start:
                out.append(format_text(self, text[start:marked]))
            if marked < end:
                stop = min(end, marked + data[marked].glyphs)
                actual = "<FEFF" + data[marked].actual.encode("utf-16-be").hex().upper() + ">"
                out += [f"/Span <</ActualText {actual}>> BDC", format_text(self, text[marked:stop]), "EMC"]
                marked = stop
            start = marked
        return " ".join(out)

    formatted.leaflet_actual_text = True
    return formatted


def install() -> None:
    """Make ReportLab shape a word drawn in two fonts one font at a time (see above), and
    give glyphs with no character of their own the text they stand for (/ActualText)."""
    global _reportlab_shape
    from reportlab.pdfbase import ttfonts
    from reportlab.pdfgen.textobject import PDFTextObject
    from reportlab.platypus import paragraph

    if paragraph.shapeFragWord is not _shape_frag_word:
        _reportlab_shape = _with_actual_text(paragraph.shapeFragWord)
        paragraph.shapeFragWord = _shape_frag_word
    if not getattr(PDFTextObject._formatText, "leaflet_actual_text", False):
        PDFTextObject._formatText = _format_text(PDFTextObject._formatText)
    if not getattr(ttfonts.makeToUnicodeCMap, "leaflet_private_text", False):
        ttfonts.makeToUnicodeCMap = _to_unicode_cmap(ttfonts.makeToUnicodeCMap)


_reportlab_shape = None
