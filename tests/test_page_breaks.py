"""Where pages break: no disclaimer alone on a page, no heading last on a page, long
blocks that start on the page they follow, tables that break with their header, and
leaflets that fit the pages they should (read back from the PDFs and their tags)."""

from __future__ import annotations

import io
import re
from itertools import product

import outloud
import pikepdf
import pytest
from pypdf import PdfReader

from conftest import ROOT, pdf_text
from leaflet.build import Request, render_request, tailored
from leaflet.layout import _look_for, _split_kept, _table
from leaflet.styles import load_style
from leaflet.tailor import AUDIENCES, Table, serves
from leaflet.checked import load_content

CONTENTS = sorted((ROOT / "content").glob("*.yaml"))
STYLES = ("standard", "large-print", "ink-saver")
EPINEPHRINE = ROOT / "content" / "epinephrine.yaml"
SERTRALINE = ROOT / "content" / "sertraline.yaml"
ACETAMINOPHEN = ROOT / "content" / "acetaminophen.yaml"


def every_leaflet() -> list:
    """Every content file (translations included) x style x page size x audience it serves."""
    return [pytest.param(content, style, size, audience, id=f"{content.stem}-{style}-{size}-{audience}")
            for content, style, size, audience in product(CONTENTS, STYLES, ("a4", "letter"), AUDIENCES)
            if serves(load_content(content), AUDIENCES[audience])]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def elements_in_order(pdf: bytes) -> list[tuple[str, int]]:
    """(role, page of its first marked content) for each element holding content of its
    own, in reading (tree) order; the page's running header and footer are artifacts."""
    found: list[tuple[str, int]] = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        pages = {page.objgen: index for index, page in enumerate(doc.pages)}

        def visit(node, page):
            if "/Pg" in node:
                page = pages[node.Pg.objgen]
            kids = node.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]
            first = None
            for kid in kids:
                if isinstance(kid, int) and first is None:
                    first = page
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR" and first is None:
                    first = pages[kid.Pg.objgen]
            if first is not None:
                found.append((str(node.S)[1:], first))
            for kid in kids:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    visit(kid, page)

        visit(doc.Root.StructTreeRoot.K, None)
    return found


# --- The disclaimer and headings ------------------------------------------------------


@pytest.mark.parametrize("content,style,size,audience", every_leaflet())
def test_no_page_holds_only_the_disclaimer_and_no_heading_ends_a_page(content, style, size, audience):
    request = Request(content, audience, style=style, page_size=size)
    rendered = render_request(request)
    leaflet = tailored(load_content(content), request)
    last = PdfReader(io.BytesIO(rendered.pdf)).pages[-1].extract_text()
    body = squash(last)
    footer = body.find(squash(f"Page {rendered.pages} of {rendered.pages}"))
    if footer < 0:  # Arabic numbers its pages in its own digits: the footer is its last lines
        footer = len(body)
    body = body[:footer].replace(squash(leaflet.disclaimer), "", 1).replace(squash(leaflet.title), "", 1)
    if leaflet.language == "en":  # read-back order is the reader's own only in left-to-right text
        assert squash(leaflet.disclaimer) in squash(last)
        assert len(body) > 20, f"page {rendered.pages} holds only the disclaimer: {last!r}"
    elements = elements_in_order(rendered.pdf)
    for (role, page), (next_role, next_page) in zip(elements, elements[1:]):
        if re.fullmatch(r"H\d", role):
            assert next_page == page, f"a {role} ends page {page + 1}; its {next_role} starts the next"


@pytest.mark.parametrize("audience", ["adolescent", "adult"])
@pytest.mark.parametrize("style", ["standard", "ink-saver"])
def test_sertraline_for_readers_under_25_fits_two_letter_pages(audience, style):
    """It took three, the disclaimer alone on the third; A4 always fitted on two."""
    for size in ("a4", "letter"):
        rendered = render_request(Request(SERTRALINE, audience, style=style, page_size=size))
        assert rendered.pages == 2, (size, rendered.page_fill)
        text = pdf_text(rendered.pdf)
        assert "Suicidal thoughts in children and young adults up to age 24" in text
        assert "This is not all there is to know about sertraline." in text


# --- Long blocks split where the page ends ---------------------------------------------


@pytest.mark.parametrize("size", ["a4", "letter"])
@pytest.mark.parametrize("audience", ["caregiver", "adolescent", "adult"])
def test_large_print_epinephrine_fills_its_pages(audience, size):
    """"What is epinephrine?" (heading, text, forms table) used to move to page 2 whole,
    leaving page 1 a quarter empty; it now starts on page 1 and goes on."""
    rendered = render_request(Request(EPINEPHRINE, audience, style="large-print", page_size=size))
    assert min(rendered.page_fill[:-1]) >= 0.7, rendered.page_fill
    assert rendered.page_fill[0] >= 0.8, rendered.page_fill
    if audience != "caregiver":  # the caregiver's page 1 has room for the heading and one line only
        first_page = " ".join(PdfReader(io.BytesIO(rendered.pdf)).pages[0].extract_text().split())
        assert "What is epinephrine?" in first_page


