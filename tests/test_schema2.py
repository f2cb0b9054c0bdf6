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
from leaflet.validate import load_content, schema_version

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
