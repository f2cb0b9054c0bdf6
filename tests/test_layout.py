"""The printed leaflet: pages, fonts, metadata, bookmarks, styles, escaping, determinism."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from conftest import DUPIXENT, FIXTURES, build_leaflet, long_disclaimer_content
from leaflet.build import Request, render_request
from leaflet.layout import Personal

AUDIENCES = ["caregiver", "adolescent", "adult"]
POINTS_PER_MM = 72 / 25.4


@pytest.mark.parametrize("page_size", ["a4", "letter"])
@pytest.mark.parametrize("audience", AUDIENCES)
def test_standard_style_fits_on_two_pages(audience, page_size):
    built = build_leaflet(audience, page_size=page_size)
    assert 1 <= built.pages <= 2
    assert len(built.reader.pages) == built.pages


@pytest.mark.parametrize(("page_size", "size_mm"), [("a4", (210, 297)), ("letter", (215.9, 279.4))])
def test_page_sizes(page_size, size_mm):
    for page in build_leaflet("adult", page_size=page_size).reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width / POINTS_PER_MM, 1), round(height / POINTS_PER_MM, 1)) == size_mm


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_page_has_header_and_numbered_footer(audience):
    built = build_leaflet(audience)
    for number, page in enumerate(built.reader.pages, start=1):
        text = " ".join(page.extract_text().split())
        assert text.startswith("Dupixent (dupilumab)")
        assert f"Page {number} of {built.pages}" in text
        assert "Source: What is Dupixent used for and how does it work?" in text
        assert "Last updated 1 February 2024" in text


def test_page_one_opens_with_the_name_the_reader_and_key_points():
    first_page = " ".join(build_leaflet("caregiver").reader.pages[0].extract_text().split())
    title = first_page.index("Dupixent (dupilumab) For parents and caregivers of children under 12")
    assert title < first_page.index("Key points") < first_page.index("What is Dupixent?")


@pytest.mark.parametrize("style", ["standard", "large-print", "ink-saver"])
def test_only_embedded_fonts_are_used(style):
    built = build_leaflet("adult", style=style)
    for page in built.reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"
            assert "DejaVuSans" in font["/BaseFont"]
            assert font["/BaseFont"][7] == "+", "the font should be a subset (XXXXXX+Name)"


def test_metadata_language_and_outline():
    built = build_leaflet("adolescent")
    meta = built.reader.metadata
    assert meta.title == "Dupixent (dupilumab): For young people aged 12 to 17"
    # The content names no publisher and no pharmacy is given: no author, rather than a page title.
    assert meta.author == ""
    assert "Dupixent" in meta.subject and "adolescent" in meta["/Keywords"]
    root = built.reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    titles = [item.title for item in built.reader.outline]
    assert titles[0] == "Key points"
    assert "What is Dupixent?" in titles and "Questions?" in titles
    # Each bookmark points at the page its heading is on.
    for item in built.reader.outline:
        page = built.reader.get_destination_page_number(item)
        assert item.title in " ".join(built.reader.pages[page].extract_text().split())


@pytest.mark.parametrize("style", ["standard", "large-print", "ink-saver"])
@pytest.mark.parametrize("page_size", ["a4", "letter"])
def test_same_inputs_give_identical_bytes(style, page_size):
    request = Request(DUPIXENT, "caregiver", style=style, page_size=page_size,
                      personal=Personal("Zoë", "Main St Pharmacy", "555 0100"))
    assert render_request(request).pdf == render_request(request).pdf


def _filled_areas(built) -> int:
    fills = 0
    for page in built.reader.pages:
        for _operands, operator in ContentStream(page.get_contents(), built.reader).operations:
            fills += operator in (b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*")
    return fills


def test_ink_saver_has_no_filled_areas_but_standard_does():
    assert _filled_areas(build_leaflet("adult", style="ink-saver")) == 0
    assert _filled_areas(build_leaflet("adult", style="standard")) > 0


def test_large_print_is_larger_and_keeps_every_fact():
    standard = build_leaflet("adult")
    large = build_leaflet("adult", style="large-print")
    assert large.pages > standard.pages
    for fact in ["albuterol", "Prurigo nodularis", "not all the information", "nurse or pharmacist"]:
        assert fact in large.text


def test_markup_characters_in_content_print_literally():
    built = build_leaflet("adult", content=FIXTURES / "escaping.yaml")
    for literal in [
        "Tom & Jerry's <b>Balm</b> (x < y > z)",
        'Key <points> & "notes"',
        'Use <font size="40">big</font> & <br/> carefully; it\'s "fine".',
        '<a href="file:///etc/passwd">link</a> &amp; &lt;',
        "Pain & <strong>aches</strong>",
        "1 < 2 & 3 > 2",
        'Do not use with "<script>".',
        'Not <b>real</b> & "only" a test.',
        "O'Brien & Co",
    ]:
        assert literal in built.text, literal


def test_markup_characters_in_a_patient_name_print_literally():
    rendered = render_request(Request(FIXTURES / "minimal.yaml", "adult",
                                      personal=Personal(patient_name='<b>Bob</b> & "Al" O\'Neil')))
    from conftest import pdf_text
    assert 'Prepared for <b>Bob</b> & "Al" O\'Neil' in pdf_text(rendered.pdf)


def test_a_long_medicine_name_is_shortened_in_the_header_not_run_off_the_page(tmp_path):
    content = tmp_path / "long.yaml"
    content.write_text((FIXTURES / "minimal.yaml").read_text().replace(
        "brand: Testamol", "brand: Testamol Extra Strength Long Name For Headache Relief Formula"))
    rendered = render_request(Request(content, "adult"))
    from conftest import pdf_text
    text = pdf_text(rendered.pdf)
    assert text.startswith("Testamol Extra Strength Long Name For Headache Relief Formula (testamo\u2026")
    assert "Testamol Extra Strength Long Name For Headache Relief Formula (testamolum)" in text  # the title


def test_a_box_too_tall_for_the_page_continues_on_the_next(tmp_path):
    rendered = render_request(Request(long_disclaimer_content(tmp_path), "adult", style="large-print"))
    from conftest import pdf_text
    text = pdf_text(rendered.pdf)
    assert rendered.pages >= 3
    assert "Sentence number 1 of the disclaimer." in text and "Sentence number 52 of the disclaimer." in text


# --- Large print: numbers with their units, boxes split between lines, full pages --------------


@pytest.mark.parametrize("page_size", ["a4", "letter"])
@pytest.mark.parametrize("audience", ["caregiver", "adolescent", "adult"])
def test_large_print_keeps_numbers_with_units_and_fills_every_page_but_the_last(audience, page_size):
    from leaflet.build import Request, render_request
    from leaflet.layout import Personal

    for personal in (Personal(), Personal("Zoë Martin", "High Street Pharmacy", "01632 960 000",
                                          directions="Inject 300 mg under the skin every other week.")):
        rendered = render_request(Request(DUPIXENT, audience, style="large-print", page_size=page_size,
                                          personal=personal))
        assert len(rendered.page_fill) == rendered.pages
        assert all(fill >= 1 / 3 for fill in rendered.page_fill[:-1]), rendered.page_fill
        reader = PdfReader(io.BytesIO(rendered.pdf))
        for page in reader.pages:
            text = page.extract_text()
            broken = re.findall(r"\d\s*\n\s*(?:mg|mL|kg|lb|years?|months?|weeks?)\b", text)
            assert broken == [], broken


def test_a_box_never_leaves_its_title_alone_at_the_foot_of_a_page():
    from leaflet.layout import _look_for, _warning
    from leaflet.styles import load_style
    from leaflet.tailor import Warning

    look = _look_for(load_style("large-print"))
    box = _warning(Warning("Not for asthma attacks", "Sentence. " * 40), look)
    width = 400
    box.wrap(width, 10_000)
    title_height = box.content[0].wrap(width, 10_000)[1]
    room_for_the_title_only = title_height + 2 * look.style.box_padding + 1
    assert box.split(width, room_for_the_title_only) == []
    parts = box.split(width, room_for_the_title_only + 3 * look.body.leading)
    assert len(parts) == 2 and parts[0].content[0] is box.content[0] and len(parts[0].content) == 2
