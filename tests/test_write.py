"""Writing is atomic: a failed build leaves no partial file and never touches an old one."""

from __future__ import annotations

import os

import pytest

from conftest import FIXTURES, ROOT
from leaflet import write
from leaflet.cli import cli
from leaflet.errors import LeafletError
from leaflet.write import write_atomic

MINIMAL = FIXTURES / "minimal.yaml"


def test_a_failed_build_leaves_the_existing_file_untouched(cli_runner, tmp_path):
    target = tmp_path / "leaflet.pdf"
    target.write_bytes(b"old leaflet")
    result = cli_runner.invoke(cli, ["build", str(MINIMAL), "-a", "adult", "--patient-age", "3", "-o", str(target)])
    assert result.exit_code != 0
    assert target.read_bytes() == b"old leaflet"
    assert os.listdir(tmp_path) == ["leaflet.pdf"]


def test_a_crash_while_writing_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "leaflet.pdf"
    target.write_bytes(b"old leaflet")

    def crash(*_args):
        raise KeyboardInterrupt  # as if Ctrl-C arrived mid-write

    monkeypatch.setattr(write.os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"%PDF-new")
    assert target.read_bytes() == b"old leaflet"
    assert os.listdir(tmp_path) == ["leaflet.pdf"]


def test_a_disk_error_is_a_leaflet_error_and_cleans_up(tmp_path, monkeypatch):
    def full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write.os, "fsync", full)
    with pytest.raises(LeafletError, match="No space left on device"):
        write_atomic(tmp_path / "x.pdf", b"%PDF")
    assert os.listdir(tmp_path) == []


def test_build_writes_the_default_output_name(cli_runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli_runner.invoke(cli, ["build", str(MINIMAL), "-a", "all"])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(tmp_path / "output")) == [
        "testamol-adolescent.pdf", "testamol-adult.pdf", "testamol-caregiver.pdf"]
    assert (tmp_path / "output" / "testamol-adult.pdf").read_bytes().startswith(b"%PDF-")


def test_a_leaflet_narrowed_to_a_patient_never_replaces_the_general_one(cli_runner, tmp_path, monkeypatch):
    """Age, weight and uses narrow what a leaflet says; the default name says so too, so a
    leaflet for a 3-year-old does not replace the caregiver leaflet for every child."""
    monkeypatch.chdir(tmp_path)
    dupixent = ROOT / "content" / "dupixent.yaml"
    for extra in ([], ["--patient-age", "3"], ["--patient-age", "0.75", "--patient-weight", "8.5"],
                  ["--use", "eczema"]):
        result = cli_runner.invoke(cli, ["build", str(dupixent), "-a", "caregiver", *extra])
        assert result.exit_code == 0, result.output
    assert sorted(os.listdir(tmp_path / "output")) == [
        "dupixent-caregiver-age-0.75-8.5kg.pdf", "dupixent-caregiver-age-3.pdf", "dupixent-caregiver-eczema.pdf",
        "dupixent-caregiver.pdf"]


def test_build_all_skips_an_audience_the_medicine_is_not_for(cli_runner, tmp_path, monkeypatch):
    """Acetaminophen's one use is for children under 12: `-a all` builds the caregiver
    leaflet, says why the other two were skipped, and succeeds; several files build in one go."""
    monkeypatch.chdir(tmp_path)
    acetaminophen = ROOT / "content" / "acetaminophen.yaml"
    result = cli_runner.invoke(cli, ["build", str(acetaminophen), str(MINIMAL), "-a", "all"])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(tmp_path / "output")) == [
        "acetaminophen-caregiver.pdf", "testamol-adolescent.pdf", "testamol-adult.pdf", "testamol-caregiver.pdf"]
    assert "skipped" in result.output and "for the adult audience: no use of acetaminophen applies" in result.output
    one_reader = cli_runner.invoke(cli, ["build", str(acetaminophen), "-a", "adult"])
    assert one_reader.exit_code != 0 and "no use of acetaminophen applies to the adult audience" in one_reader.output


def test_output_cannot_name_one_file_for_several_contents(cli_runner, tmp_path):
    result = cli_runner.invoke(cli, ["build", str(MINIMAL), str(MINIMAL), "-a", "adult", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "several content files" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_the_cli_accepts_any_case_and_a_decimal_comma(cli_runner, tmp_path):
    target = tmp_path / "x.pdf"
    result = cli_runner.invoke(cli, ["build", str(MINIMAL), "-a", "Caregiver", "--page-size", "A4",
                                     "--patient-age", "4,5", "-o", str(target)])
    assert result.exit_code == 0, result.output
    from conftest import build_leaflet
    assert target.read_bytes() == build_leaflet("caregiver", content=MINIMAL, patient_age=4.5, page_size="a4").pdf
