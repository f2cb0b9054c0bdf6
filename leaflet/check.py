"""`leaflet check`: read a printed leaflet back and compare it with what tailoring says.

Every fact and safety line that belongs to the reader must be in the PDF, and no line
meant only for other readers (another audience's uses, devices, ages or voice) may be.
Only the visible text is read, with pypdf: nothing hidden in the file is trusted, so a
PDF from an older build of `leaflet` is checked the same way.

How text is compared:
- The page header (the leaflet's title at the top of each page) and the footer (from
  the "Your pharmacy:" or "Page N of M" line down) are left out by their position on
  the page, so a paragraph split across two pages reads as one.
- Texts are compared with all white space removed (after Unicode NFKC), so line breaks,
  and the spaces that text extraction adds or drops, never matter.
- Each expected text claims its own occurrence, in reading order, so two lines with the
  same words (a key point repeated as a safety line) must both be printed.
- A line excluded for this reader is reported only where it is printed outside every
  text this reader should see: words that an included line legitimately contains
  (an adult-only sentence quoted inside a line for everyone) are not a false alarm.

The tags are checked too (what a screen reader reads): a PDF with no structure tree, or
text drawn neither tagged nor as an Artifact, is `untagged`; a line missing from the
structure tree, out of its reading order, or a heading at the wrong level (or a line
tagged as a heading that is not one) is `mis-tagged`.
"""

from __future__ import annotations

import dataclasses
import faulthandler
import io
import json
import logging
import math
import os
import re
import select
import signal
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from .checked import load_content
from .errors import LeafletError
from .tailor import AUDIENCES, Audience, Fact, Leaflet, Reader, make_reader, printed, tailor
from . import i18n
from .load import open_input
from .structure import HEADINGS, read_tags

if TYPE_CHECKING:  # checked content arrives as a record (leaflet.records) with its fields
    from .model import Content

MISSING = "missing"
UNEXPECTED = "unexpected"
UNTAGGED = "untagged"
MISTAGGED = "mis-tagged"


@dataclass(frozen=True)
class Budget:
    """How long, and how much memory beyond what the process already has, reading one PDF
    may take. A leaflet reads in well under a second and a few MiB; a hostile PDF (a
    stream of millions of operators, a page tree with a cycle) must not take minutes or
    gigabytes, so the read runs in a child process under these limits."""

    seconds: float = 10.0
    memory_mib: int = 256


#: Text beyond any leaflet (Dupixent's is about 10,000 characters, and a content file may
#: not exceed 256 KB): more is a hostile file, refused before it is compared.
MAX_TEXT_CHARS = 1_000_000


class Unreadable(LeafletError):
    """The file claims to be a PDF but cannot be read within reason (damaged, encrypted,
    hostile, or over the budget): neither a pass nor a list of misses."""

    exit_code = 3


@dataclass(frozen=True)
class Miss:
    """One difference between a printed leaflet and its tailoring."""

    kind: str  # MISSING (belongs to this reader, not printed) or UNEXPECTED (not for them, printed)
    #: The line's name from tailoring, e.g. "use-as-prescribed" or "use:nasal-polyps"; for an
    #: UNEXPECTED text that several lines share, their names joined by ", ".
    name: str
    text: str
    safety: bool = False
    #: For UNEXPECTED: the same line is in this leaflet, but in another reader's wording.
    other_voice: bool = False
    #: For UNTAGGED and MISTAGGED: what is wrong with the tags.
    detail: str = ""

    def __str__(self) -> str:
        what = "safety line" if self.safety else "line"
        shown = self.text if len(self.text) <= 80 else self.text[:77].rstrip() + "..."
        if self.kind in (UNTAGGED, MISTAGGED):
            return f"{self.kind} {self.name}: {self.detail}" + (f": \"{shown}\"" if shown else "")
        if self.kind == MISSING:
            return f"missing {what} {self.name}: \"{shown}\""
        why = "worded for another reader" if self.other_voice else "not for this reader"
        return f"unexpected {what} {self.name} ({why}): \"{shown}\""


# --- The API ---------------------------------------------------------------------------


def check_pdf(pdf: bytes, leaflet: Leaflet, content: Content, budget: Budget = Budget()) -> list[Miss]:
    """Every miss between a PDF's visible text and the tailored leaflet it should show.

    `content` is the content the leaflet was tailored from: it tells which lines other
    readers get, so that printing one of them here is caught. An empty list means the
    PDF is right for this reader. Unreadable (a LeafletError) when the PDF cannot be read
    within the budget.
    """
    text, tags = read_back(pdf, leaflet, budget)
    return _with_tags(compare(text, leaflet, content), tags)


