"""`leaflet check`: a printed leaflet holds every line its reader needs, and nothing else."""

from __future__ import annotations

import dataclasses
import io

import pytest
from pypdf import PdfReader

from conftest import DUPIXENT, FIXTURES, build_leaflet
from leaflet.build import Request, tailored
from leaflet.check import MISSING, UNEXPECTED, Miss, check_pdf, visible_text
from leaflet.cli import cli
from leaflet.layout import Personal, render
from leaflet.styles import load_style
from leaflet.tailor import Para, Section, Table
from leaflet.checked import load_content

CHECK = FIXTURES / "check"
AUDIENCES = ["caregiver", "adolescent", "adult"]


@pytest.fixture(scope="module")
def dupixent():
    return load_content(DUPIXENT)


def leaflet_for(content, audience, **narrow):
    return tailored(content, Request(DUPIXENT, audience, **narrow))


def names(misses: list[Miss], kind: str) -> set[str]:
    return {miss.name for miss in misses if miss.kind == kind}


def without_line(leaflet, text):
    """The leaflet with one printed paragraph taken out of its section (as a faulty build might)."""
    sections = []
    for section in leaflet.sections:
        blocks = tuple(b for b in section.blocks if not (isinstance(b, Para) and b.text == text))
        sections.append(dataclasses.replace(section, blocks=blocks))
    assert sections != list(leaflet.sections), f"no paragraph {text!r} to remove"
    return dataclasses.replace(leaflet, sections=tuple(sections))


# --- Fresh leaflets pass -----------------------------------------------------------------


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("style", ["standard", "large-print"])
def test_a_fresh_leaflet_passes_for_its_own_reader(dupixent, audience, style):
    built = build_leaflet(audience, style=style)
    assert check_pdf(built.pdf, leaflet_for(dupixent, audience), dupixent) == []


@pytest.mark.parametrize(("audience", "age", "weight"), [("caregiver", 0.75, None), ("caregiver", 4, 12),
                                                         ("adolescent", 15, 50), ("adult", 40, None)])
def test_a_leaflet_narrowed_to_one_patient_passes_for_that_patient(dupixent, audience, age, weight):
    built = build_leaflet(audience, patient_age=age, patient_weight=weight)
    assert check_pdf(built.pdf, leaflet_for(dupixent, audience, patient_age=age, patient_weight=weight),
                     dupixent) == []


def test_personal_details_and_letter_paper_do_not_disturb_the_check(dupixent):
    personal = Personal("Zoë O'Neil-Smith", "The Main Street Community Pharmacy and Dispensary", "555 0100")
    built = build_leaflet("caregiver", style="large-print", page_size="letter", personal=personal)
    assert check_pdf(built.pdf, leaflet_for(dupixent, "caregiver"), dupixent) == []


def test_a_paragraph_split_across_pages_is_still_found():
    path = CHECK / "long-paragraph.yaml"
    content = load_content(path)
    built = build_leaflet("adult", content=path, style="large-print")
    pages = [" ".join(page.extract_text().split()) for page in built.reader.pages]
    first = next(i for i, text in enumerate(pages) if "Sentence number 1 of" in text)
    last = next(i for i, text in enumerate(pages) if "Sentence number 22 of" in text)
    assert last > first, "the fixture's paragraph should span pages"
    leaflet = tailored(content, Request(path, "adult"))
    assert check_pdf(built.pdf, leaflet, content) == []
    # The page furniture between the halves is not part of the body text.
    body = " ".join(visible_text(built.pdf, leaflet.title).split())
    assert "Page 1 of" not in body and "Last updated" not in body


# --- Missing lines -----------------------------------------------------------------------


def test_a_removed_safety_line_is_reported_by_name(dupixent):
    """The removed line's words are also a key point: that copy must not stand in for it."""
    leaflet = leaflet_for(dupixent, "adult")
    (fact,) = [f for f in leaflet.facts if f.name == "use-as-prescribed"]
    assert fact.safety
    assert fact.text in leaflet.key_points  # the same words, printed once more at the top
    pdf = render(without_line(leaflet, fact.text), load_style("standard")).pdf
    misses = check_pdf(pdf, leaflet, dupixent)
    assert misses == [Miss(MISSING, "use-as-prescribed", fact.text, safety=True)]
    assert str(misses[0]) == ('missing safety line use-as-prescribed: '
                              '"Always use Dupixent exactly as your doctor prescribed."')


def test_a_removed_warning_and_disclaimer_are_reported(dupixent):
    leaflet = leaflet_for(dupixent, "caregiver")
    uses = leaflet.sections[1]
    stripped = dataclasses.replace(
        leaflet,
        disclaimer="",
        sections=tuple(
            Section(s.heading, tuple(b for b in s.blocks if type(b).__name__ != "Warning")) if s is uses else s
            for s in leaflet.sections),
    )
    pdf = render(stripped, load_style("standard")).pdf
    misses = check_pdf(pdf, leaflet, dupixent)
    assert names(misses, MISSING) == {"warning:asthma", "warning-title:asthma", "disclaimer"}
    assert all(miss.safety for miss in misses)
    assert names(misses, UNEXPECTED) == set()


