"""Web addresses broken across lines only where a reader expects a break.

A patient copies a source's address from paper, so a line may end only after "://"
or a "/", or before "?", "&", "=", ".", "-", "_", "#", "%" or "~" (the typographic
convention for URLs, as in the Chicago Manual of Style): never inside the scheme
("ht" / "tps://"), never mid-word where a point exists. A run between two such points
that is wider than a whole line (rare) is the one place a line ends between letters.

ReportLab breaks an over-long word in `paragraph._hyphenateFragWord`, which with a
style's `uriWasteReduce` splits a web address only after a "/" and only while the
piece still starts with a scheme: the rest of the address then ran past the margin.
`install()` puts a function in front of it that handles the addresses of the paragraph
being broken (`printing()` says which) and hands every other word on unchanged.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterable, Iterator

#: A line may end after these ...
_BREAK_AFTER = "/"
#: ... or before these (a mark at the start of the next line shows the address goes on).
_BREAK_BEFORE = "?&=.-_#%~"

#: The addresses of the paragraph whose lines are being broken, and its width (`printing`).
_addresses: ContextVar[tuple[tuple[str, ...], float]] = ContextVar("leaflet_addresses", default=((), 0.0))


def break_points(url: str) -> list[int]:
    """The offsets in `url` where a line may end, in order: after "://" and each "/", and
    before "?", "&", "=", ".", "-" ... in the path (none in the scheme or the host name,
    which are read as one: see `_runs` for an address too wide for that)."""
    start = _host_start(url)
    host_end = _host_end(url, start)
    points = {start, host_end}
    for index in range(host_end, len(url)):
        char = url[index]
        if char in _BREAK_AFTER and url[index + 1:index + 2] != "/":
            points.add(index + 1)
        elif char in _BREAK_BEFORE and url[index - 1:index] not in _BREAK_BEFORE + _BREAK_AFTER:
            points.add(index)
    return sorted(point for point in points if 0 < point < len(url))


def _host_start(url: str) -> int:
    scheme = url.find("://")
    return scheme + 3 if scheme >= 0 else 0


def _host_end(url: str, start: int) -> int:
    """Where the host name (and port) ends: after the path's first "/", else at a "?" or "#"."""
    for index in range(start, len(url)):
        if url[index] == "/":
            return index + 1
        if url[index] in "?#":
            return index
    return len(url)


def _runs(url: str, too_wide: Callable[[str], bool]) -> list[int]:
    """Break points for an address whose pieces between `break_points` are wider than a
    line (`too_wide`): first the host's own points (before its dots and hyphens), then,
    in a run still too wide, between any two letters."""
    points = [0, *break_points(url), len(url)]
    cuts = set(points)
    start = _host_start(url)
    for left, right in zip(points, points[1:]):
        if left == start and too_wide(url[left:right]):
            cuts.update(index for index in range(left + 1, right) if url[index] in _BREAK_BEFORE)
    points = sorted(cuts)
    for left, right in zip(points, points[1:]):
        if left and too_wide(url[left:right]):
            cuts.update(range(left + 1, right))
    return sorted(cut for cut in cuts if 0 < cut < len(url))


@contextmanager
def printing(urls: Iterable[str], width: float) -> Iterator[None]:
    """While inside, words that are (the rest of) one of `urls` break at `break_points`,
    on lines `width` wide (ReportLab lets a line run into its spaces' shrinkage; a
    piece of an address is kept inside the width itself)."""
    token = _addresses.set((tuple(urls), width))
    try:
        yield
    finally:
        _addresses.reset(token)


def install() -> None:
    """Put `_split_address` in front of ReportLab's splitting of an over-long word."""
    from reportlab.platypus import paragraph

    if not getattr(paragraph._hyphenateFragWord, "leaflet_addresses", False):
        paragraph._hyphenateFragWord = _split_address(paragraph._hyphenateFragWord)


def _split_address(reportlab_split: Callable) -> Callable:
    def split(hyphenator, word, new_width, max_width, *args, **kwargs):
        urls, width = _addresses.get()
        if urls:
            parts = _split_at_points(word, new_width, min(max_width, width), urls)
            if parts is not _NOT_AN_ADDRESS:
                return parts
        return reportlab_split(hyphenator, word, new_width, max_width, *args, **kwargs)

    split.leaflet_addresses = True
    return split


_NOT_AN_ADDRESS = object()
#: Around an address in a sentence: "(https://...)." The address is what lies between.
_OPENING = "(['\"\u2018\u201c\u2068"
_CLOSING = ")]'\".,;:!?\u2019\u201d\u2069"


def _split_at_points(word: list, new_width: float, max_width: float, urls: tuple[str, ...]):
    """ReportLab's frag word (its width, then (frag, text) pairs) split in two at the
    longest break point that fits the line; None to leave it whole (it fits the next
    line); `_NOT_AN_ADDRESS` for a word that is not (the rest of) one of `urls`."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus.paragraph import _fragWordSplitRep, _HSFrag, _SplitFrag, _SplitFragH, _SplitFragHS

    known = _fragWordSplitRep(word)
    if not known:
        return _NOT_AN_ADDRESS
    text, places = known
    core = text.lstrip(_OPENING)
    opening = len(text) - len(core)
    core = core.rstrip(_CLOSING)
    url = next((url for url in urls if core and url.endswith(core)), None)
    if url is None:
        return _NOT_AN_ADDRESS
    offset = len(url) - len(core)  # the word is the address from here on
    used = new_width - word[0]  # the line's width before this word
    if used > 0 and word[0] <= max_width:
        return None  # it fits a line of its own: moved to the next whole, as uriWasteReduce=1 means
    font = next(frag for frag, part in word[1:] if part)
    cuts = _runs(url, lambda run: stringWidth(run, font.fontName, font.fontSize) > max_width)
    for cut in sorted((cut for cut in cuts if offset < cut < len(url)), reverse=True):
        at = opening + cut - offset
        frag_index, frag_start = places[at]
        head = list(word[1:frag_index])
        frag, part = word[frag_index]
        if part[:at - frag_start]:
            head.append((frag, part[:at - frag_start]))
        tail = [*([(frag, part[at - frag_start:])] if part[at - frag_start:] else []), *word[frag_index + 1:]]
        head_width = sum(stringWidth(part, frag.fontName, frag.fontSize) for frag, part in head)
        if used + head_width <= max_width:
            tail_width = sum(stringWidth(part, frag.fontName, frag.fontSize) for frag, part in tail)
            return [_SplitFragH([head_width, *head]),
                    (_SplitFragHS if isinstance(word, _HSFrag) else _SplitFrag)([tail_width, *tail])]
    if word[0] > max_width and used > 0:
        # No point fits the rest of this line and the address is wider than a line: end
        # the line here (an empty head) and break it on the next, where a point fits.
        return [_SplitFragH([0, (font.clone(link=[]), "")]), word]  # no link: nothing to annotate
    return None
