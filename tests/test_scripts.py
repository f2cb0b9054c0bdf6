"""Patients' names in any script: drawn by a font made for it, shaped, in reading order."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from html import unescape

import pytest

from conftest import build_leaflet
from leaflet import fonts
from leaflet.errors import LeafletError
from leaflet.layout import Personal


def fonts_in(built) -> set[str]:
    """The base names of the fonts embedded in a PDF (subset prefixes removed)."""
    names = set()
    for page in built.reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


def words_left_to_right(built, after: str, count: int) -> list[str]:
    """The words printed after a word, in their order on the page (left to right).

    pypdf reads right-to-left text back in reading order, whatever order it was drawn
    in; poppler's pdftotext -bbox gives each word's place, which is what a reader sees.
    Each word is compatibility-folded: Arabic presentation forms (the joined shapes
    shaping picked) become letters, and a word drawn right to left is read backwards.
    """
    boxes = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", "-", "-"], input=built.pdf,
                           capture_output=True, check=True).stdout.decode()
    words = [((float(y0) + float(y1)) / 2, float(x0), float(x1), unescape(w)) for x0, y0, x1, y1, w in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                        boxes)]
    index = next(i for i, word in enumerate(words) if word[3] == after)
    line = sorted((w for w in words[index + 1:] if abs(w[0] - words[index][0]) < 4), key=lambda w: w[1])
    joined: list[list] = []
    for _, x0, x1, word in line:
        if joined and x0 - joined[-1][1] < 1.5:  # one word that poppler cut at a cluster
            joined[-1] = [joined[-1][0] + word, x1]
        else:
            joined.append([word, x1])
    return [unicodedata.normalize("NFKC", word) for word, _ in joined[:count]]


def prepared_for(built) -> str:
    """The text after "Prepared for", as read back, up to the key points box."""
    text = built.text
    start = text.index("Prepared for ") + len("Prepared for ")
    return text[start:text.index(" Key points", start)]


# Seven scripts; the expected text is how the name reads back: for a right-to-left
# name, its words in visual order (left to right on the page), so the first name,
# which a reader meets first at the right, is last.
NAMES = [
    ("latin", "Zoë Łukasz Nguyễn", "Zoë Łukasz Nguyễn", "DejaVuSans-Bold"),
    ("greek", "Ελένη Παπαδοπούλου", "Ελένη Παπαδοπούλου", "DejaVuSans-Bold"),
    ("cyrillic", "Дмитрий Иванов", "Дмитрий Иванов", "DejaVuSans-Bold"),
    ("arabic", "محمد أحمد", "أحمد محمد", "NotoSansArabic-Bold"),
    ("hebrew", "דוד כהן", "כהן דוד", "NotoSansHebrew-Bold"),
    ("devanagari", "सीता देवी", "सीता देवी", "NotoSansDevanagari-Bold"),
    ("cjk", "王芳 さくら 김민준", "王芳 さくら 김민준", "WenQuanYiZenHei"),
]


@pytest.mark.parametrize("script, name, reads, font", NAMES, ids=[n[0] for n in NAMES])
def test_names_in_seven_scripts_read_back(script, name, reads, font):
    if script == "cjk" and fonts.cjk_face() is None:
        pytest.fail("no CJK font on this machine: tests/setup installs fonts-wqy-zenhei")
    built = build_leaflet("adult", personal=Personal(name, "High Street Pharmacy"))
    # Read back: every word, letters in reading order (pypdf's word order for right-to-left
    # text depends on how the runs were drawn, so the order is checked on the page below).
    assert sorted(unicodedata.normalize("NFKC", prepared_for(built)).replace("\u200e", "").split()) == sorted(name.split())
    # On the page: the words left to right, each drawn left to right.
    drawn = words_left_to_right(built, "for", len(reads.split()))
    rtl = script in ("arabic", "hebrew")
    assert [word[::-1] if rtl else word for word in drawn] == reads.split()
    assert font in fonts_in(built) or font in {f.split("-")[0] for f in fonts_in(built)}, fonts_in(built)


def test_arabic_letters_are_joined_not_isolated():
    shown = prepared_for(build_leaflet("adult", personal=Personal("محمد أحمد")))
    # Shaped: initial/medial/final forms (U+FB50-U+FEFF), not the bare letters in a row.
    assert any("\ufb50" <= char <= "\ufeff" for char in shown)
    assert "محمد" not in shown


def test_an_rtl_name_does_not_reorder_the_phone_number_after_it():
    built = build_leaflet("adult", personal=Personal(None, "صيدلية النور", "01632 960 000"))
    drawn = words_left_to_right(built, "pharmacy:", 5)
    # Left to right: the pharmacy's second word, its first, then the phone number in order.
    assert [word.replace("\u200e", "") for word in drawn] == ["رونلا,", "ةيلديص", "01632", "960", "000"]


def test_english_leaflets_embed_the_latin_font_alone():
    assert fonts_in(build_leaflet("adult", personal=Personal("Zoë Martin"))) == {"DejaVuSans", "DejaVuSans-Bold"}


def test_a_name_no_font_draws_is_an_error_naming_code_points_not_the_name():
    with pytest.raises(LeafletError) as error:
        build_leaflet("adult", personal=Personal("བཀྲ་ཤིས"))  # Tibetan: no font here draws it
    assert "U+0F56" in str(error.value) and "བ" not in str(error.value)


# --- Devanagari conjuncts read back as the letters they are ----------------------------------

CONJUNCTS = "लक्ष्मी शर्मा"  # क्ष (a conjunct) and र्म (a reph): glyphs with no character of their own


def _actual_texts(pdf: bytes) -> list[str]:
    """The /ActualText of each marked-content span on page 1, in drawing order (pypdf)."""
    import io

    from pypdf import PdfReader
    from pypdf.generic import ContentStream, DictionaryObject

    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    stream = ContentStream(page.get_contents(), reader)
    return [str(operands[1]["/ActualText"]) for operands, operator in stream.operations
            if operator == b"BDC" and len(operands) > 1 and isinstance(operands[1], DictionaryObject)
            and "/ActualText" in operands[1]]


def test_devanagari_conjuncts_carry_their_text_for_extraction_and_screen_readers(tmp_path):
    import outloud

    built = build_leaflet("adult", personal=Personal(CONJUNCTS))
    # Each shaped word holding a glyph with no character of its own is a span whose
    # /ActualText is the word as written: what a screen reader and poppler read.
    assert _actual_texts(built.pdf) == CONJUNCTS.split()
    shown = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-", "-"], input=built.pdf,
                           capture_output=True, check=True).stdout.decode()
    assert f"Prepared for {CONJUNCTS}" in shown
    # A reader that ignores /ActualText (pypdf) gets real letters from the ToUnicode map, not
    # private-use code points: the conjunct word whole, the reph's letters after the syllable
    # they are drawn over.
    assert not any("\ue000" <= char <= "\uf8ff" for char in built.text)
    assert "लक्ष्मी" in prepared_for(built) and sorted(prepared_for(built).split()[1]) == sorted("शर्मा")
    path = tmp_path / "name.pdf"
    path.write_bytes(built.pdf)
    result = outloud.check(str(path))
    assert [(f.rule, f.message) for f in result.findings if f.severity in ("error", "warning")] == []


def test_only_words_with_such_glyphs_get_actual_text():
    # Latin, Arabic (presentation forms read back as letters) and plain Devanagari need none.
    assert _actual_texts(build_leaflet("adult", personal=Personal("सीता देवी محمد Zoë")).pdf) == []
