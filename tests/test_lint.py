"""`leaflet lint`: plain language for each audience, reported as file:line findings."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from conftest import DUPIXENT, FIXTURES
from leaflet.cli import cli
from leaflet.errors import LeafletError
from leaflet.lint import ERROR, WARNING, explained, lint_file, medical_terms, months_between, score, sentences

LINT = FIXTURES / "lint"
AUDIENCES = ("caregiver", "adolescent", "adult")
TODAY = dt.date(2026, 11, 25)  # the day the shipped content was last checked
FRESH = dt.date(2025, 6, 1)  # four months after the fixtures' source date


def codes(report) -> list[tuple[int, str, str]]:
    return [(f.line, f.severity, f.code) for f in report.findings]


# --- The shipped content -------------------------------------------------------------


@pytest.fixture(scope="module")
def dupixent():
    return lint_file(DUPIXENT, today=TODAY)


def test_shipped_content_passes_for_every_audience(dupixent):
    assert dupixent.passed, "\n".join(map(str, dupixent.errors()))
    assert [scores.audience for scores in dupixent.scores] == list(AUDIENCES)
    for scores in dupixent.scores:
        assert scores.overall.grade <= 6, scores
        assert all(section.grade <= 8 for _, section in scores.sections), scores
        assert scores.overall.words > 400  # the whole leaflet was scored, not a fragment


def test_shipped_content_is_honestly_stale(dupixent):
    """The source dates from 1 Feb 2024: a warning (not an error) until someone re-checks it."""
    (finding,) = dupixent.findings
    assert (finding.severity, finding.code, finding.line) == (WARNING, "stale-source", 14)
    assert "2024-02-01, 33 months before 2026-11-25" in str(finding)
    assert str(finding).startswith(f"{DUPIXENT}:14: warning: ")


def test_strict_makes_the_stale_source_an_error():
    report = lint_file(DUPIXENT, today=TODAY, strict=True)
    assert not report.passed
    assert codes(report) == [(14, ERROR, "stale-source")]


def test_scores_differ_by_audience_because_the_text_does(dupixent):
    by_audience = {scores.audience: scores for scores in dupixent.scores}
    # The caregiver reads "your child's doctor"; adults get adult-only uses.
    words = {name: scores.overall.words for name, scores in by_audience.items()}
    assert len(set(words.values())) == 3, words
    sections = [name for name, _ in by_audience["adult"].sections]
    assert sections[0] == "Key points" and sections[-1] == "Disclaimer"
    assert "What is Dupixent used for?" in sections


def test_the_seed_page_style_of_writing_would_fail():
    """The same facts in the source's own register score far above grade 6."""
    seed = ("Dupixent is a prescription medicine used to treat adults and children 6 months of age "
            "and older with moderate-to-severe atopic dermatitis that is not well controlled with "
            "prescription therapies used on the skin (topical), or who cannot use topical therapies.")
    assert score([seed]).grade > 11


# --- Fixtures with one problem each ---------------------------------------------------


def test_plain_fixture_passes_with_no_findings():
    report = lint_file(LINT / "plain.yaml", today=FRESH)
    assert report.findings == ()
    assert report.passed


def test_a_long_sentence_is_an_error_at_its_own_line():
    report = lint_file(LINT / "long-sentence.yaml", today=FRESH)
    # The sentence starts on line 20, inside a folded text that starts on line 18.
    assert codes(report) == [(20, ERROR, "long-sentence")]
    (finding,) = report.findings
    assert "sentence of 36 words (the limit is 25)" in finding.message
    assert finding.audiences == AUDIENCES


def test_an_unexplained_glossary_term_is_an_error_at_its_first_use():
    report = lint_file(LINT / "unexplained-term.yaml", today=FRESH)
    assert codes(report) == [(21, ERROR, "unexplained-term"), (23, ERROR, "medical-term")]
    term, medical = report.findings
    assert "'subcutaneous' is first used here without an explanation" in term.message
    assert '"subcutaneous (under the skin)"' in term.message  # the fix, from the glossary
    assert "'anaphylaxis' is not explained and not in the glossary" in medical.message


