"""Bad input: one clear line naming the file/line/option, a non-zero exit, no traceback."""

from __future__ import annotations


import pytest

from conftest import DUPIXENT, FIXTURES
from leaflet.cli import cli

BAD = FIXTURES / "bad"
MINIMAL = FIXTURES / "minimal.yaml"

# fixture file -> what the message must say (file:line prefixes are checked too)
BAD_CONTENT = {
    "syntax-error.yaml": ":3: line 3 opens a '[' that is not closed with ']'",
    "empty.yaml": ": file is empty",
    "only-comment.yaml": ": file is empty",
    "top-level-list.yaml": ":1: expected a mapping",
    "unknown-key.yaml": ":5: medicine.strength: unknown key",
    "wrong-type.yaml": ":23: uses.items.0.applies.min_age_years: should be a number (got 'three')",
    "missing-key.yaml": ": disclaimer: missing required key",
    "duplicate-key.yaml": ":8: key 'reviewer' appears twice",
    "unknown-placeholder.yaml": ":39: questions.lines.0.text: unknown placeholder {yuor} (did you mean {your}?",
    "unquoted-placeholder.yaml": (":12: line 12: a text that starts with a placeholder such as {You} must be in quotes"
                                  " (\"{You} ...\"); without them YAML reads the { } as a mapping"),
    "age-range-reversed.yaml": ":27: uses.items.1.applies: max_age_years must be greater",
    "impossible-date.yaml": ":8: source.last_updated: not a date in YYYY-MM-DD form",
    "timestamp-date.yaml": ":8: source.last_updated: expected a date written YYYY-MM-DD",
    "not-utf8.yaml": ": not UTF-8 text",
    "lone-brace.yaml": ":12: key_points.lines.0: a lone { or }",
    "unknown-use-reference.yaml": ":31: devices.items.0.applies.uses.0: unknown use 'headake'",
    "duplicate-id.yaml": ":31: devices.items.0.id: id 'gout' is already used on line 24",
    "undrawable-character.yaml": ":16: about.lines.0: no available font can draw the character(s) U+13000",
    "wrong-bool.yaml": ":40: questions.lines.0.safety: should be true or false (got 'yes')",
    "huge-number.yaml": ": cannot read a value: Exceeds the limit",
    "yaml-alias.yaml": ":1: YAML anchors and aliases (& and *) are not supported",
}


def run(cli_runner, *args: str):
    result = cli_runner.invoke(cli, list(args))
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.output.strip()


@pytest.mark.parametrize("fixture", sorted(BAD_CONTENT))
def test_bad_content_file_fails_build_with_one_line(cli_runner, fixture):
    path = BAD / fixture
    output = run(cli_runner, "build", str(path), "--audience", "adult", "-o", "unused.pdf")
    assert len(output.splitlines()) == 1, output
    assert output.startswith(f"Error: {path}"), output
    assert BAD_CONTENT[fixture] in output


@pytest.mark.parametrize("fixture", sorted(BAD_CONTENT))
def test_validate_lists_the_problem_as_file_line_key_message(cli_runner, fixture):
    output = run(cli_runner, "validate", str(BAD / fixture))
    assert BAD_CONTENT[fixture] in output


def test_a_file_that_is_not_regular_is_refused(cli_runner):
    output = run(cli_runner, "validate", "/dev/zero")
    assert output == "Error: /dev/zero: not a regular file" or output == "/dev/zero: not a regular file"


def test_validate_reports_every_problem_at_once(cli_runner, tmp_path):
    bad = tmp_path / "many.yaml"
    text = MINIMAL.read_text()
    text = text.replace("generic: testamolum", "generic: testamolum\n  colour: red")
    text = text.replace("min_age_years: 3", "min_age_years: -3")
    text = text.replace("disclaimer: This is a test leaflet.", "")
    bad.write_text(text)
    lines = run(cli_runner, "validate", str(bad)).splitlines()
    assert len(lines) == 3, lines
    assert any(":5: medicine.colour: unknown key" in line for line in lines)
    assert any("uses.items.0.applies.min_age_years: Input should be greater than or equal to 0" in line
               for line in lines)
    assert any("disclaimer: missing required key" in line for line in lines)