# --- Lines for other readers ---------------------------------------------------------------


def test_a_leaflet_built_for_another_audience_fails(dupixent):
    adult_pdf = build_leaflet("adult").pdf
    misses = check_pdf(adult_pdf, leaflet_for(dupixent, "caregiver"), dupixent)
    missing, unexpected = names(misses, MISSING), names(misses, UNEXPECTED)
    assert {"audience-label", "key-under-12", "under-12-caregiver-syringe", "which-device"} <= missing
    assert {"ask-your-doctor", "disclaimer"} <= missing  # the caregiver's own wording is absent
    assert {"use:nasal-polyps", "use:prurigo-nodularis", "adult-self-inject",
            "audience-label:adult"} <= unexpected
    # The adult's "ask your doctor" is the caregiver's line (a key point and a safety line)
    # in another reader's voice.
    (voice,) = [m for m in misses if m.kind == UNEXPECTED and "ask-your-doctor" in m.name]
    assert voice.name == "key-ask, ask-your-doctor" and voice.safety and voice.other_voice
    assert str(voice) == ('unexpected safety line key-ask, ask-your-doctor (worded for another reader): '
                          '"If you have questions, ask your doctor, nurse or pharmacist."')


def test_adolescent_and_adult_leaflets_are_told_apart(dupixent):
    adolescent_pdf = build_leaflet("adolescent").pdf
    misses = check_pdf(adolescent_pdf, leaflet_for(dupixent, "adult"), dupixent)
    assert {"use:nasal-polyps", "use:prurigo-nodularis", "adult-self-inject"} <= names(misses, MISSING)
    assert {"teen-supervised", "adult-only-uses"} <= names(misses, UNEXPECTED)


def test_a_leaflet_for_a_baby_checked_against_any_child_misses_asthma(dupixent):
    baby_pdf = build_leaflet("caregiver", patient_age=0.75).pdf
    misses = check_pdf(baby_pdf, leaflet_for(dupixent, "caregiver"), dupixent)
    assert {"use:asthma", "warning:asthma", "device:pen", "use:eoe"} <= names(misses, MISSING)
    # ...and the other way round: a leaflet for all children names uses a baby must not get.
    misses = check_pdf(build_leaflet("caregiver").pdf, leaflet_for(dupixent, "caregiver", patient_age=0.75),
                       dupixent)
    assert {"use:asthma", "warning:asthma", "device:pen"} <= names(misses, UNEXPECTED)
    assert names(misses, MISSING) == {"narrowed-to-patient"}  # "only the uses that fit your child's age"


def test_an_excluded_line_quoted_inside_an_included_line_is_no_false_alarm():
    path = CHECK / "quoted-line.yaml"
    content = load_content(path)
    leaflet = tailored(content, Request(path, "caregiver"))
    assert "Adults can take it at home." in leaflet.key_points[0]  # the fixture's premise
    assert "adults-at-home" not in {fact.name for fact in leaflet.facts}
    assert check_pdf(build_leaflet("caregiver", content=path).pdf, leaflet, content) == []
    # Printed on its own, the adult line is caught.
    giving = leaflet.sections[3]
    extra = dataclasses.replace(giving, blocks=(*giving.blocks, Para("Adults can take it at home.")))
    wrong = dataclasses.replace(leaflet, sections=tuple(extra if s is giving else s for s in leaflet.sections))
    misses = check_pdf(render(wrong, load_style("standard")).pdf, leaflet, content)
    assert [(m.kind, m.name) for m in misses] == [(UNEXPECTED, "adults-at-home")]


def test_an_excluded_name_inside_a_longer_word_is_no_false_alarm():
    path = CHECK / "quoted-line.yaml"
    content = load_content(path)
    leaflet = tailored(content, Request(path, "caregiver"))
    penny = build_leaflet("caregiver", content=path, personal=Personal("Penny Lane", "Pentland Pharmacy"))
    assert "Prepared for Penny Lane" in penny.text
    assert check_pdf(penny.pdf, leaflet, content) == []
    # The adult leaflet's table row "Pen" is caught.
    misses = check_pdf(build_leaflet("adult", content=path).pdf, leaflet, content)
    assert (UNEXPECTED, "device:pen") in [(m.kind, m.name) for m in misses]