def test_a_stale_source_is_a_warning_at_its_date():
    report = lint_file(LINT / "stale-source.yaml", today=FRESH)
    assert codes(report) == [(8, WARNING, "stale-source")]
    assert report.passed
    assert not lint_file(LINT / "stale-source.yaml", today=FRESH, strict=True).passed


def test_hard_words_fail_the_grade_per_section_and_overall():
    report = lint_file(LINT / "hard-words.yaml", today=FRESH)
    found = codes(report)
    assert (15, ERROR, "section-grade") in found  # "What is Testamol?" heading line
    assert (20, ERROR, "section-grade") in found  # "What is it used for?"
    assert (40, ERROR, "reading-grade") in found  # the file's own lint: block
    # The file's own sentence limit (6 words) applies.
    long = [f for f in report.findings if f.code == "long-sentence"]
    assert {f.line for f in long} == {17, 24, 37}
    assert all("(the limit is 6)" in f.message for f in long)


def test_a_section_too_short_to_grade_is_shown_but_not_judged(tmp_path):
    text = (LINT / "plain.yaml").read_text().replace('    - "It is taken by mouth."', "    - Anyone.")
    path = tmp_path / "short-section.yaml"
    path.write_text(text)
    report = lint_file(path, today=FRESH)
    giving = dict(report.scores[0].sections)["Who gives it?"]
    assert giving.grade > 8 and giving.words == 1  # "Anyone." alone scores grade 20
    assert report.findings == ()


def test_a_glossary_term_first_used_only_in_one_audiences_text(tmp_path):
    """First use is per leaflet: a caregiver-only line that uses a term unexplained fails only there."""
    text = (LINT / "plain.yaml").read_text()
    text = text.replace("    - It is swallowed with water.\n",
                        "    - text: Crush the tablet for {you}.\n"
                        "      applies: {max_age_years: 12}\n"
                        "    - It is swallowed with water.\n")
    text = text.replace("    - Testamol is a tablet (a small pill).\n", "    - Testamol is a pill.\n")
    text = text.replace("    - It helps with pain. It is easy to take.\n",
                        "    - It helps with pain. It is a tablet (a small pill).\n")
    path = tmp_path / "one-audience.yaml"
    path.write_text(text)
    report = lint_file(path, today=FRESH)
    assert codes(report) == [(16, ERROR, "unexplained-term")]
    assert report.findings[0].audiences == ("caregiver",)


def test_a_content_file_sets_its_own_targets(tmp_path):
    text = (LINT / "stale-source.yaml").read_text() + (
        "lint:\n  max_grade: 0\n  max_section_grade: 20\n  max_source_age_months: 36\n")
    path = tmp_path / "own-targets.yaml"
    path.write_text(text)
    report = lint_file(path, today=FRESH)
    assert [f.code for f in report.findings] == ["reading-grade"]  # and no stale-source warning
    assert report.findings[0].audiences == AUDIENCES  # the same grade: one finding for all three
    assert report.findings[0].line == text.splitlines().index("  max_grade: 0") + 1


def test_lint_settings_are_validated_like_the_rest_of_the_content(tmp_path):
    path = tmp_path / "bad-target.yaml"
    path.write_text((LINT / "plain.yaml").read_text() + "lint:\n  max_grade: 6\n  max_words: 20\n")
    with pytest.raises(LeafletError, match=r"bad-target.yaml:48: lint.max_words: unknown key"):
        lint_file(path, today=FRESH)


def test_one_audience_only(tmp_path):
    report = lint_file(LINT / "plain.yaml", audiences=["adult"], today=FRESH)
    assert [scores.audience for scores in report.scores] == ["adult"]


# --- The rules themselves -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "term", "is_explained"),
    [
        ("It is a biologic (a medicine made from living cells).", "biologic", True),
        ("It goes under the skin (subcutaneous).", "subcutaneous", True),
        ("Food pipe swelling (eosinophilic esophagitis, or EoE)", "eosinophilic esophagitis", True),
        ("It is a subcutaneous shot.", "subcutaneous", False),
        ("(subcutaneous) shots", "subcutaneous", False),  # brackets with no plain words before
        ("It is a biologic. Ask (your doctor) about it.", "biologic", False),
        ("Swelling (see below) and a receptor.", "receptor", False),
        ("It is a biologic (2017).", "biologic", False),  # a bracket of numbers explains nothing
        ("It is a biologic (see below).", "biologic", False),
        ("It lowers inflammation (swelling).", "inflammation", True),
    ],
)
def test_the_explained_rule(text, term, is_explained):
    start = text.index(term)
    assert explained(text, start, start + len(term)) is is_explained