def test_validate_accepts_the_shipped_content(cli_runner):
    result = cli_runner.invoke(cli, ["validate", str(DUPIXENT)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(": ok")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "no/such/file.yaml", "-a", "adult"], "no/such/file.yaml: file not found"),
        (["build", str(MINIMAL), "-a", "toddler"], "Invalid value for '--audience'"),
        (["build", str(MINIMAL)], "Missing option '--audience' / '-a'. Choose from: caregiver, adolescent,"),
        (["build", str(MINIMAL), "-a", "adult", "--style", "glossy"], "unknown style 'glossy'"),
        (["build", str(MINIMAL), "-a", "adult", "--style", "nope/style.yaml"], "nope/style.yaml: file not found"),
        (["build", str(MINIMAL), "-a", "adult", "--style", str(BAD / "style-below-minimum.yaml")],
         "body.font_size 9 is below this style's min_font_size 12"),
        (["build", str(MINIMAL), "-a", "adult", "--patient-age", "7"], "outside the adult audience"),
        (["build", str(MINIMAL), "-a", "caregiver", "--patient-age", "2"], "youngest age for any use is 3"),
        (["build", str(MINIMAL), "-a", "adult", "--patient-age", "abc"], "'abc' is not a number: give the age in years"),
        (["build", str(MINIMAL), "-a", "adult", "--patient-weight", "0"], "--patient-weight 0: not a possible weight"),
        (["build", str(MINIMAL), "-a", "adult", "--page-size", "a5"], "Invalid value for '--page-size'"),
        (["build", str(MINIMAL), "-a", "all", "-o", "x.pdf"], "cannot be used with --audience all"),
    ],
)
def test_bad_options_fail_with_one_line(cli_runner, args, message):
    output = run(cli_runner, *args)
    assert message in output
    assert len(output.splitlines()) == 1, output
    assert output.startswith("Error: ")


