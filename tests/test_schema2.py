"""Content schema 2: compatibility with schema 1, `leaflet migrate`, and the new sections."""

from __future__ import annotations

import shutil

import pytest
from conftest import DUPIXENT, FIXTURES, build_leaflet, pdf_text

from leaflet.build import Request, render_request, tailored
from leaflet.cli import cli
from leaflet.errors import LeafletError
from leaflet.load import load_yaml
from leaflet.migrate import migrate_file
from leaflet.model import Content
from leaflet.checked import load_content
from leaflet.validate import schema_version

SCHEMA1_DUPIXENT = FIXTURES / "compat" / "dupixent-schema1.yaml"
TESTAMOL = FIXTURES / "schema2" / "testamol.yaml"
READERS = [("caregiver", None, None), ("caregiver", 0.75, 8), ("caregiver", 4, 16), ("adolescent", None, None),
           ("adolescent", 15, 50), ("adult", None, None), ("adult", 40, 80)]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """The schema-1 Dupixent file and the same file rewritten by `leaflet migrate --write`."""
    folder = tmp_path_factory.mktemp("migrated")
    old = folder / "old.yaml"
    new = folder / "new.yaml"
    shutil.copy(SCHEMA1_DUPIXENT, old)
    shutil.copy(SCHEMA1_DUPIXENT, new)
    migration = migrate_file(new)
    new.write_text(migration.new, encoding="utf-8")
    return old, new


# --- Compatibility ---------------------------------------------------------------------


def test_the_schema1_fixture_is_schema1_and_validates():
    assert schema_version(load_yaml(SCHEMA1_DUPIXENT)) == 1
    assert load_content(SCHEMA1_DUPIXENT).title == "Dupixent (dupilumab)"


@pytest.mark.parametrize("audience, age, weight", READERS)
@pytest.mark.parametrize("style", ["standard", "large-print"])
def test_a_schema1_file_and_its_migration_build_byte_identical_pdfs(migrated, audience, age, weight, style):
    old, new = migrated
    assert schema_version(load_yaml(new)) == 2
    # The migrated file is schema 2 as written (its grammar problem is for a writer to fix).
    contents = [load_content(old), Content.model_validate(load_yaml(new).data)]
    requests = [Request(path, audience, age, weight, style) for path in (old, new)]
    leaflets = [tailored(content, r) for content, r in zip(contents, requests)]
    assert leaflets[0] == leaflets[1]
    assert render_request(requests[0], contents[0]).pdf == render_request(requests[1], contents[1]).pdf


@pytest.mark.parametrize("audience", ["adolescent", "adult"])
def test_shipped_dupixent_in_schema2_builds_as_the_schema1_file_did(audience):
    """The only change to Dupixent is the caregiver's "you or a caregiver" line."""
    assert schema_version(load_yaml(DUPIXENT)) == 2
    assert build_leaflet(audience).pdf == build_leaflet(audience, SCHEMA1_DUPIXENT).pdf


def test_the_caregiver_no_longer_reads_you_or_a_caregiver():
    old = build_leaflet("caregiver", SCHEMA1_DUPIXENT).text
    new = build_leaflet("caregiver").text
    assert "you or a caregiver" in old
    assert "you or a caregiver" not in new
    assert "The doctor may decide that you can give the shots." in new
    assert "The doctor may decide that you or a caregiver can give the shots." in build_leaflet("adult").text


def test_migrate_shows_a_diff_and_leaves_the_file_unless_told_to_write(cli_runner, tmp_path):
    path = tmp_path / "old.yaml"
    shutil.copy(FIXTURES / "minimal.yaml", path)
    before = path.read_text()
    result = cli_runner.invoke(cli, ["migrate", str(path)])
    assert "+schema: 2" in result.output
    assert "-  brand: Testamol" in result.output and "+  brands: [Testamol]" in result.output
    assert "+  - title: Testamol test page" in result.output
    assert path.read_text() == before
    # "{You} take it by mouth." reads "Your child take it" for a caregiver: fixed by hand.
    assert result.exit_code == 1
    assert 'giving.lines.0: reads "your child take"' in result.output

    result = cli_runner.invoke(cli, ["migrate", str(path), "--write"])
    assert "rewritten as schema 2" in result.output
    assert path.read_text().startswith("# A small, made-up medicine for tests: not medical information.\nschema: 2\n")
    path.write_text(path.read_text().replace("{You} take it", "{You} {takes|take} it"))
    assert cli_runner.invoke(cli, ["validate", str(path)]).exit_code == 0
    result = cli_runner.invoke(cli, ["migrate", str(path)])
    assert result.exit_code == 0 and "already schema 2" in result.output


