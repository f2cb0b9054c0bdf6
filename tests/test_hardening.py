"""Faults and hostile input (issue 10): each defect found by fault injection, reproduced."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest

from conftest import DUPIXENT, FIXTURES, ROOT
from leaflet.cli import cli

SHORT = FIXTURES / "batch" / "short.yaml"  # a one-page leaflet
LEAFLET = [sys.executable, "-c", "from leaflet.cli import main; main()"]


def invoke(cli_runner, *args: str):
    result = cli_runner.invoke(cli, [*map(str, args)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def write_manifest(path: Path, rows: list[dict], header: list[str] | None = None) -> Path:
    header = header or list(dict.fromkeys(key for row in rows for key in row))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_report(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


# --- 1. Control characters ------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\0", "\f", "\x7f", "\x1b"])
@pytest.mark.parametrize("where", ["value", "comment"])
def test_a_control_character_in_content_is_one_line_with_file_line_and_code_point(cli_runner, tmp_path, char, where):
    lines = SHORT.read_text(encoding="utf-8").splitlines()
    if where == "comment":
        lines[5] += f"  # note{char}"
    else:
        lines[2] = lines[2].replace("Shortamol", f"Short{char}amol")
    bad = tmp_path / "bad.yaml"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected_line = next(number for number, line in enumerate(lines, 1) if char in line)
    for command in (["validate", bad], ["build", bad, "-a", "adult", "-o", tmp_path / "x.pdf"]):
        result = invoke(cli_runner, *command)
        assert result.exit_code == 2
        message = result.output.strip()
        assert len(message.splitlines()) == 1
        assert f"bad.yaml:{expected_line}:" in message and f"U+{ord(char):04X}" in message
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".*.part"))


def test_a_control_character_in_a_style_is_one_line(cli_runner, tmp_path):
    style = tmp_path / "odd.yaml"
    style.write_text((ROOT / "styles" / "standard.yaml").read_text(encoding="utf-8") + "# \0\n", encoding="utf-8")
    result = invoke(cli_runner, "build", SHORT, "-a", "adult", "-s", style, "-o", tmp_path / "x.pdf")
    assert result.exit_code == 2 and "odd.yaml:" in result.output and "U+0000" in result.output


def test_control_characters_and_proc_files_in_a_batch_fail_their_rows_only(cli_runner, tmp_path):
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b'medicine: {brand: "a\0"}\n')
    manifest = write_manifest(tmp_path / "night.csv", [
        dict(content=str(SHORT), audience="adult", output="good.pdf"),
        dict(content="nul.yaml", audience="adult", output="nul.pdf"),
        dict(content="/proc/self/environ", audience="adult", output="environ.pdf"),
        dict(content=str(SHORT), audience="adult", style=str(nul), output="style.pdf"),
        dict(content=str(SHORT), audience="caregiver", output="good2.pdf"),
    ])
    out = tmp_path / "out"
    result = invoke(cli_runner, "batch", manifest, "--out-dir", out, "--report", tmp_path / "r.csv", "-j", "1")
    assert result.exit_code == 1
    assert sorted(p.name for p in out.glob("*.pdf")) == ["good.pdf", "good2.pdf"]
    statuses = {row["row"]: row["status"] for row in read_report(tmp_path / "r.csv")}
    assert statuses == {"2": "built", "3": "failed", "4": "failed", "5": "failed", "6": "built"}
    for row in (3, 4, 5):
        assert f"night.csv row {row}: " in result.output
    assert "nul.yaml:1:" in result.output and "U+0000" in result.output