def check_file(pdf_path: str | Path, content_path: str | Path, audience: str,
               age: float | None = None, weight: float | None = None,
               uses: tuple[str, ...] = (), budget: Budget = Budget()) -> tuple[Leaflet, list[Miss]]:
    """`leaflet check` for files: load, tailor for the reader, read the PDF, compare."""
    pdf_path = Path(pdf_path)
    content = load_content(content_path)
    leaflet = tailor(content, make_reader(audience, age, weight, uses or None))
    with open_input(pdf_path, "a PDF", mode="rb") as handle:
        pdf = handle.read()
    try:
        text, tags = read_back(pdf, leaflet, budget)
    except LeafletError as error:
        raise type(error)(f"{pdf_path}: {error.message}") from None
    return leaflet, _with_tags(compare(text, leaflet, content), tags)


def _with_tags(misses: list[Miss], tags: list[Miss]) -> list[Miss]:
    """A line not printed at all is reported once, as missing, not also as mis-tagged."""
    missing = {_squash(m.text) for m in misses if m.kind == MISSING}
    return misses + [m for m in tags if m.kind != MISTAGGED or _squash(m.text) not in missing]


# --- Reading the PDF ---------------------------------------------------------------------

def _footer_start(language: str) -> re.Pattern:
    """How footer lines begin in this language ("Page 1 of 2", "Your pharmacy:")."""
    words = i18n.catalogue(language)
    page = re.escape(words.page_number).replace(r"\{page\}", r"\d+").replace(r"\{total\}", r"\d+")
    pharmacy = re.escape(words.pharmacy.split("{pharmacy}")[0].strip())
    return re.compile(f"^({page}|{pharmacy})")


def visible_text(pdf: bytes, title: str, language: str = "en", budget: Budget = Budget()) -> str:
    """The body text of every page, in order, without page headers and footers.

    LeafletError for a file that is not a PDF at all; Unreadable for one that cannot be
    read within the budget of time and memory.
    """
    _looks_like_pdf(pdf)
    return _bounded(lambda: {"text": _read_text(pdf, title, language)}, budget)["text"]


def read_back(pdf: bytes, leaflet: Leaflet, budget: Budget = Budget()) -> tuple[str, list[Miss]]:
    """The visible text and what is untagged or mis-tagged, read in one bounded child."""
    _looks_like_pdf(pdf)

    def work() -> dict:
        text = _read_text(pdf, leaflet.title, leaflet.language)
        try:
            tags = tag_misses(pdf, leaflet)
        except LeafletError as exc:
            raise Unreadable(exc.message) from None
        except RecursionError:
            raise Unreadable("not a readable PDF (its structure tree nests without end)") from None
        except Exception as exc:  # noqa: BLE001 (a hostile structure tree)
            raise Unreadable(f"not a readable PDF ({' '.join(str(exc).split())[:120] or type(exc).__name__})") from None
        return {"text": text, "tags": [dataclasses.asdict(miss) for miss in tags]}

    answer = _bounded(work, budget)
    return answer["text"], [Miss(**miss) for miss in answer["tags"]]


def _looks_like_pdf(pdf: bytes) -> None:
    if not pdf.lstrip()[:5] == b"%PDF-":
        raise LeafletError("not a PDF (it does not start with %PDF-)")


def _bounded(work: Callable[[], dict], budget: Budget) -> dict:
    """work() (which returns JSON data) in a forked child under the budget; in place where
    there is no fork (Windows)."""
    if not hasattr(os, "fork"):
        return work()
    return _in_child(work, budget)


def _read_text(pdf: bytes, title: str, language: str = "en") -> str:
    quiet = logging.getLogger("pypdf")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # pypdf logs each repair it makes; a bad file is one error here
    try:
        reader = PdfReader(io.BytesIO(pdf))
        if reader.is_encrypted:
            raise Unreadable("not a readable PDF (it is encrypted; leaflets never are)")
        pages = list(reader.pages)
        if not pages:
            raise Unreadable("not a readable PDF (it has no pages)")
        footer_start = _footer_start(language)
        text = "\n".join(_page_body(page, title, footer_start) for page in pages)
        if len(text) > MAX_TEXT_CHARS:  # comparing that much would take the time the budget saved
            raise Unreadable(f"not a readable PDF (it holds {len(text):,} characters of text; a leaflet "
                             f"holds a few thousand, and at most {MAX_TEXT_CHARS:,} are read)")
        return text
    except LeafletError:
        raise
    except MemoryError:
        raise
    except RecursionError:
        raise Unreadable("not a readable PDF (its objects nest without end)") from None
    except Exception as exc:  # noqa: BLE001 (pypdf on a hostile file: damaged, cyclic, a missing decoder...)
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise Unreadable(f"not a readable PDF ({reason})") from None
    finally:
        quiet.setLevel(level)


