"""Print rules: no glyph prints below its style's minimum size, read back from the PDF.

pypdf's text visitor reports each run of text with its font size (the Tf operand), the
text matrix and the current transformation matrix. The printed size is the font size
times the scale of text matrix x CTM, so a run set at 24 pt inside a half-size CTM
prints at 12 pt, and 9 pt text stretched by the text matrix to double size prints at 18.
"""

from __future__ import annotations

import io
import math

import pytest
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from conftest import DUPIXENT, FIXTURES, build_leaflet
from leaflet.build import Request, tailored
from leaflet.check import text_to_page
from leaflet.errors import LeafletError
from leaflet.layout import Personal, render
from leaflet.style_model import Style, TextStyle
from leaflet.styles import load_style
from leaflet.checked import load_content

AUDIENCES = ["caregiver", "adolescent", "adult"]
MINIMUM = {"standard": 12, "large-print": 18, "ink-saver": 12}


def printed_sizes(pdf: bytes) -> list[tuple[int, str, float]]:
    """(page, text, printed size in points) for every run of visible text."""
    runs: list[tuple[int, str, float]] = []
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages, start=1):

        def visit(text, cm, tm, _font, size, number=number):
            if text.strip():
                a, b, c, d, _, _ = text_to_page(tm, cm)
                # The smaller of the two axis scales: squeezed text counts as small text.
                scale = min(math.hypot(a, b), math.hypot(c, d))
                runs.append((number, text.strip(), round(size * scale, 3)))

        page.extract_text(visitor_text=visit)
    return runs


def test_the_reader_measures_through_the_ctm_and_the_text_matrix():
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.setFont("Helvetica", 12)
    canvas.drawString(50, 800, "plain twelve")
    canvas.saveState()
    canvas.scale(0.5, 0.5)  # the CTM halves everything drawn inside
    canvas.setFont("Helvetica", 24)
    canvas.drawString(100, 1400, "twenty-four at half scale")
    canvas.setFont("Helvetica", 16)
    canvas.drawString(100, 1300, "sixteen at half scale")
    canvas.restoreState()
    text = canvas.beginText()
    text.setTextTransform(2, 0, 0, 2, 50, 600)  # the text matrix doubles it
    text.setFont("Helvetica", 9)
    text.textLine("nine at double scale")
    canvas.drawText(text)
    canvas.showPage()
    canvas.save()
    sizes = {text: size for _, text, size in printed_sizes(buffer.getvalue())}
    assert sizes == {"plain twelve": 12, "twenty-four at half scale": 12, "sixteen at half scale": 8,
                     "nine at double scale": 18}


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("style", sorted(MINIMUM))
def test_no_glyph_prints_below_the_styles_minimum(style, audience):
    assert load_style(style).min_font_size == MINIMUM[style]
    built = build_leaflet(audience, style=style)
    runs = printed_sizes(built.pdf)
    assert sum(len(text) for _, text, _ in runs) > 2000  # the whole leaflet was read
    small = [(page, text[:40], size) for page, text, size in runs if size < MINIMUM[style]]
    assert not small, small
    # Body text is set at the minimum itself: the bound is tight, not vacuous.
    assert min(size for _, _, size in runs) == MINIMUM[style]


def test_bullets_headers_footers_and_personal_lines_are_measured_too():
    personal = Personal("Zoë O'Neil", "Main St Pharmacy", "555 0100")
    built = build_leaflet("caregiver", style="large-print", personal=personal)
    runs = printed_sizes(built.pdf)
    texts = [text for _, text, _ in runs]
    assert "\u2022" in texts  # the key points' bullets (ReportLab's default bullet size is 10 pt)
    assert any(text.startswith("Your pharmacy:") for text in texts)
    assert any(text.startswith("Page 1 of") for text in texts)
    assert any("Prepared for" in text for text in texts)
    assert min(size for _, _, size in runs) >= 18


def test_layout_refuses_a_style_that_would_print_below_its_minimum():
    """A style built in code skips validation; layout still refuses it, before drawing anything."""
    good = load_style("standard")
    small = Style.model_construct(**{**vars(good), "footer": TextStyle.model_construct(**{**vars(good.footer),
                                                                                          "font_size": 9})})
    leaflet = tailored(load_content(DUPIXENT), Request(DUPIXENT, "adult"))
    with pytest.raises(LeafletError, match=r"footer text would print at 9 pt font size, below the style's "
                                           r"min_font_size 12"):
        render(leaflet, small)


def test_a_style_file_below_its_minimum_is_refused_with_its_line():
    with pytest.raises(LeafletError, match=r"style-below-minimum.yaml:\d+: .*body.font_size 9 is below"):
        load_style(str(FIXTURES / "bad" / "style-below-minimum.yaml"))


@pytest.mark.parametrize("style", sorted(MINIMUM))
def test_schema2_sections_directions_and_warnings_keep_the_minimum(style):
    """Boxed warnings, tier headings, the emergency box's bullets and the directions box."""
    testamol = FIXTURES / "schema2" / "testamol.yaml"
    built = build_leaflet("caregiver", testamol, style=style,
                          personal=Personal("Zoë", directions="Give 5 mL twice a day."))
    runs = printed_sizes(built.pdf)
    texts = " ".join(text for _, text, _ in runs)
    assert "directions from the prescription" in texts and "Get emergency help right away" in texts
    small = [(page, text[:40], size) for page, text, size in runs if size < MINIMUM[style]]
    assert not small, small
