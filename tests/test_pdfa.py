"""--pdfa: PDF/A-2a. What can be read back is checked here; pikepdf.pdfa (an offline
allowlist validator built from veraPDF's PDF/A-2b rules) checks the rest of level b.
What no offline tool checks is listed in the README."""

from __future__ import annotations

import io

import outloud
import pdfua
import pikepdf
import pikepdf.pdfa
import pytest

from conftest import DUPIXENT, ROOT
from leaflet.build import Request, render_request
from leaflet.cli import cli
from leaflet.layout import Personal

# What pikepdf.pdfa reports that is not a PDF/A-2a problem: it validates level b only
# (level a adds tagging, which pdfua and outloud check), and it does not read XMP
# extension schemas, which PDF/A-2 requires for the PDF/UA claim (pdfuaid) we make.
NOT_PROBLEMS = {
    "XMP namespace pdfaExtension=http://www.aiim.org/pdfa/ns/extension/ is not permitted",
    "XMP namespace pdfaSchema=http://www.aiim.org/pdfa/ns/schema# is not permitted",
    "XMP namespace pdfaProperty=http://www.aiim.org/pdfa/ns/property# is not permitted",
    "XMP property pdfuaid:part is not permitted",
    "XMP property pdfaExtension:schemas is not permitted",
    "pdfaid:conformance is 'A', expected 'B'",
}


@pytest.mark.parametrize("style,page_size,audience", [("standard", "a4", "adult"), ("large-print", "letter", "caregiver"),
                                                      ("ink-saver", "a4", "adolescent")])
def test_pdfa_passes_the_offline_pdfa_2b_rules_and_both_pdfua_checkers(style, page_size, audience, tmp_path):
    pdf = render_request(Request(DUPIXENT, audience, style=style, page_size=page_size, pdfa=True,
                                 personal=Personal("Zoë Martin", "High Street Pharmacy", "01632 960 000"))).pdf
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf)
    report = pikepdf.pdfa.validate_written(str(path), "2b")
    assert [f"{f.rule_id}: {f.message}" for f in report.findings if f.message not in NOT_PROBLEMS] == []
    assert pdfua.validate(str(path)).findings == ()
    assert outloud.check(str(path)).verdict == "pass"


def test_pdfa_with_links_passes_too(tmp_path):
    """Sources' web addresses are link annotations: printable (/F 4), as PDF/A-2 asks."""
    pdf = render_request(Request(ROOT / "content" / "epinephrine.yaml", "adult", pdfa=True)).pdf
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf)
    with pikepdf.open(path) as doc:
        annotations = [annotation for page in doc.pages for annotation in page.get("/Annots", [])]
        assert len(annotations) >= 3 and all(int(annotation.F) == 4 for annotation in annotations)
    report = pikepdf.pdfa.validate_written(str(path), "2b")
    assert [f"{f.rule_id}: {f.message}" for f in report.findings if f.message not in NOT_PROBLEMS] == []
    assert pdfua.validate(str(path)).findings == ()
    assert outloud.check(str(path)).verdict == "pass"


def test_what_pdfa_needs_can_be_read_back():
    pdf = render_request(Request(DUPIXENT, "adult", pdfa=True, personal=Personal("Zoë Martin"))).pdf
    assert pdf.startswith(b"%PDF-1.") and max(pdf[9:16]) > 127  # binary comment after the header
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        intent = doc.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFA1" and str(intent.OutputConditionIdentifier) == "sRGB IEC61966-2.1"
        profile = intent.DestOutputProfile.read_bytes()
        assert int(intent.DestOutputProfile.N) == 3 and profile[16:20] == b"RGB " and profile[36:40] == b"acsp"
        with doc.open_metadata() as xmp:
            assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"], xmp["pdfuaid:part"]) == ("2", "A", "1")
            info = doc.docinfo
            assert xmp["dc:title"] == str(info.Title)
            assert xmp["dc:description"] == str(info.Subject)
            assert xmp["pdf:Keywords"] == str(info.Keywords)
            assert xmp["pdf:Producer"] == str(info.Producer)
            assert xmp["xmp:CreatorTool"] == str(info.Creator)
            assert xmp["xmp:CreateDate"][:19].replace("-", "").replace("T", "").replace(":", "") == \
                str(info.CreationDate)[2:16]
        assert "/Filter" not in doc.Root.Metadata  # readable without decoding
        assert doc.trailer.ID[0] == doc.trailer.ID[1]
        for page in doc.pages:
            for font in page.Resources.Font.values():
                assert "/FontFile2" in font.FontDescriptor and "/ToUnicode" in font
                cmap = font.ToUnicode.read_bytes()
                assert b"beginbfchar" in cmap
            resources = page.Resources
            assert "/XObject" not in resources  # no images, so no soft masks
            for state in (resources.get("/ExtGState") or {}).values():  # no transparency
                assert float(state.get("/CA", 1)) == 1 and float(state.get("/ca", 1)) == 1
                assert str(state.get("/BM", "/Normal")) in ("/Normal", "/Compatible") and "/SMask" not in state
            assert "/Annots" not in page and "/AA" not in page
        for forbidden in ("/AcroForm", "/OpenAction", "/AA", "/Names"):
            assert forbidden not in doc.Root


def test_pdfa_is_a_build_option_a_batch_option_and_a_manifest_column(cli_runner, tmp_path):
    def claims(path) -> str | None:
        with pikepdf.open(path) as doc, doc.open_metadata() as xmp:
            return xmp.get("pdfaid:part")

    result = cli_runner.invoke(cli, ["build", str(DUPIXENT), "-a", "adult", "--pdfa", "-o", str(tmp_path / "b.pdf")])
    assert result.exit_code == 0, result.output
    assert claims(tmp_path / "b.pdf") == "2"
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"content,audience,pdfa\n{DUPIXENT},adult,yes\n{DUPIXENT},adult,no\n{DUPIXENT},adult,\n"
                        f"{DUPIXENT},adult,maybe\n")
    for flag, empty_column in (([], None), (["--pdfa"], "2")):
        out = tmp_path / f"out{len(flag)}"
        result = cli_runner.invoke(cli, ["batch", str(manifest), "--out-dir", str(out), "--jobs", "1", *flag])
        assert result.exit_code == 1  # the "maybe" row
        assert "row 5: pdfa 'maybe': write yes or no" in result.output
        assert [claims(out / f"0000{row}-dupixent-adult.pdf") for row in (2, 3, 4)] == ["2", None, empty_column]
