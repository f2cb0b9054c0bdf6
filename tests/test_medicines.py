"""Every medicine in content/ passes validate, lint and check for each reader it is written for,
and a few key facts per medicine read back right from the PDF (dose band, boxed warning, voice).

The files are written from real public patient pages (named in each file); these tests keep them
building as the code changes, and pin the facts a pharmacist would look at first.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from leaflet.cli import cli

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
MEDICINES = sorted(CONTENT.glob("*.yaml"))
AUDIENCES = ("caregiver", "adolescent", "adult")

# Which readers each file is written for. A file missing here fails test_every_file_is_listed,
# so a new medicine gets its audiences stated on purpose, not guessed.
WRITTEN_FOR = {
    "acetaminophen": ("caregiver",),          # the sources are for parents of children under 12
    "dupixent": AUDIENCES,
    "epinephrine": AUDIENCES,
    "sertraline": AUDIENCES,
    "dupixent.es": AUDIENCES,   # translations (not yet reviewed): see tests/test_languages.py
    "dupixent.ar": AUDIENCES,
}


def run(*args: str):
    return CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)


def text_of(pdf: Path) -> str:
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def pages_of(pdf: Path) -> int:
    return len(PdfReader(io.BytesIO(pdf.read_bytes())).pages)


_built: dict[tuple, tuple[Path, str]] = {}


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("medicines")


def build(out_dir: Path, medicine: str, audience: str, *narrow: str) -> tuple[Path, str]:
    """Build one leaflet through the CLI (cached), check it with `leaflet check`, return (pdf, text)."""
    key = (medicine, audience, narrow)
    if key not in _built:
        pdf = out_dir / f"{medicine}-{audience}-{len(_built)}.pdf"
        content = CONTENT / f"{medicine}.yaml"
        result = run("build", content, "-a", audience, "-o", pdf, *narrow)
        assert result.exit_code == 0, result.output
        check_options = [opt for opt in _patient_options(narrow)]
        checked = run("check", pdf, "-c", content, "-a", audience, *check_options)
        assert checked.exit_code == 0, checked.output
        _built[key] = (pdf, text_of(pdf))
    return _built[key]


def _patient_options(narrow: tuple[str, ...]) -> list[str]:
    """The options of a build that `leaflet check` needs to rebuild the same tailoring."""
    keep, options = {"--patient-age", "--patient-weight", "--use"}, []
    for flag, value in zip(narrow[::2], narrow[1::2]):
        if flag in keep:
            options += [flag, value]
    return options


# --- Every file: validate, lint, build and check for every reader it is written for ------------


def test_every_file_is_listed():
    assert {path.stem for path in MEDICINES} == set(WRITTEN_FOR)


@pytest.mark.parametrize("path", MEDICINES, ids=lambda p: p.stem)
def test_validates(path):
    result = run("validate", path)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("path", MEDICINES, ids=lambda p: p.stem)
def test_lints_with_no_errors(path):
    result = run("lint", path, "--today", "2026-11-25")
    assert result.exit_code == 0, result.output
    assert re.search(r": 0 errors, \d+ warnings?$", result.output.strip()), result.output


@pytest.mark.parametrize(("medicine", "audience"),
                         [(m, a) for m, audiences in sorted(WRITTEN_FOR.items()) for a in audiences])
def test_builds_and_checks_for_each_reader(out_dir, medicine, audience):
    pdf, text = build(out_dir, medicine, audience)
    assert pages_of(pdf) >= 1
    assert "Reviewed by not named" not in text


@pytest.mark.parametrize(("medicine", "audience"),
                         [(m, a) for m, audiences in sorted(WRITTEN_FOR.items()) for a in AUDIENCES
                          if a not in audiences])
def test_no_leaflet_for_a_reader_the_sources_do_not_cover(out_dir, medicine, audience):
    result = run("build", CONTENT / f"{medicine}.yaml", "-a", audience, "-o", out_dir / "never.pdf")
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert not (out_dir / "never.pdf").exists()


# --- Acetaminophen: the weight band, and only that band, for one child ---------------------------


@pytest.mark.parametrize(("weight", "dose", "others"), [
    ("13", "160 mg = 5 mL", ["240 mg", "120 mg", "80 mg = 2.5 mL"]),
    ("18", "240 mg = 7.5 mL", ["160 mg = 5 mL", "320 mg", "480 mg"]),
    ("35", "480 mg = 15 mL", ["400 mg", "320 mg", "160 mg = 5 mL"]),
])
def test_acetaminophen_prints_only_the_childs_weight_band(out_dir, weight, dose, others):
    pdf, text = build(out_dir, "acetaminophen", "caregiver", "--patient-age", "6", "--patient-weight", weight)
    assert dose in text
    for other in others:
        assert other not in text
    assert pages_of(pdf) <= 2


def test_acetaminophen_warns_every_parent_about_too_much(out_dir):
    _, text = build(out_dir, "acetaminophen", "caregiver")
    assert "Too much acetaminophen can harm your child" in text
    assert "800-222-1222" in text
    for band in ("2.7 to 5 kg", "11 to 16 kg", "32.5 to 43 kg"):     # unnarrowed: the whole table
        assert band in text


def test_acetaminophen_under_two_asks_the_doctor(out_dir):
    _, baby = build(out_dir, "acetaminophen", "caregiver", "--patient-age", "1", "--patient-weight", "10")
    _, older = build(out_dir, "acetaminophen", "caregiver", "--patient-age", "6", "--patient-weight", "18")
    assert "For children under 2 years old, ask the doctor how much to give." in baby
    assert "Ask the doctor if this dose is right." in baby
    assert "under 2 years old" not in older


# --- Epinephrine: the device strength by weight, and "call 911" for every reader -----------------


@pytest.mark.parametrize(("audience", "age", "weight", "strength", "not_strength"), [
    ("caregiver", "5", "20", "0.15 mg (EpiPen Jr)", "0.3 mg (EpiPen)"),
    ("adolescent", "14", "45", "0.3 mg (EpiPen)", "0.15 mg (EpiPen Jr)"),
    ("adult", "40", "70", "0.3 mg (EpiPen)", "0.15 mg (EpiPen Jr)"),
])
def test_epinephrine_prints_the_strength_for_the_patients_weight(out_dir, audience, age, weight, strength,
                                                                  not_strength):
    pdf, text = build(out_dir, "epinephrine", audience, "--patient-age", age, "--patient-weight", weight)
    assert strength in text
    assert not_strength not in text
    assert pages_of(pdf) <= 2


def test_epinephrine_gives_no_dose_the_sources_do_not_state(out_dir):
    """Under 15 kg the sources state no strength: no row, no form, and the reader is sent to the doctor."""
    pdf, text = build(out_dir, "epinephrine", "caregiver", "--patient-age", "1", "--patient-weight", "10")
    assert "0.15 mg (EpiPen Jr)" not in text and "0.3 mg (EpiPen)" not in text
    assert "gives no dose for your child's age and weight" in text
    assert "If a dose lower than 0.15 mg is needed" in text
    assert pages_of(pdf) <= 2


@pytest.mark.parametrize(("medicine", "audience", "age", "weight"), [
    ("acetaminophen", "caregiver", "1", "9"), ("epinephrine", "caregiver", "5", "20"),
    ("epinephrine", "adult", "40", "70")])
def test_the_us_medicines_fit_on_two_letter_pages_too(out_dir, medicine, audience, age, weight):
    pdf, _ = build(out_dir, medicine, audience, "--patient-age", age, "--patient-weight", weight,
                   "--page-size", "letter")
    assert pages_of(pdf) <= 2


@pytest.mark.parametrize("audience", AUDIENCES)
def test_epinephrine_tells_every_reader_to_call_911(out_dir, audience):
    _, text = build(out_dir, "epinephrine", audience)
    assert "Call 911 right away" in text


def test_epinephrine_tells_only_parents_to_hold_the_leg(out_dir):
    _, child = build(out_dir, "epinephrine", "caregiver")
    _, adult = build(out_dir, "epinephrine", "adult")
    assert "hold the leg firmly" in child
    assert "hold the leg firmly" not in adult
    assert "How to give it" in child and "How to use it" in adult


# --- Sertraline: the boxed warning by age, the uses by age, and grammar for a parent -------------


@pytest.mark.parametrize(("audience", "age", "use", "warned"), [
    ("caregiver", "8", "ocd", True), ("adolescent", "15", "ocd", True), ("adult", "22", "ocd", True),
    ("adult", "22", "depression", True), ("adult", "40", "depression", False), ("adult", "70", "ocd", False)])
def test_sertraline_boxed_warning_follows_age(out_dir, audience, age, use, warned):
    pdf, text = build(out_dir, "sertraline", audience, "--patient-age", age, "--use", use)
    assert ("Suicidal thoughts in children and young adults up to age 24" in text) is warned
    assert ("Studies did not show a higher risk of suicidal thoughts after age 24." in text) is not warned
    assert pages_of(pdf) <= 2


def test_sertraline_for_older_adults_says_the_risk_is_lower(out_dir):
    _, old = build(out_dir, "sertraline", "adult", "--patient-age", "70", "--use", "ocd")
    _, forty = build(out_dir, "sertraline", "adult", "--patient-age", "40", "--use", "depression")
    assert "In adults 65 and older, studies show a lower risk" in old
    assert "In adults 65 and older" not in forty


def test_sertraline_for_a_teen_with_ocd_says_children_take_it_only_for_ocd(out_dir):
    _, text = build(out_dir, "sertraline", "adolescent", "--patient-age", "15", "--use", "ocd")
    assert "Children aged 6 to 17 can take it, but only for OCD." in text
    assert "Adults can take sertraline" not in text
    assert "Depression" not in text


def test_sertraline_is_not_for_depression_in_children(out_dir):
    result = run("build", CONTENT / "sertraline.yaml", "-a", "caregiver", "--patient-age", "9", "--use", "depression",
                 "-o", out_dir / "never.pdf")
    assert result.exit_code != 0
    assert "ocd" in result.output and "Traceback" not in result.output
    assert not (out_dir / "never.pdf").exists()


def test_sertraline_reads_right_for_a_parent(out_dir):
    _, text = build(out_dir, "sertraline", "caregiver", "--patient-age", "8")
    assert "If your child misses a dose" in text
    assert "Before your child starts sertraline" in text
    assert "Do not give 2 doses" in text
    assert "How to give sertraline" in text
    for wrong in ("your child miss ", "your child have ", "your child take ", "your child start "):
        assert wrong not in text