def test_a_heading_keeps_its_first_two_lines_or_moves_on():
    look = _look_for(load_style("large-print"))
    heading = look.paragraph("What is it?", look.heading)
    text = look.paragraph("A sentence of some length that runs on. " * 12, look.body)
    width = 400
    heading_height = heading.wrap(width, 1000)[1]
    text.wrap(width, 1000)
    gap = max(text.getSpaceBefore() - heading.getSpaceAfter(), 0) + heading.getSpaceAfter()
    line = look.body.leading
    # Room for the heading and one line: a line alone under a heading is an orphan.
    assert _split_kept([heading, text], width, heading_height + gap + line * 1.5) is None
    parts = _split_kept([heading, text], width, heading_height + gap + line * 2.5)
    assert parts is not None and parts[0] is heading and len(parts) == 3
    assert len(parts[1].blPara.lines) == 2


def test_a_table_breaks_with_two_rows_on_each_side_and_its_header_repeated():
    look = _look_for(load_style("large-print"))
    block = Table(("Weight", "Dose"), tuple((f"{n} kg", f"{n} mg") for n in range(1, 7)))
    table = _table(block, look, 400)
    _, height = table.wrap(400, 10_000)
    row = table._rowHeights[1]
    header = table._rowHeights[0]
    assert table.split(400, header + row * 1.5) == []  # one row alone would stay behind
    first, rest = table.split(400, header + row * 3.5)
    assert len(first._cellvalues) == 4 and len(rest._cellvalues) == 4  # header + 3, header + 3
    assert cell(table.split(400, header + row * 5.5)[1], 1, 0).getPlainText() == "5\u00a0kg"  # two go on (a number kept with its unit)
    # The part on the next page is a table of its own, under header cells of its own.
    heads = [cell(rest, 0, column).node for column in range(2)]
    assert [node.role for node in heads] == ["TH", "TH"]
    assert heads[0] is not cell(first, 0, 0).node and heads[0].parent is not cell(first, 0, 0).node.parent
    assert cell(rest, 1, 0).node.parent.parent is heads[0].parent.parent
    assert cell(first, 1, 0).node.parent.parent is cell(first, 0, 0).node.parent.parent


def cell(table, row: int, column: int):
    """The flowable in a cell (ReportLab keeps a cell's flowables in a tuple)."""
    value = table._cellvalues[row][column]
    return value[0] if isinstance(value, (list, tuple)) else value


@pytest.mark.parametrize("size", ["a4", "letter"])
def test_large_print_acetaminophen_passes_outloud_with_its_dose_table_over_two_pages(size, tmp_path):
    """outloud warned TBL-014 (a ruled grid no /Table covers): the continued part of the
    dose table on the next page belonged to a Table element of the page before."""
    rendered = render_request(Request(ACETAMINOPHEN, "caregiver", style="large-print", page_size=size))
    path = tmp_path / "acetaminophen.pdf"
    path.write_bytes(rendered.pdf)
    tables = [page for role, page in elements_in_order(rendered.pdf) if role == "TH"]
    assert len(set(tables)) >= 2  # the dose table goes on on the next page, under its header
    result = outloud.check(str(path))
    assert result.error is None
    assert [(f.rule, f.message) for f in result.findings if f.severity in ("error", "warning")] == []


# --- Sources --------------------------------------------------------------------------


def test_sources_say_once_that_their_pages_give_no_reviewer_or_date():
    sertraline = pdf_text(render_request(Request(SERTRALINE, "adult")).pdf)
    assert sertraline.count("None of these source pages gives a reviewer or a date.") == 1
    assert "No reviewer or date is given on the source page" not in sertraline
    # Only some of acetaminophen's do: the one with a reviewer says so, the others once.
    acetaminophen = pdf_text(render_request(Request(ACETAMINOPHEN, "caregiver")).pdf)
    assert "Reviewed by EBSCO Medical Review Board. No date is given on the source page." in acetaminophen
    assert acetaminophen.count("The other source pages give no reviewer or date.") == 1
    assert "No reviewer or date is given on the source page" not in acetaminophen
    # One undated source among dated ones keeps its own note (epinephrine).
    epinephrine = pdf_text(render_request(Request(EPINEPHRINE, "adult")).pdf)
    assert epinephrine.count("No reviewer or date is given on the source page.") == 1