def test_an_unknown_schema_version_is_named(tmp_path):
    path = tmp_path / "v3.yaml"
    path.write_text("schema: 3\n" + TESTAMOL.read_text().replace("schema: 2\n", ""))
    with pytest.raises(LeafletError, match=r"v3.yaml:1: schema: unknown schema version 3"):
        load_content(path)


def test_schema1_keys_are_unknown_in_schema2(tmp_path):
    path = tmp_path / "mixed.yaml"
    path.write_text(TESTAMOL.read_text().replace("  brands: [Testamol]", "  brand: Testamol"))
    with pytest.raises(LeafletError, match=r"medicine.brand: unknown key"):
        load_content(path)


def test_a_misspelt_placeholder_is_named_with_the_one_meant(tmp_path):
    path = tmp_path / "typo.yaml"
    text = TESTAMOL.read_text()
    assert "If {you} {gets|get} a test rash" in text
    path.write_text(text.replace("If {you} {gets|get} a test rash", "If {yuo} {gets|get} a test rash"))
    with pytest.raises(LeafletError, match=r"unknown placeholder \{yuo\} \(did you mean \{you\}\? allowed: "):
        load_content(path)


# --- Sections ---------------------------------------------------------------------------


SECTIONS_IN_ORDER = [
    "Test allergy warning", "Key points", "What is Testamol?", "What is it used for?",
    "Most important information", "Before {you} takes Testamol", "How to {give} Testamol",
    "If {you} misses a dose", "If too much is taken", "Side effects", "Common side effects",
    "Call {your} doctor if {you} has:", "Get emergency help right away if {you} has:", "What to avoid",
    "Storage and disposal", "What it looks like and what is in it", "Questions?", "Sources",
    "This is a test leaflet.",
]


@pytest.mark.parametrize("audience", ["caregiver", "adult"])
def test_every_section_prints_in_the_fixed_order_in_the_readers_voice(audience):
    text = build_leaflet(audience, TESTAMOL).text
    parent = audience == "caregiver"
    at = 0
    for heading in SECTIONS_IN_ORDER:
        if parent:
            wanted = heading.replace("{you}", "your child").replace("{your}", "your child's").replace("{give}", "give")
        else:
            wanted = (heading.replace("{you} takes", "you take").replace("{you} misses", "you miss")
                      .replace("{you} has", "you have").replace("{your}", "your").replace("{give}", "take"))
        found = text.find(wanted, at)
        assert found >= 0, f"{wanted!r} missing or out of order"
        at = found + len(wanted)


def test_generic_only_medicine_is_titled_by_its_generic_name(tmp_path):
    path = tmp_path / "generic.yaml"
    path.write_text(TESTAMOL.read_text().replace("  brands: [Testamol]\n", ""))
    built = render_request(Request(path, "adult"))
    text = pdf_text(built.pdf)
    assert text.startswith("Testamolum ")
    assert "(testamolum)" not in text


# --- Boxed warnings ---------------------------------------------------------------------


def page_one(built) -> str:
    return " ".join(built.reader.pages[0].extract_text().split())


@pytest.mark.parametrize("audience, age, weight", READERS[:1] + [("caregiver", 5, 15)] + READERS[3:])
def test_a_warning_with_no_applies_is_on_page_one_of_every_leaflet_before_the_key_points(audience, age, weight):
    first = page_one(build_leaflet(audience, TESTAMOL, patient_age=age, patient_weight=weight))
    allergy = first.find("Test allergy warning")
    assert 0 <= allergy < first.find("Key points")
    assert first.find("For ") < allergy  # under the title and the audience line


