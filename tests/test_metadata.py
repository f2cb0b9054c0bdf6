"""Honest metadata: who publishes the leaflet, what it is about, when it was made, and an
/ID that tells two patients' PDFs apart while a rebuild stays byte-identical."""

from __future__ import annotations

import io

import pikepdf
from pypdf import PdfReader

from conftest import DUPIXENT
from leaflet.build import Request, render_request
from leaflet.layout import Personal
from leaflet.styles import load_style


def _pdf(**options) -> bytes:
    return render_request(Request(DUPIXENT, options.pop("audience", "adult"), **options)).pdf


def _trailer_id(pdf: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return bytes(doc.trailer.ID[0])


def test_document_id_differs_per_patient_and_is_stable_per_input():
    zoe = _pdf(personal=Personal("Zoë Martin"))
    jo = _pdf(personal=Personal("Jo Martin"))
    assert _trailer_id(zoe) != _trailer_id(jo)
    assert _trailer_id(_pdf(audience="caregiver")) != _trailer_id(_pdf(audience="adolescent"))
    assert _pdf(personal=Personal("Zoë Martin")) == zoe  # a rebuild: the same bytes


def test_creation_date_comes_from_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764028800")  # 2025-11-25 00:00 UTC
    pdf = _pdf()
    assert PdfReader(io.BytesIO(pdf)).metadata["/CreationDate"].startswith("D:20251125000000")
    with pikepdf.open(io.BytesIO(pdf)) as doc, doc.open_metadata() as xmp:
        assert xmp["xmp:CreateDate"].startswith("2025-11-25T00:00:00")
    assert _pdf() == pdf
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert PdfReader(io.BytesIO(_pdf())).metadata["/CreationDate"].startswith("D:2000")  # fixed, reproducible


def test_author_is_the_publisher_never_a_page_title(tmp_path):
    meta = PdfReader(io.BytesIO(_pdf(personal=Personal(pharmacy="High Street Pharmacy")))).metadata
    assert meta.author == "High Street Pharmacy"
    style = tmp_path / "branded.yaml"
    style.write_text((DUPIXENT.parent.parent / "styles" / "standard.yaml").read_text().replace(
        "name: standard", "name: branded\npublisher: Example Health Trust"))
    assert load_style(str(style)).publisher == "Example Health Trust"
    meta = PdfReader(io.BytesIO(_pdf(style=str(style), personal=Personal(pharmacy="High Street Pharmacy")))).metadata
    assert meta.author == "Example Health Trust"
    assert "Dupixent (dupilumab)" in meta.subject and "adults aged 18 and over" in meta.subject
    assert "language en" in meta.subject
    assert meta["/Keywords"] == "Dupixent, dupilumab, patient leaflet, audience: adult, language: en"
    with pikepdf.open(io.BytesIO(_pdf(style=str(style)))) as doc, doc.open_metadata() as xmp:
        assert xmp["dc:creator"] == ["Example Health Trust"]
        assert xmp["pdf:Keywords"].startswith("Dupixent")


def test_font_subsets_are_named_by_their_characters():
    def names(pdf: bytes) -> set[str]:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            return {str(font.BaseFont) for page in doc.pages for font in page.Resources.Font.values()}

    plain = names(_pdf())
    greek = names(_pdf(personal=Personal("Ζωή Παπαδοπούλου")))
    assert all(len(name.split("+")[0]) == 7 and name[1:7].isupper() for name in plain)
    assert not any(name.startswith("/AAAAAA+") for name in plain | greek)
    # The regular face gains Greek letters: a different subset, so a different name.
    assert len(plain | greek) == 3
    assert names(_pdf()) == plain