def test_unwritable_output_is_a_clear_error(cli_runner, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    output = run(cli_runner, "build", str(MINIMAL), "-a", "adult", "-o", str(blocker / "leaflet.pdf"))
    assert f"Error: {blocker / 'leaflet.pdf'}: cannot" in output
    assert len(output.splitlines()) == 1


def test_output_that_is_a_folder_is_a_clear_error(cli_runner, tmp_path):
    output = run(cli_runner, "build", str(MINIMAL), "-a", "adult", "-o", str(tmp_path))
    assert "is a folder" in output


def test_a_content_file_not_found_names_the_files_it_may_have_meant(cli_runner, tmp_path):
    """A new user guesses a file name from the brand (epipen.yaml) or mistypes it: the error
    says what is there instead of leaving them to list the folder."""
    for name in ("dupixent.yaml", "dupixent.es.yaml", "epinephrine.yaml"):
        (tmp_path / name).write_text(MINIMAL.read_text())
    typo = cli_runner.invoke(cli, ["build", str(tmp_path / "dupixnet.yaml"), "-a", "adult"])
    assert typo.exit_code != 0
    assert typo.output.strip() == f"Error: {tmp_path / 'dupixnet.yaml'}: file not found (did you mean 'dupixent.yaml'?)"
    guess = cli_runner.invoke(cli, ["validate", str(tmp_path / "epipen.yaml")])
    # no close name: the folder's medicines are listed (a translation is not one to name)
    assert guess.output.strip().endswith("epipen.yaml: file not found (files there: dupixent.yaml, epinephrine.yaml)")
    style = cli_runner.invoke(cli, ["build", str(MINIMAL), "-a", "adult", "--style", str(tmp_path / "large.yaml")])
    assert "large.yaml: file not found (files there:" in style.output


def test_build_checks_names_and_directions_as_the_batch_and_the_page_do(cli_runner, tmp_path):
    """The batch and the clinic's page refuse a 5,000-character name; build did not, and
    printed four pages of it. The words are the batch's, naming the option, never the value."""
    long = run(cli_runner, "build", str(MINIMAL), "-a", "adult", "-o", str(tmp_path / "x.pdf"),
               "--patient-name", "Zoë " * 1000)
    assert long == "Error: --patient-name: longer than 200 characters"
    both = run(cli_runner, "build", str(MINIMAL), "-a", "adult", "-o", str(tmp_path / "x.pdf"),
               "--directions", "x" * 1001, "--pharmacy-phone", "01632\t960")
    assert both == ("Error: --pharmacy-phone: contains a line break or control character; "
                    "--directions: longer than 1000 characters")
    assert "Zoë" not in long and not (tmp_path / "x.pdf").exists()


def test_build_prints_the_pharmacy_in_the_footer(cli_runner, tmp_path):
    from pypdf import PdfReader

    result = cli_runner.invoke(cli, ["build", str(MINIMAL), "-a", "adult", "-o", str(tmp_path / "p.pdf"),
                                     "--pharmacy", "High Street Pharmacy", "--pharmacy-phone", "01632 960 000"])
    assert result.exit_code == 0, result.output
    pages = [page.extract_text() for page in PdfReader(tmp_path / "p.pdf").pages]
    assert all("High Street Pharmacy, 01632 960 000" in page for page in pages)


def test_every_command_is_summed_up_whole_and_has_examples(cli_runner):
    """What a new user reads first: `leaflet --help` names every command in a line that is
    not cut short, and shows an example of each; every command's --help has examples."""
    top = cli_runner.invoke(cli, ["--help"]).output
    commands = sorted(cli.commands)
    listed = top.split("Commands:")[1]
    for name in commands:
        summary = next(line for line in listed.splitlines() if line.strip().startswith(name + " "))
        assert not summary.rstrip().endswith("..."), summary
        assert f"leaflet {name}" in top.split("Options:")[0], name
        assert "Example" in cli_runner.invoke(cli, [name, "--help"]).output, name


def test_a_leaflet_for_one_patient_needs_its_own_file_name(cli_runner, tmp_path, monkeypatch):
    """Without --output, Zoë's leaflet would replace output/<medicine>-adult.pdf, the one
    handed to everyone next."""
    monkeypatch.chdir(tmp_path)
    assert cli_runner.invoke(cli, ["build", str(MINIMAL), "-a", "adult"]).exit_code == 0
    everyone = sorted((tmp_path / "output").iterdir())
    before = [path.read_bytes() for path in everyone]
    for option, value in (("--patient-name", "Zoë Martin"), ("--directions", "Two tablets daily.")):
        output = run(cli_runner, "build", str(MINIMAL), "-a", "adult", option, value)
        assert output.startswith("Error: --patient-name and --directions make one patient's leaflet: "
                                 "name its file with --output"), output
        assert value not in output
    assert sorted((tmp_path / "output").iterdir()) == everyone and [p.read_bytes() for p in everyone] == before
    named = cli_runner.invoke(cli, ["build", str(MINIMAL), "-a", "adult", "--patient-name", "Zoë Martin",
                                    "-o", "zoe.pdf"])
    assert named.exit_code == 0 and (tmp_path / "zoe.pdf").exists()


@pytest.mark.parametrize(("age", "audience", "label"), [
    ("4", "caregiver", "For parents and caregivers of children under"),
    ("15", "adolescent", "For young people aged 12 to 17"),
    ("40", "adult", "For adults aged 18 and over"),
])
def test_without_audience_the_patient_age_chooses_it_as_on_the_page(cli_runner, tmp_path, age, audience, label):
    from pypdf import PdfReader

    result = cli_runner.invoke(cli, ["build", str(MINIMAL), "--patient-age", age, "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 0, result.output
    assert f"; the {audience} leaflet, from --patient-age)" in result.output
    assert label in PdfReader(tmp_path / "x.pdf").pages[0].extract_text()


def test_an_impossible_age_without_audience_is_the_age_s_own_error(cli_runner, tmp_path):
    assert run(cli_runner, "build", str(MINIMAL), "--patient-age", "200", "-o", str(tmp_path / "x.pdf")) == (
        "Error: --patient-age 200: not a possible age in years")