def test_a_pdf_from_an_older_build_is_read_from_its_visible_text():
    """Built by leaflet at 4562bd3: header and footer drawn after the body, another footer wording."""
    pdf = (CHECK / "old-build-adult.pdf").read_bytes()
    reader = PdfReader(io.BytesIO(pdf))
    assert "work?. Reviewed by" in reader.pages[0].extract_text()  # it really is the old footer
    path = CHECK / "dupixent-snapshot.yaml"
    content = load_content(path)
    # Every line is there; but it is untagged, as every leaflet was before tagging.
    assert [(m.kind, m.name) for m in check_pdf(pdf, tailored(content, Request(path, "adult")), content)] == [
        ("untagged", "structure-tree")]
    misses = check_pdf(pdf, tailored(content, Request(path, "adolescent")), content)
    assert {"teen-supervised", "audience-label"} <= names(misses, MISSING)
    assert {"use:nasal-polyps", "audience-label:adult"} <= names(misses, UNEXPECTED)


# --- The command ---------------------------------------------------------------------------


def test_cli_passes_a_fresh_leaflet(cli_runner, tmp_path):
    pdf = tmp_path / "adult.pdf"
    pdf.write_bytes(build_leaflet("adult").pdf)
    result = cli_runner.invoke(cli, ["check", str(pdf), "--content", str(DUPIXENT), "--audience", "adult"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{pdf}: ok: all ")
    assert "(5 safety lines)" in result.output


def test_cli_names_each_miss_and_exits_non_zero(cli_runner, tmp_path):
    pdf = tmp_path / "baby.pdf"
    pdf.write_bytes(build_leaflet("caregiver", patient_age=0.75).pdf)
    result = cli_runner.invoke(cli, ["check", str(pdf), "-c", str(DUPIXENT), "-a", "caregiver",
                                     "--patient-age", "4", "--patient-weight", "16"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f'{pdf}: missing line use:eoe: "Food pipe swelling (eosinophilic esophagitis, or EoE)"' in lines
    assert any(line.startswith(f"{pdf}: missing line device:pen:") for line in lines)
    assert lines[-1].startswith(f"{pdf}: FAILED: ")


def test_cli_says_which_reader_a_leaflet_checked_against_another_was_built_for(cli_runner, tmp_path):
    pdf = tmp_path / "adult.pdf"
    pdf.write_bytes(build_leaflet("adult").pdf)
    result = cli_runner.invoke(cli, ["check", str(pdf), "-c", str(DUPIXENT), "-a", "caregiver"])
    assert result.exit_code == 1
    last = result.output.splitlines()[-1]
    assert last.startswith(f"{pdf}: FAILED: ") and last.endswith(
        "for the caregiver leaflet; it reads as the adult leaflet: was it built with --audience adult?")
    own = cli_runner.invoke(cli, ["check", str(pdf), "-c", str(DUPIXENT), "-a", "adult", "--patient-age", "70"])
    assert "it reads as" not in own.output  # misses for its own reader bring no such guess


@pytest.mark.parametrize(
    ("make", "message", "code"),
    [
        (lambda tmp: tmp / "nope.pdf", "nope.pdf: file not found", 2),
        (lambda tmp: DUPIXENT, "dupixent.yaml: not a PDF", 2),
        (lambda tmp: _write(tmp / "cut.pdf", build_leaflet("adult").pdf[:2000]), "cut.pdf: not a readable PDF", 3),
    ],
)
def test_cli_bad_pdf_is_one_clean_line(cli_runner, tmp_path, make, message, code):
    result = cli_runner.invoke(cli, ["check", str(make(tmp_path)), "-c", str(DUPIXENT), "-a", "adult"])
    assert result.exit_code == code
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("Error: ") and message in result.output


def test_cli_bad_patient_is_one_clean_line(cli_runner):
    result = cli_runner.invoke(cli, ["check", "x.pdf", "-c", str(DUPIXENT), "-a", "adult", "--patient-age", "7"])
    assert result.exit_code == 2
    assert "outside the adult audience" in result.output


def _write(path, data):
    path.write_bytes(data)
    return path


def test_a_wrong_dose_or_age_in_the_device_table_is_reported(dupixent):
    leaflet = leaflet_for(dupixent, "adult")
    devices = leaflet.sections[2]
    table = next(block for block in devices.blocks if isinstance(block, Table))
    (pen, syringe) = table.rows
    wrong_table = dataclasses.replace(table, rows=((pen[0], pen[1], "Ages 2 months and older"),
                                                   (syringe[0], "1000 mg", syringe[2])))
    wrong = dataclasses.replace(leaflet, sections=tuple(
        dataclasses.replace(s, blocks=tuple(wrong_table if b is table else b for b in s.blocks))
        if s is devices else s for s in leaflet.sections))
    misses = check_pdf(render(wrong, load_style("standard")).pdf, leaflet, dupixent)
    assert names(misses, MISSING) == {"device:syringe.doses", "device:pen.ages"}