def test_saving_a_page_takes_space_between_blocks_never_text_size():
    style = load_style("standard")
    normal, tight = _look_for(style), _look_for(style, False, 0.5)
    for name in ("body", "heading", "subheading", "cell", "bullet", "title"):
        assert getattr(tight, name).fontSize == getattr(normal, name).fontSize
        assert getattr(tight, name).leading == getattr(normal, name).leading
    assert tight.heading.spaceBefore == normal.heading.spaceBefore / 2


def test_a_right_to_left_table_goes_on_as_a_table_of_its_own_too(tmp_path):
    """The Arabic leaflet with forty more devices: its mirrored table runs onto the next
    page, where it is a Table under its own header cells (no TBL-014)."""
    text = (ROOT / "content" / "dupixent.ar.yaml").read_text(encoding="utf-8")
    start = text.index("  items:\n", text.index("devices:")) + len("  items:\n")
    extra = "".join(f"    - {{id: d{n}, name: جهاز رقم {n}, doses: {n} mg, ages: من عمر سنتين فأكثر}}\n"
                    for n in range(40))
    content = tmp_path / "dupixent.ar.yaml"
    content.write_text(text[:start] + extra + text[start:], encoding="utf-8")
    rendered = render_request(Request(content, "adult"))
    header_pages = [page for role, page in elements_in_order(rendered.pdf) if role == "TH"]
    assert len(header_pages) == 6 and len(set(header_pages)) == 2  # three columns, on two pages
    path = tmp_path / "ar.pdf"
    path.write_bytes(rendered.pdf)
    assert "TBL-014" not in {finding.rule for finding in outloud.check(str(path)).findings}


def _lines_and_fills(page) -> tuple[list[tuple[float, float, float]], list[tuple[float, float]]]:
    """Horizontal lines (y, x from, x to) and filled rectangles' (top, bottom) in page
    coordinates, read from the page's drawing operators with their transformation."""
    lines: list[tuple[float, float, float]] = []
    fills: list[tuple[float, float]] = []
    state: dict = {}

    def visit(operator, args, cm, tm):
        def at(x, y):
            return cm[0] * x + cm[2] * y + cm[4], cm[1] * x + cm[3] * y + cm[5]
        if operator == b"m":
            state["start"] = at(*map(float, args))
        elif operator == b"l" and "start" in state:
            (x0, y0), (x1, y1) = state.pop("start"), at(*map(float, args))
            if abs(y0 - y1) < 0.01 and abs(x1 - x0) > 1:
                lines.append((y0, min(x0, x1), max(x0, x1)))
        elif operator == b"re":
            x, y, w, h = map(float, args)
            (_, bottom), (_, top) = at(x, y), at(x, y + h)
            fills.append((max(top, bottom), min(top, bottom)))
    page.extract_text(visitor_operand_before=visit)
    return lines, fills


@pytest.mark.parametrize("style,size", list(product(STYLES, ("a4", "letter"))))
def test_a_table_starting_a_page_hangs_from_the_header_rule_not_under_it(style, size):
    """The header's rule is the top border of a table that starts a page: before, the
    table's own top line ran 3 pt under the rule (a double rule)."""
    loaded = load_style(style)
    rendered = render_request(Request(ACETAMINOPHEN, "caregiver", style=style, page_size=size))
    hanging = 0
    for page in PdfReader(io.BytesIO(rendered.pdf)).pages:
        lines, fills = _lines_and_fills(page)
        rule_y = max(y for y, _, _ in lines)  # the header's rule: the top line on the page
        # No other line close under it (the body's first line of text is further down).
        assert not [y for y, _, _ in lines if 0 < rule_y - y < loaded.body.font_size / 2]
        rule_bottom = rule_y - loaded.line_width / 2
        hanging += any(abs(top - rule_bottom) < 0.01 for top, _ in fills)
    assert hanging or style == "ink-saver"  # ink-saver fills no header row; its lines are checked above
    if size == "a4" and style != "ink-saver":
        assert hanging  # acetaminophen's dose table goes on at the top of a page there


def test_a_table_of_few_rows_taller_than_a_page_still_breaks_between_rows(tmp_path):
    """Two rows on each side of a break is a preference: a table of three tall rows, too
    tall for any page, breaks where it must rather than fail the build."""
    doses = " ".join(f"Take {n} mg with water." for n in range(14))
    items = "\n".join(f"    - {{id: t{n}, name: Tablet {n}, doses: {doses}, ages: 3 years and older}}"
                      for n in range(3))
    content = tmp_path / "tall.yaml"
    text = (ROOT / "tests" / "fixtures" / "minimal.yaml").read_text()
    content.write_text(text.replace("    - {id: tablet, name: Tablet, doses: 10 mg, ages: 3 years and older}", items))
    request = Request(content, "adult", None, None, "standard", "a4")
    rendered = render_request(request)
    assert rendered.pages >= 2
    assert squash(pdf_text(rendered.pdf)).count(squash(doses)) == 3  # every row, whole
