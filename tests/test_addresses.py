"""Web addresses longer than a line break only where a reader expects it (after "://" or
"/", before "?", "&", "=", "." ... in the path), never inside the scheme, and never run
past the margin; a link over several lines is still one tagged link."""

from __future__ import annotations

import io
from itertools import product

import pytest
from pypdf import PdfReader

from conftest import ROOT
from test_tagging import assert_both_checkers_pass
from leaflet.addresses import break_points
from leaflet.build import Request, render_request, tailored
from leaflet.layout import _linked, _look_for
from leaflet.styles import PAGE_SIZES, load_style
from leaflet.tailor import AUDIENCES, Para, serves
from leaflet.checked import load_content
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from leaflet import fonts

CONTENTS = [ROOT / "content" / name for name in ("acetaminophen.yaml", "epinephrine.yaml", "sertraline.yaml")]


def linked_paragraphs(content) -> list[Para]:
    audience = next(name for name in AUDIENCES if serves(load_content(content), AUDIENCES[name]))
    leaflet = tailored(load_content(content), Request(content, audience))
    return [block for section in leaflet.sections for block in section.blocks
            if isinstance(block, Para) and block.url and block.url in block.text]


def test_break_points_follow_the_convention_for_web_addresses():
    url = "https://www.lahey.org/health-library/?chunkid=648373&lang=English&db=hlt"
    pieces = [(url[:point], url[point:]) for point in break_points(url)]
    assert pieces[0] == ("https://", "www.lahey.org/health-library/?chunkid=648373&lang=English&db=hlt")
    assert ("https://www.lahey.org/", "health-library/?chunkid=648373&lang=English&db=hlt") in pieces
    assert ("https://www.lahey.org/health-library/", "?chunkid=648373&lang=English&db=hlt") in pieces
    assert ("https://www.lahey.org/health-library/?chunkid=648373", "&lang=English&db=hlt") in pieces
    assert ("https://www.lahey.org/health-library/?chunkid", "=648373&lang=English&db=hlt") in pieces
    # Never in the scheme, never in the host name, never between two letters.
    assert all(point >= len("https://") for point in break_points(url))
    assert not [head for head, _ in pieces if head.endswith("www") or head.endswith("lahey")]
    assert all(url[point - 1] == "/" or url[point] in "?&=.-_#%~" for point in break_points(url))


@pytest.mark.parametrize("content,style,size", [
    pytest.param(content, style, size, id=f"{content.stem}-{style}-{size}")
    for content, style, size in product(CONTENTS, ("standard", "large-print", "ink-saver"), PAGE_SIZES)])
def test_every_address_line_fits_the_frame_and_breaks_at_a_break_point(content, style, size):
    """Layout's own records: each line of a source's paragraph, at the leaflet's frame width."""
    loaded = load_style(style)
    look = _look_for(loaded)
    width = PAGE_SIZES[size][0] - 2 * loaded.margin_mm * mm
    split_addresses = 0
    for block in linked_paragraphs(content):
        paragraph = _linked(block, look)
        paragraph.wrap(width, 10_000)
        lines = ["".join(word.text for word in line.words) for line in paragraph.blPara.lines]
        space = stringWidth(" ", paragraph.style.fontName, paragraph.style.fontSize)
        for line, text in zip(paragraph.blPara.lines, lines):
            # ReportLab may set a line's spaces a little tighter (spaceShrinkage), never its letters.
            shrinkable = paragraph.style.spaceShrinkage * space * text.strip().count(" ")
            assert line.extraSpace >= -shrinkable - 1e-6, f"runs past the margin: {text!r}"
        # Where the address is split, the line ends at one of its break points.
        flat = "".join(lines)
        start = flat.find(block.url)
        assert start >= 0, (block.url, lines)
        ends = [sum(map(len, lines[:index + 1])) - start for index in range(len(lines) - 1)]
        inside = [offset for offset in ends if 0 < offset < len(block.url)]
        split_addresses += bool(inside)
        for offset in inside:
            assert offset >= block.url.find("://") + 3  # never in the scheme
            assert (offset in break_points(block.url)
                    or _in_a_run_wider_than_a_line(block.url, offset, look, width)), (block.url[:offset],
                                                                                       block.url[offset:])
    if style == "large-print":
        assert split_addresses  # each of these has an address longer than a large-print line