def _memory_in_use() -> int | None:
    """This process's virtual memory size in bytes (Linux), which the budget is added to."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _in_child(work: Callable[[], dict], budget: Budget) -> dict:
    """work() in a forked child under an address-space limit and a deadline."""
    import resource

    try:
        read_end, write_end = os.pipe()
    except OSError as exc:
        raise LeafletError(f"cannot start reading the PDF ({exc.strerror})") from None
    try:
        pid = os.fork()
    except OSError as exc:  # out of processes or memory: the machine's problem, not the PDF's
        os.close(read_end)
        os.close(write_end)
        raise LeafletError(f"cannot start a process to read the PDF ({exc.strerror})") from None
    if pid == 0:  # the child: read, send the answer, and leave without running any cleanup
        status = 0
        try:
            os.close(read_end)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            faulthandler.disable()  # a crash here is reported by the parent in one line, not dumped
            in_use = _memory_in_use()
            if in_use is not None:
                limit = in_use + budget.memory_mib * 1024 * 1024
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            cpu = math.ceil(budget.seconds) + 1  # a backstop should the parent be gone
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            try:
                answer = {"result": work()}
            except MemoryError:
                answer = {"memory": True}
            except LeafletError as exc:
                answer = {"error": exc.message, "unreadable": isinstance(exc, Unreadable)}
            data = json.dumps(answer).encode("utf-8")
            with os.fdopen(write_end, "wb") as channel:
                channel.write(data)
        except BaseException:  # noqa: BLE001 (never return into the parent's code)
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + budget.seconds
    over_time = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                over_time = True
                break
            ready, _, _ = select.select([read_end], [], [], remaining)
            if ready:
                chunk = os.read(read_end, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(read_end)
        if over_time:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if over_time or os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
        raise Unreadable(f"not a readable PDF (reading it took longer than {budget.seconds:g} s, the limit; "
                         "see --time-limit)")
    try:
        answer = json.loads(b"".join(chunks))
    except ValueError:  # the child died without an answer
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) not in (signal.SIGKILL, signal.SIGABRT):
            raise Unreadable(f"not a readable PDF (the reader crashed on it: "
                             f"{signal.Signals(os.WTERMSIG(status)).name})") from None
        answer = {"memory": True}  # killed, or failed on the way to an answer: most likely memory
    if answer.get("memory"):
        raise Unreadable(f"not a readable PDF (reading it needed more than {budget.memory_mib} MiB, the limit; "
                         "see --memory-limit)")
    if "error" in answer:
        raise (Unreadable if answer.get("unreadable") else LeafletError)(answer["error"])
    return answer["result"]
def tag_misses(pdf: bytes, leaflet: Leaflet) -> list[Miss]:
    """What is untagged or mis-tagged: the structure tree read back against the leaflet.

    Each printed line must be one element's text, in reading order; the title is H1,
    section and box headings H2, use headings H3, and nothing else is a heading.
    """
    try:
        tags = read_tags(PdfReader(io.BytesIO(pdf)))
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise LeafletError(f"not a readable PDF ({exc})") from None
    if not tags.elements:
        return [Miss(UNTAGGED, "structure-tree", "", detail="the PDF has no structure tree, so a screen "
                     "reader gets no headings, lists or tables")]
    misses = []
    if not tags.marked:
        misses.append(Miss(UNTAGGED, "mark-info", "", detail="/MarkInfo /Marked is not true"))
    for page, text in tags.untagged:
        misses.append(Miss(UNTAGGED, f"page-{page}", " ".join(text.split()),
                           detail="text drawn neither tagged nor as an artifact"))
    # Right-to-left text reads back as runs in visual order: compare its words (see _compare_words).
    same = _word_key if i18n.catalogue(leaflet.language).right_to_left else _squash
    leaves = [(same(e.text), e.role) for e in tags.elements if e.text.strip() and e.role != "Lbl"]
    cursor = 0
    for item in printed(leaflet):
        wanted = same(item.text)
        name = item.fact.name if item.fact else "label"
        at = next((i for i in range(cursor, len(leaves)) if leaves[i][0] == wanted), None)
        if at is None:
            earlier = any(text == wanted for text, _ in leaves[:cursor])
            misses.append(Miss(MISTAGGED, name, item.text, bool(item.fact and item.fact.safety),
                               detail="out of reading order in the structure tree"
                               if earlier else "not an element of the structure tree"))
            continue
        cursor = at + 1
        role = leaves[at][1]
        expected = f"H{item.level}" if item.level else None
        if (expected and role != expected) or (not expected and role in HEADINGS):
            misses.append(Miss(MISTAGGED, name, item.text, bool(item.fact and item.fact.safety),
                               detail=f"tagged {role}, should be {expected or 'text, not a heading'}"))
    return misses


def _page_body(page, title: str, footer_start: re.Pattern) -> str:
    pieces: list[tuple[str, float]] = []

    def visit(text: str, cm, tm, _font, _size) -> None:
        if text.strip():
            pieces.append((text, text_to_page(tm, cm)[5]))

    page.extract_text(visitor_text=visit)
    if not pieces:
        return ""
    # The header is the topmost text when it is the title; the footer is its first
    # line ("Your pharmacy: ..." or "Page N of M", in the bottom part of the page) and
    # everything below it.
    top = max(y for _, y in pieces)
    header = [y for text, y in pieces if y == top and _squash(text) == _squash(title)]
    ceiling = header[0] if header else math.inf
    bottom = float(page.mediabox.bottom) + 0.3 * float(page.mediabox.height)  # footers sit low
    footer = [y for text, y in pieces if y < bottom and footer_start.match(" ".join(text.split()))]
    floor = max(footer) if footer else -math.inf
    return "\n".join(text for text, y in pieces if floor < y < ceiling)


def text_to_page(tm: list[float], cm: list[float]) -> list[float]:
    """Text space to page space: the text matrix times the CTM (PDF 32000-1, 9.4.2).

    Its last two numbers are where a run of text starts; its scale times the font size is
    the size the text prints at.
    """
    a, b, c, d, e, f = tm
    A, B, C, D, E, F = cm
    return [a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F]


def _squash(text: str) -> str:
    """Text for comparing: NFKC, no soft hyphens, no white space at all."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    return "".join(text.split())


