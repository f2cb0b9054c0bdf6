"""Checked files remembered between runs (leaflet.checked): same leaflets, never stale,
never trusted from a folder others can write, and a cold build that skips pydantic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leaflet import __version__, checked, i18n
from leaflet.build import Request, render_request
from leaflet.errors import LeafletError
from leaflet.load import load_yaml
from leaflet.model import Content
from leaflet.records import ContentRecord, Record, freeze, from_data, to_data
from leaflet.validate import validate

ROOT = Path(__file__).resolve().parent.parent
DUPIXENT = ROOT / "content" / "dupixent.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("LEAFLET_CACHE_DIR", str(folder))
    return folder


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def pdf(content: Path, audience: str = "adult") -> bytes:
    return render_request(Request(content, audience)).pdf


@pytest.mark.parametrize("content", sorted((ROOT / "content").glob("*.yaml")), ids=lambda path: path.name)
def test_records_say_what_the_checked_model_says(content):
    model = validate(load_yaml(content), Content)
    records = freeze(model)
    assert isinstance(records, ContentRecord)
    assert from_data(json.loads(json.dumps(to_data(records)))) == records
    assert records.title == model.title and records.name == model.name and records.use_ids() == model.use_ids()
    assert records.sources[0].url == model.sources[0].url
    assert records.medicine.brands == list(model.medicine.brands)


def test_a_glossary_term_that_looks_like_a_tag_stays_a_term():
    records = {"r": "x", "f": {"d": "y"}, "t": "2024-01-01"}
    assert from_data(json.loads(json.dumps(to_data(records)))) == records


def test_data_that_was_not_written_by_to_data_is_refused():
    with pytest.raises(ValueError):
        from_data({"medicine": "x"})


def test_a_remembered_file_builds_the_same_leaflet_as_a_fresh_check(cache, monkeypatch):
    first = pdf(DUPIXENT)
    assert len(entries(cache)) >= 2  # the content, the style, the catalogue
    again = checked.load_content(DUPIXENT)
    assert isinstance(again, ContentRecord)
    assert pdf(DUPIXENT) == first
    monkeypatch.setenv("LEAFLET_CACHE_DIR", "")
    assert pdf(DUPIXENT) == first


def test_an_edited_file_is_checked_again_never_read_stale(cache, tmp_path):
    content = tmp_path / "minimal.yaml"
    content.write_text((FIXTURES / "minimal.yaml").read_text())
    checked.load_content(content)
    content.write_text(content.read_text().replace("disclaimer: This is a test leaflet.",
                                                   "disclaimer: An edited disclaimer."))
    assert checked.load_content(content).disclaimer == "An edited disclaimer."
    content.write_text(content.read_text().replace("disclaimer: An edited disclaimer.", "disclaimer: 12"))
    with pytest.raises(LeafletError, match=r"minimal\.yaml:\d+: disclaimer"):
        checked.load_content(content)


def test_a_file_that_fails_its_check_is_not_remembered(cache):
    bad = FIXTURES / "bad" / "style-below-minimum.yaml"
    from leaflet.styles import load_style

    for _ in range(2):
        with pytest.raises(LeafletError, match="below"):
            load_style(str(bad))
    assert not any("below" in entry.read_text() for entry in entries(cache))


def test_another_leaflet_misses(cache, monkeypatch):
    checked.load_content(DUPIXENT)
    before = entries(cache)
    monkeypatch.setattr(checked, "_code_fingerprint", lambda: "another version of leaflet")
    checked.load_content(DUPIXENT)
    assert len(entries(cache)) == len(before) + 1


@pytest.mark.parametrize("damage", ["{not json", json.dumps({"leaflet": __version__, "data": {"r": "Content"}}),
                                    json.dumps({"leaflet": "0.0.1", "data": None}), ""])
def test_a_damaged_entry_costs_a_check_not_a_build(cache, damage):
    first = pdf(DUPIXENT)
    for entry in entries(cache):
        entry.write_text(damage)
    assert pdf(DUPIXENT) == first


def test_a_folder_others_can_write_is_neither_read_nor_written(cache):
    cache.mkdir(mode=0o700)
    os.chmod(cache, 0o777)
    pdf(DUPIXENT)
    assert entries(cache) == []


def test_an_unwritable_folder_still_builds(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAFLET_CACHE_DIR", str(tmp_path / "file" / "cache"))
    (tmp_path / "file").write_text("a file where the folder would be")
    assert pdf(DUPIXENT).startswith(b"%PDF")


def test_babel_results_are_remembered_between_runs(cache, monkeypatch):
    i18n._date.cache_clear()
    checked._remembered_values.cache_clear()
    import datetime as dt

    assert i18n.catalogue("en").date(dt.date(2024, 2, 1)) == "1 February 2024"
    checked._remembered_values.cache_clear()  # as a new process would
    i18n._date.cache_clear()
    monkeypatch.setitem(sys.modules, "babel.dates", None)  # Babel cannot be imported now
    assert i18n.catalogue("en").date(dt.date(2024, 2, 1)) == "1 February 2024"
    i18n._date.cache_clear()
    checked._remembered_values.cache_clear()


def test_a_record_is_read_only():
    record = from_data({"r": "Medicine", "f": {"generic": "x"}})
    assert isinstance(record, Record)
    with pytest.raises(AttributeError):
        record.generic = "y"


COLD_BUILD = """
import sys
from leaflet.cli import main
sys.argv = ["leaflet", "build", sys.argv[1], "-a", "adult", "-o", sys.argv[2]]
try:
    main()