def _in_a_run_wider_than_a_line(url: str, offset: int, look, width: float) -> bool:
    points = [0, *break_points(url), len(url)]
    left = max(point for point in points if point < offset)
    right = min(point for point in points if point > offset)
    return stringWidth(url[left:right], look.body.fontName, look.body.fontSize) > width


@pytest.mark.parametrize("content,style,size", [
    (CONTENTS[0], "large-print", "a4"), (CONTENTS[1], "standard", "letter"), (CONTENTS[2], "large-print", "letter")])
def test_a_printed_address_reads_back_whole_and_is_one_tagged_link(content, style, size, tmp_path):
    """Read back from the PDF: each address's lines join to the address (no letter lost,
    the scheme on one line), each line is inside the frame, and the checkers pass."""
    audience = next(name for name in AUDIENCES if serves(load_content(content), AUDIENCES[name]))
    rendered = render_request(Request(content, audience, style=style, page_size=size))
    reader = PdfReader(io.BytesIO(rendered.pdf))
    lines = [line for page in reader.pages for line in page.extract_text().splitlines()]
    flat = "".join(lines)
    for block in linked_paragraphs(content):
        assert block.url in flat
        scheme = block.url[:block.url.find("://") + 3]
        for line, next_line in zip(lines, lines[1:]):  # the scheme is never cut ("ht" / "tps://")
            at = (line + next_line).find(scheme, max(len(line) - len(scheme) + 1, 0))
            assert not 0 <= at < len(line), (line, next_line)
    loaded = load_style(style)
    right = PAGE_SIZES[size][0] - loaded.margin_mm * mm
    for page in reader.pages:
        ends: list[float] = []

        def visit(text, cm, tm, font_dict, font_size, ends=ends):
            if text.strip() and ("/" in text or "&" in text):  # a line holding part of an address
                scale = tm[0] * cm[0]
                ends.append(tm[4] * cm[0] + cm[4] + stringWidth(text.rstrip(), fonts.REGULAR, font_size) * scale)
        page.extract_text(visitor_text=visit)
        assert ends == [] or max(ends) <= right + 0.01
    # Each address split over lines is still one Link with one annotation per line.
    annotations = [annotation.get_object() for page in reader.pages for annotation in page.get("/Annots", [])]
    links = [a for a in annotations if a.get("/Subtype") == "/Link"]
    assert {a["/A"]["/URI"] for a in links} >= {block.url for block in linked_paragraphs(content)}
    assert_both_checkers_pass(rendered.pdf, tmp_path)


def test_an_address_wider_than_a_line_with_no_room_left_starts_the_next_line_whole(tmp_path):
    """When not even "https://" fits the rest of a line, the address starts the next line
    (ReportLab would have put it there whole, running past the margin) and breaks there;
    the leaflet still passes both checkers, its link with one annotation per line."""
    source = (ROOT / "content" / "epinephrine.yaml").read_text()
    loaded = load_style("large-print")
    look = _look_for(loaded)
    width = PAGE_SIZES["a4"][0] - 2 * loaded.margin_mm * mm
    url = "https://www.yourcareeverywhere.com/article/krames/en/article/health-research/"
    for words in range(1, 30):
        content = tmp_path / "epinephrine.yaml"
        content.write_text(source.replace("title: Epinephrine injection (Auto-injector)",
                                          "title: Epinephrine" + " injection" * words, 1))
        block = next(block for block in linked_paragraphs(content) if block.url.startswith(url))
        paragraph = _linked(block, look)
        paragraph.wrap(width, 10_000)
        lines = ["".join(word.text for word in line.words) for line in paragraph.blPara.lines]
        starts = [index for index, text in enumerate(lines) if text.startswith("https://")]
        if starts and not lines[starts[0] - 1].rstrip().endswith("https://"):
            break
    else:
        pytest.fail("no title length puts the address at the start of a line")
    first = starts[0]
    assert block.url not in lines[first]  # wider than a line: it goes on, broken at a point
    assert "".join(lines[first:]).startswith(block.url)
    rendered = render_request(Request(content, "adult", style="large-print"))
    assert block.url in "".join(line for page in PdfReader(io.BytesIO(rendered.pdf)).pages
                                for line in page.extract_text().splitlines())
    assert_both_checkers_pass(rendered.pdf, tmp_path)