def _squash_keeping_edges(text: str) -> tuple[str, set[int]]:
    """`_squash`, and the positions in the result where white space was taken out."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    kept: list[str] = []
    edges = {0}
    for char in text:
        if char.isspace():
            edges.add(len(kept))
        else:
            kept.append(char)
    edges.add(len(kept))
    return "".join(kept), edges


def _whole_words(body: str, edges: set[int], start: int, text: str) -> bool:
    """Whether text at start begins and ends at word edges ("Pen" is not in "Penny")."""
    def edge(at: int) -> bool:
        return at in edges or not (body[at - 1].isalnum() and body[at].isalnum())

    return edge(start) and edge(start + len(text))


# --- Comparing --------------------------------------------------------------------------


def compare(body: str, leaflet: Leaflet, content: Content) -> list[Miss]:
    """The misses between a PDF's body text (from `visible_text`) and a tailored leaflet."""
    if i18n.catalogue(leaflet.language).right_to_left:
        return _compare_words(body, leaflet, content)
    body, edges = _squash_keeping_edges(body)
    claimed: list[tuple[int, int]] = []
    misses: list[Miss] = []

    # 1. What this reader must see, in reading order; each claims its own occurrence.
    position = 0
    for fact in _reading_order(leaflet):
        wanted = _squash(fact.text)
        at = _unclaimed(body, wanted, claimed, position)
        if at is None:
            at = _unclaimed(body, wanted, claimed, 0)
        if at is None:
            misses.append(Miss(MISSING, fact.name, fact.text, fact.safety))
            continue
        claimed.append((at, at + len(wanted)))
        position = at + len(wanted)

    # 2. Other printed labels of this leaflet (headings, table cells) are legitimate too.
    mine = {_squash(fact.text) for fact in leaflet.facts} | {_squash(leaflet.for_line)}
    for text in _labels(leaflet):
        wanted = _squash(text)
        if wanted in mine:
            continue
        at = _unclaimed(body, wanted, claimed, 0)
        if at is not None:
            claimed.append((at, at + len(wanted)))

    # 3. Lines meant only for other readers must not be printed outside those texts.
    my_names = {fact.name for fact in leaflet.facts}
    others: dict[str, list[Fact]] = {}  # text -> the lines that say it (one text may be several lines)
    for fact in _everything(content):
        wanted = _squash(fact.text)
        if wanted and wanted not in mine and fact not in others.setdefault(wanted, []):
            others[wanted].append(fact)
    for wanted, facts in others.items():
        if any(not _inside(start, start + len(wanted), claimed) and _whole_words(body, edges, start, wanted)
               for start in _occurrences(body, wanted)):
            misses.append(Miss(UNEXPECTED, ", ".join(dict.fromkeys(f.name for f in facts)), facts[0].text,
                               any(f.safety for f in facts),
                               other_voice=any(f.name in my_names for f in facts)))
    return misses