except SystemExit as stop:
    assert not stop.code, stop.code
loaded = sorted({name.split(".")[0] for name in sys.modules} & {"pydantic", "yaml", "babel"})
print(",".join(loaded) or "none")
"""


def test_a_cold_build_of_a_checked_file_loads_neither_pydantic_nor_yaml_nor_babel(cache, tmp_path):
    """What makes `leaflet build` start fast (issue 10, point 7): a regression here is an
    import added to the build path."""
    env = {**os.environ, "LEAFLET_CACHE_DIR": str(cache)}

    def run(name: str) -> str:
        done = subprocess.run([sys.executable, "-c", COLD_BUILD, str(DUPIXENT), str(tmp_path / name)],
                              env=env, capture_output=True, text=True, check=True)
        return done.stdout.split()[-1]

    assert run("first.pdf") == "babel,pydantic,yaml"  # the first run checks the file
    assert run("second.pdf") == "none"
    assert (tmp_path / "first.pdf").read_bytes() == (tmp_path / "second.pdf").read_bytes()


@pytest.mark.parametrize("path", sorted((ROOT / "leaflet" / "fonts").glob("*.ttf")), ids=lambda path: path.name)
def test_a_font_read_back_is_the_font_reportlab_parses(cache, path):
    from reportlab.pdfbase.ttfonts import TTFontFace

    from leaflet import fonts

    parsed = TTFontFace(str(path))
    first = fonts._face(str(path), 0)  # parsed, and remembered
    assert any(cache.glob("*.bin"))
    again = fonts._face(str(path), 0)  # read back
    for face in (first, again):
        assert set(vars(face)) == set(vars(parsed))
        for name, value in vars(parsed).items():
            if name == "_pdfScale":
                assert face._pdfScale(1234) == value(1234)
            else:
                assert getattr(face, name) == value and type(getattr(face, name)) is type(value), name


def test_a_leaflet_font_is_built_as_reportlab_builds_one(cache):
    from reportlab.pdfbase.ttfonts import TTFont

    from leaflet import fonts

    path = str(fonts.LATIN.regular)
    theirs, ours = TTFont("Theirs", path), fonts._ContentNamedTTFont("Ours", path)
    assert set(vars(ours)) - {"_subsets"} == set(vars(theirs))
    for name in ("encoding", "state"):
        assert type(getattr(ours, name)) is type(getattr(theirs, name))
    assert (ours._asciiReadable, ours.shapable) == (theirs._asciiReadable, theirs.shapable)


def test_a_damaged_font_entry_costs_a_parse(cache):
    from leaflet import fonts

    path = str(fonts.LATIN.regular)
    parsed = fonts._face(path, 0)
    for entry in cache.glob("*.bin"):
        entry.write_bytes(b"\x00not marshal")
    assert fonts._face(path, 0).charWidths == parsed.charWidths