@pytest.mark.parametrize("audience, age, shown", [
    ("caregiver", None, True), ("adolescent", 15, True), ("adult", None, True), ("adult", 24, True),
    ("adult", 25, False), ("adult", 40, False),
])
def test_an_age_limited_warning_is_shown_exactly_where_it_applies(audience, age, shown):
    text = build_leaflet(audience, TESTAMOL, patient_age=age).text
    assert ("Test mood warning for young people" in text) is shown
    # the safety line with the same age limit follows it
    assert ("Testamol can cause a test rash in young people." in text) is shown


@pytest.mark.parametrize("audience, uses, shown", [
    ("adult", (), True), ("adult", ("gout",), True), ("adult", ("headache",), False), ("caregiver", (), False),
])
def test_a_use_limited_warning_follows_the_prescribed_uses(audience, uses, shown):
    assert ("Test gout warning" in build_leaflet(audience, TESTAMOL, uses=uses).text) is shown


def test_check_reports_a_missing_warning_by_name():
    import dataclasses

    from leaflet.check import check_pdf
    from leaflet.layout import render
    from leaflet.styles import load_style

    content = load_content(TESTAMOL)
    leaflet = tailored(content, Request(TESTAMOL, "adult"))
    without = dataclasses.replace(leaflet, warnings=leaflet.warnings[1:])
    misses = check_pdf(render(without, load_style("standard")).pdf, leaflet, content)
    assert {(m.kind, m.name, m.safety) for m in misses} == {
        ("missing", "boxed-warning-title:fake-allergy", True), ("missing", "boxed-warning:fake-allergy", True)}


def test_check_reports_a_warning_printed_for_a_reader_it_does_not_apply_to():
    from leaflet.check import check_pdf

    content = load_content(TESTAMOL)
    young = build_leaflet("adult", TESTAMOL, patient_age=20)
    misses = check_pdf(young.pdf, tailored(content, Request(TESTAMOL, "adult", 40)), content)
    assert ("unexpected", "boxed-warning:fake-young-mood") in {(m.kind, m.name) for m in misses}
    assert ("unexpected", "young-rash") in {(m.kind, m.name) for m in misses}


@pytest.mark.parametrize("audience, age, weight, uses", [
    ("caregiver", None, None, ()), ("caregiver", 5, 15, ("fever",)), ("adolescent", None, None, ()),
    ("adult", 40, 80, ("gout", "headache")), ("adult", 20, None, ()),
])
def test_check_passes_every_schema2_leaflet_for_its_reader(audience, age, weight, uses):
    from leaflet.check import check_pdf

    content = load_content(TESTAMOL)
    request = Request(TESTAMOL, audience, age, weight, uses=uses)
    built = build_leaflet(audience, TESTAMOL, patient_age=age, patient_weight=weight, uses=uses)
    assert check_pdf(built.pdf, tailored(content, request), content) == []


# --- Forms and dose bands ---------------------------------------------------------------


def test_forms_and_strengths_follow_their_applies():
    assert "Form Strength Oral liquid 100 mg/5 mL" in build_leaflet("caregiver", TESTAMOL).text
    adult = build_leaflet("adult", TESTAMOL).text
    assert "Form Strength Tablet 500 mg" in adult and "Oral liquid" not in adult


def test_without_a_weight_every_band_is_printed():
    text = build_leaflet("caregiver", TESTAMOL).text
    assert "Weight Dose 10 to 20 kg 5 mL 20 to 40 kg 10 mL 40 kg or more 1 tablet" in text
    assert "The table shows only" not in text


@pytest.mark.parametrize("weight, band, dose", [(10, "10 to 20 kg", "5 mL"), (19.9, "10 to 20 kg", "5 mL"),
                                                (20, "20 to 40 kg", "10 mL"), (55, "40 kg or more", "1 tablet")])
def test_a_patient_weight_keeps_only_the_band_that_fits(weight, band, dose):
    text = build_leaflet("caregiver", TESTAMOL, patient_age=5, patient_weight=weight).text
    assert f"Weight Dose {band} {dose} The table shows only the dose for your child's age and weight." in text
    others = {"10 to 20 kg", "20 to 40 kg", "40 kg or more"} - {band}
    assert not any(other in text for other in others)