def _words(text: str) -> Counter:
    """The words of a text, for right-to-left leaflets: letters and digits only.

    NFKC folds Arabic presentation forms (the joined shapes) back to letters; marks
    (harakat) are dropped, as are brackets and full stops, whose place on a mixed line
    differs between the page and the file.
    """
    text = "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Mn")
    # A word may join two scripts ("وIL-13"); the page draws them as separate runs.
    return Counter(part for word in re.findall(r"\w+", text) for part in re.findall(r"[\x00-\x7f]+|[^\x00-\x7f]+", word))


def _word_key(text: str) -> tuple[str, ...]:
    """A text's words in no order: equal for a line and its right-to-left reading."""
    return tuple(sorted(_words(text).elements()))


def _compare_words(body: str, leaflet: Leaflet, content: Content) -> list[Miss]:
    """`compare` for right-to-left leaflets: by the words of each line, not their order.

    A PDF reader gives a right-to-left line back as runs in visual order, so lines
    cannot be found as strings. Instead each line meant for this reader must find all
    its words on the pages, and uses them up; a line meant only for other readers is
    unexpected when all its words are still left over afterwards.
    """
    left = _words(body)
    misses: list[Miss] = []
    for fact in _reading_order(leaflet):
        wanted = _words(fact.text)
        if wanted and not wanted <= left:
            misses.append(Miss(MISSING, fact.name, fact.text, fact.safety))
            continue
        left -= wanted
    for text in _labels(leaflet):
        if _words(text) <= left:
            left -= _words(text)
    mine = {_squash(fact.text) for fact in leaflet.facts} | {_squash(leaflet.for_line)}
    my_names = {fact.name for fact in leaflet.facts}
    seen: set[str] = set()
    for fact in _everything(content):
        wanted = _squash(fact.text)
        if not wanted or wanted in mine or wanted in seen:
            continue
        seen.add(wanted)
        words = _words(fact.text)
        if words and words <= left:
            misses.append(Miss(UNEXPECTED, fact.name, fact.text, fact.safety, other_voice=fact.name in my_names))
    return misses


def _reading_order(leaflet: Leaflet) -> list[Fact]:
    """The leaflet's facts in the order they are printed, and its audience label."""
    return [Fact("audience-label", leaflet.for_line)] + [p.fact for p in printed(leaflet) if p.fact]


def _labels(leaflet: Leaflet) -> list[str]:
    """Printed texts that are not facts: the title, headings, table headers."""
    return [p.text for p in printed(leaflet) if p.fact is None]


def _everything(content: Content) -> Iterator[Fact]:
    """Every line of the content, in both voices, named as tailoring names them."""
    for speaks_to_parent in (True, False):
        everyone = Audience("everyone", "", 0, math.inf, speaks_to_parent)
        yield from tailor(content, Reader(everyone)).facts
    for name, audience in AUDIENCES.items():
        yield Fact(f"audience-label:{name}", getattr(i18n.catalogue(content.language).audiences, name))


def _occurrences(body: str, text: str) -> Iterator[int]:
    start = body.find(text)
    while start != -1:
        yield start
        start = body.find(text, start + 1)


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in spans)


def _unclaimed(body: str, text: str, claimed: list[tuple[int, int]], after: int) -> int | None:
    """The first occurrence of text at or after `after` that no other text has claimed."""
    if not text:
        return None
    for start in _occurrences(body, text):
        if start >= after and not _overlaps(start, start + len(text), claimed):
            return start
    return None