def test_the_footer_breaks_its_source_address_at_break_points_too(tmp_path):
    """With one source, every page's footer prints its address: it breaks where a reader
    expects, as in the Sources section (it was cut "www.dr" / "ugs.com", "?u" / "tm_source")."""
    url = "https://www.drugs.com/medical-answers/what-is-dupixent-used-for-and-how-does-it-work-3566789/?utm_source=leaflet&lang=en"
    content = tmp_path / "dupixent.yaml"
    content.write_text((ROOT / "content" / "dupixent.yaml").read_text().replace(
        "    reviewer: Leigh Ann Anderson, PharmD\n", f"    reviewer: Leigh Ann Anderson, PharmD\n    url: {url}\n", 1))
    rendered = render_request(Request(content, "adult"))
    lines = PdfReader(io.BytesIO(rendered.pdf)).pages[0].extract_text().splitlines()
    start = next(index for index, line in enumerate(lines) if "https://" in line)
    printed, pieces = "", []
    for line in lines[start:]:
        piece = line.split("https://", 1)[-1] if not printed else line
        piece = piece.split(" ", 1)[0].rstrip(".")
        printed += piece
        pieces.append(piece)
        if len("https://" + printed) >= len(url):
            break
    assert "https://" + printed == url
    offsets = [len("https://") + sum(map(len, pieces[:n])) for n in range(1, len(pieces))]
    assert offsets and set(offsets) <= set(break_points(url)), pieces


@pytest.mark.parametrize("style,size", [("standard", "a4"), ("large-print", "letter")])
def test_an_address_that_fits_a_line_is_moved_to_the_next_whole_never_split(style, size):
    """uriWasteReduce=1 (see layout._Look.linked): only an address wider than a line is
    split; a short one that does not fit the rest of a line goes on to the next whole
    (epinephrine's "https://www.drugs.com/" / "dosage/epipen.html" was split in large print)."""
    loaded = load_style(style)
    look = _look_for(loaded)
    width = PAGE_SIZES[size][0] - 2 * loaded.margin_mm * mm
    checked = 0
    for content in CONTENTS:
        for block in linked_paragraphs(content):
            if stringWidth(block.url, look.linked.fontName, look.linked.fontSize) > width:
                continue
            paragraph = _linked(block, look)
            paragraph.wrap(width, 10_000)
            lines = ["".join(word.text for word in line.words) for line in paragraph.blPara.lines]
            assert any(block.url in line for line in lines), (block.url, lines)
            checked += 1
    assert checked


def test_a_link_on_a_right_to_left_page_is_described_without_isolate_marks():
    """On a right-to-left page a source's title and address are isolates (Catalogue.field);
    the Link's description (/Contents, read out by a screen reader) is the plain title and
    address, not "⁨Title⁩, ⁨: https://..."."""
    from leaflet import i18n

    words = i18n.catalogue("ar")
    url = "https://www.drugs.com/dosage/epipen.html"
    block = Para(f"{words.field('EpiPen Dosage')} ({words.field('Drugs.com')}), {words.field(url)}.",
                 prose=False, url=url)
    made = _linked(block, _look_for(load_style("standard"), True))
    assert made.links[url].contents == f"EpiPen Dosage (Drugs.com): {url}"


def test_an_address_wider_than_a_line_stays_inside_the_margin_on_a_right_to_left_page():
    """On a right-to-left page every word is shaped before it is broken ("leaflet" holds
    the ligature "ﬂ", a stop goes before the address), so leaflet.addresses does not know
    the address; ReportLab's uriWasteReduce then split it once after "https://" and left
    the rest, wider than the line, running 259 pt past the margin. There, such a
    paragraph is left to ReportLab's splitting of over-long words: inside the margin."""
    from leaflet import i18n, rtl

    words = i18n.catalogue("ar")
    url = ("https://www.drugs.com/medical-answers/what-is-dupixent-used-for-and-how-does-it-work-3566789/"
           "?utm_source=leaflet&lang=ar")
    block = Para(f"المصدر: {words.field('What is Dupixent used for?')}, {words.field(url)}. راجعه "
                 f"{words.field('Leigh Ann Anderson, PharmD')}.", prose=False, url=url)
    fonts.register_fonts()
    token = rtl.direction.set("RTL")
    try:
        paragraph = _linked(block, _look_for(load_style("standard"), True))
        paragraph.wrap(480, 10_000)
        overflow = [line.extraSpace for line in paragraph.blPara.lines if line.extraSpace < -6.001]
    finally:
        rtl.direction.reset(token)
    assert not overflow