def test_a_weight_no_band_fits_prints_no_dose_and_says_so():
    text = build_leaflet("caregiver", TESTAMOL, patient_age=2, patient_weight=8).text
    assert "Weight Dose" not in text
    assert "The source gives no dose for your child's age and weight. Ask your child's doctor or pharmacist." in text


# --- Uses, directions and the patient's name ----------------------------------------------


def test_use_narrows_to_the_prescribed_condition(cli_runner, tmp_path):
    out = tmp_path / "fever.pdf"
    result = cli_runner.invoke(cli, ["build", str(TESTAMOL), "-a", "caregiver", "--use", "fever", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    assert "Fever For anyone 1 year and older." in text and "Headache" not in text
    assert "This leaflet names only what your child's medicine was prescribed for." in text


@pytest.mark.parametrize("args, message", [
    (["-a", "adult", "--use", "flu"], "Error: --use flu: unknown use of Testamol (choose from: headache, fever, gout)"),
    (["-a", "caregiver", "--use", "gout"],
     "Error: --use gout: not a use of Testamol for the caregiver audience (uses that apply: headache, fever)"),
    (["-a", "caregiver", "--patient-age", "2", "--use", "headache"],
     "Error: --use headache: not a use of Testamol for a patient aged 2 (uses that apply: fever)"),
])
def test_an_unknown_or_non_applying_use_names_the_valid_ones(cli_runner, tmp_path, args, message):
    result = cli_runner.invoke(cli, ["build", str(TESTAMOL), *args, "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2  # bad input
    assert result.output.strip() == message
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("audience, heading", [("caregiver", "Your child's directions from the prescription"),
                                               ("adult", "Your directions from the prescription")])
def test_directions_and_name_print_escaped_in_their_own_box_on_page_one(cli_runner, tmp_path, audience, heading):
    out = tmp_path / "d.pdf"
    directions = "Give 5 mL <b>twice</b> a day & shake"
    result = cli_runner.invoke(cli, ["build", str(TESTAMOL), "-a", audience, "--patient-name", "Zoë <Ng>",
                                     "--directions", directions, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert directions not in result.output and "Zoë" not in result.output
    from pypdf import PdfReader
    import io
    first = " ".join(PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text().split())
    assert f"Prepared for Zoë <Ng> {heading} {directions} Test allergy warning" in first


def test_the_manifest_takes_uses_and_directions(cli_runner, tmp_path):
    manifest = tmp_path / "night.csv"
    manifest.write_text(
        "content,audience,patient_age,patient_weight,uses,directions,output\n"
        f"{TESTAMOL},caregiver,5,15,fever,\"Give 5 mL\ntwice a day\",a.pdf\n"
        f"{TESTAMOL},adult,40,80,gout; headache,,b.pdf\n"
        f"{TESTAMOL},caregiver,5,15,gout,,c.pdf\n", encoding="utf-8")
    result = cli_runner.invoke(cli, ["batch", str(manifest), "--out-dir", str(tmp_path / "out"), "--jobs", "1",
                                     "--verify"])
    assert result.exit_code == 1
    assert ("row 4: uses gout: not a use of Testamol for a patient of this age and weight "
            "(uses that apply: headache, fever)") in result.output  # the patient's values stay out of logs
    first = pdf_text((tmp_path / "out" / "a.pdf").read_bytes())
    assert "Your child's directions from the prescription Give 5 mL twice a day" in first
    assert "Headache" not in first
    second = pdf_text((tmp_path / "out" / "b.pdf").read_bytes())
    assert "Gout" in second and "Headache" in second and "Fever" not in second


# --- Sources and dates ------------------------------------------------------------------


def test_sources_print_honestly_with_dates_as_precise_as_given():
    built = build_leaflet("adult", TESTAMOL)
    footer = " ".join(built.reader.pages[0].extract_text().split())
    assert ("Main source: Testamol test page (Example Health). Others are listed under Sources. "
            "Last revised November 2013.") in footer
    assert "1 November 2013" not in built.text
    assert ("Sources Testamol test page (Example Health), https://example.org/testamol. No reviewer is named on the "
            "source page. Last revised November 2013. Testamol test guide (Example Agency). Reviewed by Test "
            "Reviewer. Last updated 2020.") in built.text


def test_one_source_is_named_in_full_in_the_footer_and_a_missing_reviewer_or_date_honestly(tmp_path):
    path = tmp_path / "one.yaml"
    text = TESTAMOL.read_text()
    start, end = text.index("  - id: guide\n"), text.index("warnings:")
    text = (text[:start] + text[end:]).replace("      source: guide\n", "").replace("    source: guide\n", "")
    path.write_text(text.replace("    date: 2013-11\n    date_label: Last revised\n", ""))
    built = render_request(Request(path, "adult"))
    text = pdf_text(built.pdf)
    assert ("Source: Testamol test page (Example Health), https://example.org/testamol. No reviewer is named on "
            "the source page. No date is given on the source page.") in text
    assert "Sources" not in text and "Reviewed by" not in text


def test_only_sources_a_printed_line_names_are_listed(tmp_path):
    path = tmp_path / "cited.yaml"
    path.write_text(TESTAMOL.read_text().replace("      source: guide\n", ""))  # only the mood warning cites it
    young = pdf_text(render_request(Request(path, "adult", 20)).pdf)
    assert "Sources Testamol test page" in young and "Testamol test guide" in young
    older = pdf_text(render_request(Request(path, "adult", 40)).pdf)
    assert "Testamol test guide" not in older and "Main source" not in older
    assert "Source: Testamol test page (Example Health), https://example.org/testamol." in older


def test_a_line_naming_an_unknown_source_is_refused(tmp_path):
    path = tmp_path / "src.yaml"
    path.write_text(TESTAMOL.read_text().replace("      source: guide\n", "      source: gide\n", 1))
    with pytest.raises(LeafletError, match=r"src.yaml:\d+: contents.lines.0.source: unknown source 'gide' "
                                           r"\(known: guide, testpage\)"):
        load_content(path)


@pytest.mark.parametrize("date, problem", [("2013-13", "not a real date"), ("Nov 2013", "YYYY, YYYY-MM or YYYY-MM-DD")])
def test_a_bad_source_date_is_refused(tmp_path, date, problem):
    path = tmp_path / "date.yaml"
    path.write_text(TESTAMOL.read_text().replace("date: 2013-11", f"date: {date}"))
    with pytest.raises(LeafletError, match=problem):
        load_content(path)


# --- Text agrees with data, and the JSON Schema -------------------------------------------


def test_lint_fails_text_that_disagrees_with_its_applies(tmp_path):
    from leaflet.lint import lint_file

    path = tmp_path / "disagree.yaml"
    text = TESTAMOL.read_text()
    text = text.replace("      lines: [For anyone 3 years and older.]\n      applies: {min_age_years: 3}",
                        "      lines: [For anyone 6 years and older.]\n      applies: {min_age_years: 12}")
    text = text.replace("        band: 20 to 40 kg", "        band: 20 to 45 kg")
    path.write_text(text)
    findings = [f for f in lint_file(path).findings if f.code == "text-disagrees-with-data"]
    assert [(f.line, f.message.split(":")[0]) for f in findings] == [
        (text.splitlines().index("      lines: [For anyone 6 years and older.]") + 1,
         "the text states 6 but min_age_years is 12"),
        (text.splitlines().index("        band: 20 to 45 kg") + 1, "the text states 45 but max_weight_kg is 40"),
    ]
    assert all(f.severity == "error" for f in findings)


def test_the_shipped_json_schema_is_current():
    from leaflet.model import json_schema_text

    shipped = (FIXTURES.parent.parent / "schemas" / "content-2.schema.json").read_text(encoding="utf-8")
    assert shipped == json_schema_text(), "run: leaflet schema -o schemas/content-2.schema.json"


def test_the_json_schema_describes_every_section_and_forbids_unknown_keys():
    from leaflet.model import json_schema

    schema = json_schema()
    for key in ("schema", "medicine", "sources", "warnings", "how_to_use", "side_effects", "missed_dose",
                "overdose", "storage", "contents", "before", "important", "avoid"):
        assert key in schema["properties"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"schema", "medicine", "sources", "disclaimer"}
    date = schema["$defs"]["Source"]["properties"]["date"]["anyOf"][0]
    assert {"type": "integer", "minimum": 1000, "maximum": 9999} in date["anyOf"]  # date: 2013, unquoted
    line = schema["$defs"]["Line"]
    assert line["anyOf"][0] == {"type": "string", "minLength": 1}  # a bare string is a line


def test_validate_says_a_file_is_schema1_and_how_to_migrate_it(cli_runner):
    result = cli_runner.invoke(cli, ["validate", str(SCHEMA1_DUPIXENT)])
    assert result.exit_code == 0
    assert result.output.strip() == (f"{SCHEMA1_DUPIXENT}: ok (schema 1; `leaflet migrate {SCHEMA1_DUPIXENT}` "
                                     "shows it in schema 2)")


def test_check_on_the_command_line_takes_the_uses_the_leaflet_was_built_for(cli_runner, tmp_path):
    out = tmp_path / "asthma.pdf"
    assert cli_runner.invoke(cli, ["build", str(DUPIXENT), "-a", "adult", "--use", "asthma", "-o", str(out)]).exit_code == 0
    ok = cli_runner.invoke(cli, ["check", str(out), "-c", str(DUPIXENT), "-a", "adult", "--use", "asthma"])
    assert ok.exit_code == 0, ok.output
    wide = cli_runner.invoke(cli, ["check", str(out), "-c", str(DUPIXENT), "-a", "adult"])
    assert wide.exit_code == 1
    assert "missing line use:eczema" in wide.output


@pytest.mark.parametrize("line, wrong", [("Children 10 to 20 kg take 10 mL.", True),
                                         ("Children 10 to 20 kg take 5 mL.", False),
                                         ("Shake it, then measure 10 mL.", False)])
def test_lint_fails_a_line_whose_dose_for_a_band_disagrees_with_the_table(tmp_path, line, wrong):
    from leaflet.lint import lint_file

    path = tmp_path / "dose.yaml"
    path.write_text(TESTAMOL.read_text().replace('    - "{Give|Take} it with food."',
                                                 f'    - "{{Give|Take}} it with food."\n    - {line}'))
    findings = [f for f in lint_file(path).findings if f.code == "text-disagrees-with-data"]
    if wrong:
        assert [f.message for f in findings] == [
            "the text gives 10 ml for the band '10 to 20 kg', whose dose in the table is '5 mL': make the text "
            "and the table say the same"]
    else:
        assert findings == []


@pytest.mark.parametrize("old, new, message", [
    ("    - It is a test medicine for test pains.", "    - 123",
     "about.lines.0: expected text, or a mapping such as {text: ..., applies: ...} (got 123)"),
    ("date: 2013-11", "date: 2013-11-31", "sources.0.date: not a real date (got '2013-11-31')"),
    ("date: 2013-11", "date: Nov 2013", "sources.0.date: not a date written YYYY, YYYY-MM or YYYY-MM-DD"),
    ("url: https://example.org/testamol", "url: example.org",
     "sources.0.url: not a web address starting http:// or https://"),
    ("{gets|get}", "{gets|get|got}", "warnings.0.text: {gets|get|got}: a choice has exactly two sides"),
    ("applies: {min_weight_kg: 10, max_weight_kg: 20}", "applies: {min_weight_kg: 20, max_weight_kg: 10}",
     "how_to_use.doses.rows.0.applies: max_weight_kg must be greater than min_weight_kg"),
])
def test_schema2_mistakes_are_named_at_their_key(tmp_path, old, new, message):
    path = tmp_path / "bad.yaml"
    text = TESTAMOL.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(LeafletError) as error:
        load_content(path)
    assert message in error.value.message


def test_a_bare_year_is_a_date():
    path = TESTAMOL.parent / "testamol.yaml"
    assert "date: 2020\n" in path.read_text()
    assert load_content(path).sources[1].date == "2020"


def test_a_section_with_nothing_for_this_reader_is_left_out(tmp_path):
    path = tmp_path / "empty.yaml"
    text = TESTAMOL.read_text().replace("    - Testamol is a test medicine.\n",
                                        "    - text: Testamol is a test medicine for children.\n"
                                        "      applies: {max_age_years: 12}\n")
    text = text.replace("    - Do not drive if {you} {feels|feel} test-sleepy.\n",
                        "    - text: Do not drive if {you} {feels|feel} test-sleepy.\n"
                        "      applies: {min_age_years: 16}\n")
    path.write_text(text)
    caregiver = pdf_text(render_request(Request(path, "caregiver")).pdf)
    adult = pdf_text(render_request(Request(path, "adult")).pdf)
    assert "Key points" in caregiver and "Key points" not in adult
    assert "What to avoid" in adult and "What to avoid" not in caregiver


def test_check_on_the_command_line_counts_and_confirms_boxed_warnings(cli_runner, tmp_path):
    out = tmp_path / "adult.pdf"
    assert cli_runner.invoke(cli, ["build", str(TESTAMOL), "-a", "adult", "-o", str(out)]).exit_code == 0
    ok = cli_runner.invoke(cli, ["check", str(out), "-c", str(TESTAMOL), "-a", "adult"])
    assert ok.exit_code == 0 and "3 boxed warnings" in ok.output
    older = cli_runner.invoke(cli, ["check", str(out), "-c", str(TESTAMOL), "-a", "adult", "--patient-age", "40"])
    assert older.exit_code == 1
    assert "unexpected safety line boxed-warning:fake-young-mood (not for this reader)" in older.output


@pytest.mark.parametrize("text, bounds", [
    ("For people 6 years and older.", {"min_age": {6.0}}),
    ("For adults and children 6 months and older.", {"min_age": {0.5}}),
    ("The pen is for ages 2 and older. But children under 12 should get it.", {"min_age": {2.0}, "max_age": {12.0}}),
    ("Teens 12 to 17 may inject themselves.", {"min_age": {12.0}, "max_age": {17.0, 18.0}}),
    ("For children 6 months to under 12, a caregiver should give it.", {"min_age": {0.5}, "max_age": {12.0}}),
    ("For people 1 year and older who weigh at least 15 kg (33 lb).", {"min_age": {1.0}, "min_weight": {15.0}}),
    ("15 to 30 kg (33 to 66 lb)", {"min_weight": {15.0}, "max_weight": {30.0}}),
    ("30 kg (66 lb) or more", {"min_weight": {30.0}}),
    ("First approved in March 2017. Take 2 to 3 tablets less than 2 hours apart.", {}),
])
def test_ages_and_weights_are_read_from_text(text, bounds):
    from leaflet.agreement import stated

    assert {kind: values for kind, values in stated(text).items() if values} == bounds


@pytest.mark.parametrize("audience, style", [("caregiver", "standard"), ("adolescent", "ink-saver"),
                                             ("adult", "large-print")])
def test_schema2_leaflets_are_tagged_in_reading_order_and_pass_pdfua(audience, style, tmp_path):
    """The new blocks (boxed warnings, forms and dose tables, side-effect lists, the emergency
    box, sources, their addresses as links) are tagged like the rest. (outloud's heuristics
    still ask for review of two stacked two-column tables.)"""
    import pdfua
    from test_tagging import elements_with_text, squash

    from leaflet.tailor import printed

    request = Request(TESTAMOL, audience, style=style)
    rendered = render_request(request)
    path = tmp_path / "leaflet.pdf"
    path.write_bytes(rendered.pdf)
    assert [(f.rule_id, f.message) for f in pdfua.validate(str(path)).findings] == []
    tagged = [text for role, text in elements_with_text(rendered.pdf) if role != "Lbl"]
    expected = [squash(item.text) for item in printed(tailored(load_content(TESTAMOL), request))]
    assert [squash(text) for text in tagged[:len(expected)]] == expected