def test_sentences_split_after_stops_not_inside_names():
    assert sentences("It is IL-4. They send signals (to cells). 6 months and older!") == [
        "It is IL-4.", "They send signals (to cells).", "6 months and older!"]
    assert sentences("Ask your doctor, nurse or pharmacist.") == ["Ask your doctor, nurse or pharmacist."]


def test_months_between():
    assert months_between(dt.date(2024, 2, 1), dt.date(2026, 11, 25)) == 33
    assert months_between(dt.date(2024, 11, 26), dt.date(2025, 11, 25)) == 11
    assert months_between(dt.date(2024, 11, 25), dt.date(2025, 11, 25)) == 12


def test_the_medical_terms_list_is_small_curated_and_shipped():
    terms = medical_terms()
    assert 30 < len(terms) < 500
    assert "anaphylaxis" in terms and "subcutaneous" in terms
    assert "asthma" not in terms and "injection" not in terms  # everyday words are allowed


# --- The command ------------------------------------------------------------------------


def test_cli_prints_findings_and_table_and_passes_the_shipped_content(cli_runner):
    result = cli_runner.invoke(cli, ["lint", str(DUPIXENT), "--today", "2026-11-25"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{DUPIXENT}:14: warning: the source was last updated 2024-02-01")
    assert re.search(r"^section +caregiver +adolescent +adult$", result.output, re.M)
    assert re.search(r"^Overall( +\d+\.\d / +\d+\.\d ){3}$", result.output, re.M)
    assert lines[-1] == f"{DUPIXENT}: 0 errors, 1 warning"


def test_cli_strict_fails_on_the_stale_warning(cli_runner):
    result = cli_runner.invoke(cli, ["lint", str(DUPIXENT), "--today", "2026-11-25", "--strict", "-a", "adult"])
    assert result.exit_code == 1
    assert f"{DUPIXENT}:14: error: the source was last updated" in result.output
    assert result.output.splitlines()[-1] == f"{DUPIXENT}: 1 error, 0 warnings"


def test_cli_fails_with_one_line_per_finding(cli_runner):
    path = LINT / "unexplained-term.yaml"
    result = cli_runner.invoke(cli, ["lint", str(path), "--today", "2025-06-01"])
    assert result.exit_code == 1
    findings = [line for line in result.output.splitlines() if re.match(rf"{re.escape(str(path))}:\d+: ", line)]
    assert [line.split(": ")[0] for line in findings] == [f"{path}:21", f"{path}:23"]
    assert "[caregiver, adolescent, adult]" in findings[0]


def test_cli_bad_input_is_one_clean_line(cli_runner):
    result = cli_runner.invoke(cli, ["lint", "no/such.yaml"])
    assert result.exit_code == 2
    assert result.output.strip() == "Error: no/such.yaml: file not found"
    result = cli_runner.invoke(cli, ["lint", str(DUPIXENT), "--today", "25/11/2026"])
    assert result.exit_code == 2 and "Invalid value for '--today'" in result.output


def test_an_audience_with_no_leaflet_is_skipped_unless_asked_for(tmp_path):
    """An adults-only medicine has no caregiver or adolescent leaflet to lint."""
    text = (LINT / "plain.yaml").read_text().replace("applies: {min_age_years: 3}", "applies: {min_age_years: 18}")
    path = tmp_path / "adults-only.yaml"
    path.write_text(text)
    report = lint_file(path, today=FRESH)
    assert [scores.audience for scores in report.scores] == ["adult"]
    with pytest.raises(LeafletError, match="no use of Testamol applies to the caregiver audience"):
        lint_file(path, audiences=["caregiver"], today=FRESH)
