"""Faults and hostile input (issue 10): each defect found by fault injection, reproduced."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import hostile_pdfs
import pytest
import yaml

from conftest import DUPIXENT, FIXTURES, ROOT, pdf_text
from leaflet.build import Request, render_request
from leaflet.cli import cli
from leaflet.write import AtomicFile, lock

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


def pdfs_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("*.pdf"))


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


# --- 2. Two runs on one output folder; 7. stale temporaries ---------------------------------


def two_rows(tmp_path: Path) -> Path:
    return write_manifest(tmp_path / "night.csv", [
        dict(content=str(SHORT), audience="adult", output="a.pdf"),
        dict(content=str(SHORT), audience="caregiver", output="b.pdf"),
    ])


def test_cleanup_never_removes_a_temporary_file_a_live_run_is_writing(cli_runner, tmp_path):
    manifest = two_rows(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    report = tmp_path / "shared-report.csv"
    # Another live process is half-way through writing a.pdf's state, a.pdf, and the shared report.
    live = [AtomicFile(out / "a.pdf"), AtomicFile(report), AtomicFile(out / ".leaflet-state" / "a.pdf.json")]
    try:
        for held in live:
            held.stream.write(b"half")
        result = invoke(cli_runner, "batch", manifest, "--out-dir", out, "--report", report, "-j", "1", "--force")
        assert result.exit_code == 0, result.output
        for held in live:
            assert Path(held._temp).exists(), "a live run's temporary file was deleted"
            held.commit()  # the other run finishes: its rename must not fail
    finally:
        for held in live:
            held.discard()


def test_leftovers_of_a_killed_run_are_still_removed(cli_runner, tmp_path):
    manifest = two_rows(tmp_path)
    out = tmp_path / "out"
    (out / ".leaflet-state").mkdir(parents=True)
    dead = [out / ".a.pdf.k1ll3d.part", out / ".leaflet-state" / ".b.pdf.json.k1ll3d.part"]
    for path in dead:
        path.write_bytes(b"half")
    assert invoke(cli_runner, "batch", manifest, "--out-dir", out, "-j", "1").exit_code == 0
    assert not any(path.exists() for path in dead)


def test_a_second_run_on_the_same_folder_stops_with_a_clear_message(cli_runner, tmp_path):
    manifest = two_rows(tmp_path)
    out = tmp_path / "out"
    (out / ".leaflet-state").mkdir(parents=True)
    holder = lock(out / ".leaflet-state" / "folder.lock", exclusive=True)  # the first run
    try:
        for extra in ([], ["--shard", "1/2"]):
            result = invoke(cli_runner, "batch", manifest, "--out-dir", out, "-j", "1", *extra)
            assert result.exit_code == 75
            assert "already writing there" in result.output and "--wait" in result.output
            assert len(result.output.strip().splitlines()) == 1
        assert not list(out.glob("*.pdf"))
    finally:
        os.close(holder)
    assert invoke(cli_runner, "batch", manifest, "--out-dir", out, "-j", "1").exit_code == 0


def test_shards_share_a_folder_but_one_shard_never_runs_twice(cli_runner, tmp_path):
    manifest = two_rows(tmp_path)
    out = tmp_path / "out"
    (out / ".leaflet-state").mkdir(parents=True)
    folder = lock(out / ".leaflet-state" / "folder.lock", exclusive=False)  # shard 0/2 is running
    shard = lock(out / ".leaflet-state" / "shard-0-of-2.lock", exclusive=True)
    try:
        assert invoke(cli_runner, "batch", manifest, "--out-dir", out, "-j", "1", "--shard", "1/2").exit_code == 0
        assert pdfs_in(out) == ["b.pdf"]
        again = invoke(cli_runner, "batch", manifest, "--out-dir", out, "-j", "1", "--shard", "0/2")
        assert again.exit_code == 75 and "this shard" in again.output
        whole = invoke(cli_runner, "batch", manifest, "--out-dir", out, "-j", "1")
        assert whole.exit_code == 75
    finally:
        os.close(shard)
        os.close(folder)


def test_wait_takes_the_folder_when_the_other_run_finishes(cli_runner, tmp_path):
    manifest = two_rows(tmp_path)
    out = tmp_path / "out"
    (out / ".leaflet-state").mkdir(parents=True)
    holder = lock(out / ".leaflet-state" / "folder.lock", exclusive=True)
    threading.Timer(0.5, os.close, [holder]).start()
    result = invoke(cli_runner, "batch", manifest, "--out-dir", out, "-j", "1", "--wait", "20")
    assert result.exit_code == 0 and pdfs_in(out) == ["a.pdf", "b.pdf"]


def test_two_real_batches_on_one_folder_never_lose_a_reported_pdf(tmp_path):
    rows = [dict(content=str(SHORT), audience="adult", output=f"r{n}.pdf") for n in range(40)]
    manifest = write_manifest(tmp_path / "night.csv", rows)
    out = tmp_path / "out"
    runs = [subprocess.Popen([*LEAFLET, "batch", str(manifest), "--out-dir", str(out), "-j", "1", "--force",
                              "--wait", "60", "--report", str(tmp_path / f"r{n}.csv")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(2)]
    for run in runs:
        stdout, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, stdout + stderr
        assert "Traceback" not in stderr
    for n in range(2):
        built = [row["output"] for row in read_report(tmp_path / f"r{n}.csv") if row["status"] == "built"]
        assert len(built) == 40 and all(Path(path).is_file() for path in built)
    assert not list(out.rglob("*.part"))


def test_a_build_removes_its_own_stale_temporaries_but_not_a_live_one(cli_runner, tmp_path):
    target = tmp_path / "x.pdf"
    stale = tmp_path / ".x.pdf.k1ll3d.part"
    stale.write_bytes(b"%PDF-half")
    other = tmp_path / ".y.pdf.k1ll3d.part"  # another file's: not this build's business
    other.write_bytes(b"%PDF-half")
    live = AtomicFile(target)
    try:
        result = invoke(cli_runner, "build", SHORT, "-a", "adult", "-o", target)
        assert result.exit_code == 0
        assert not stale.exists() and other.exists() and Path(live._temp).exists()
    finally:
        live.discard()


# --- 9. A symlink planted at .leaflet-state -------------------------------------------------


def test_a_symlink_planted_at_the_state_folder_is_refused(cli_runner, tmp_path):
    manifest = two_rows(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / ".leaflet-state").symlink_to(elsewhere)
    result = invoke(cli_runner, "batch", manifest, "--out-dir", out, "-j", "1")
    assert result.exit_code == 2 and ".leaflet-state is a symbolic link" in result.output
    assert list(elsewhere.iterdir()) == [] and not list(out.glob("*.pdf"))


# --- 4. The umask is honoured ---------------------------------------------------------------


@pytest.mark.parametrize("umask, file_mode, folder_mode", [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)])
def test_every_file_follows_the_umask(cli_runner, tmp_path, umask, file_mode, folder_mode):
    manifest = two_rows(tmp_path)
    out = tmp_path / "out"
    previous = os.umask(umask)
    try:
        result = invoke(cli_runner, "batch", manifest, "--out-dir", out, "-j", "1", "--report",
                        tmp_path / "reports" / "r.csv", "--merge", tmp_path / "print" / "m.pdf")
        assert result.exit_code == 0, result.output
        single = invoke(cli_runner, "build", SHORT, "-a", "adult", "-o", tmp_path / "single" / "x.pdf")
        assert single.exit_code == 0
    finally:
        os.umask(previous)
    files = [out / "a.pdf", out / "b.pdf", out / ".leaflet-state" / "a.pdf.json", tmp_path / "reports" / "r.csv",
             tmp_path / "print" / "m.pdf", tmp_path / "single" / "x.pdf",
             *(out / ".leaflet-state").glob("*.lock")]
    assert len(files) > 6
    for path in files:
        assert oct(path.stat().st_mode & 0o777) == oct(file_mode), path
    for folder in (out, out / ".leaflet-state", tmp_path / "reports", tmp_path / "single"):
        assert oct(folder.stat().st_mode & 0o777) == oct(folder_mode), folder


# --- 5. A full disk under the report --------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_a_full_disk_under_the_report_is_a_clean_error_with_the_summary(cli_runner, tmp_path, monkeypatch, kind):
    manifest = two_rows(tmp_path)
    report = tmp_path / "reports" / f"r.{kind}"
    real_fsync = os.fsync

    def full(fd: int) -> None:
        if "reports" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    result = invoke(cli_runner, "batch", manifest, "--out-dir", tmp_path / "out", "-j", "1", "--report", report)
    assert result.exit_code == 1
    assert f"--report {report}: not written (No space left on device)" in result.output
    assert "2 rows: 2 built" in result.output  # the summary is still printed
    assert list((tmp_path / "reports").iterdir()) == []  # no report, no temporary file
    assert pdfs_in(tmp_path / "out") == ["a.pdf", "b.pdf"]


# --- 3. Hostile PDFs through `leaflet check` and `batch --verify` ---------------------------


@pytest.mark.parametrize(("make", "reason"), [
    (hostile_pdfs.aes_encrypted, "it is encrypted"),
    (hostile_pdfs.jbig2, "jbig2dec"),
    (hostile_pdfs.parent_cycle, "cycle in /Parent"),
    (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8, "not a readable PDF"),
])
def test_a_hostile_pdf_is_one_line_with_the_unreadable_exit_status(cli_runner, tmp_path, make, reason):
    pdf = tmp_path / "hostile.pdf"
    pdf.write_bytes(make())
    result = invoke(cli_runner, "check", pdf, "-c", DUPIXENT, "-a", "adult")
    assert result.exit_code == 3
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith(f"Error: {pdf}: not a readable PDF (") and reason in result.output


def test_a_pdf_that_reads_for_ever_is_stopped_at_the_time_limit(cli_runner, tmp_path):
    pdf = tmp_path / "slow.pdf"
    pdf.write_bytes(hostile_pdfs.shared_stream(operators=40_000, pages=10))  # about 15 s to read in full
    started = time.monotonic()
    result = invoke(cli_runner, "check", pdf, "-c", DUPIXENT, "-a", "adult", "--time-limit", "0.5")
    assert time.monotonic() - started < 5
    assert result.exit_code == 3 and "took longer than 0.5 s, the limit; see --time-limit" in result.output


def test_a_pdf_that_eats_memory_is_stopped_at_the_memory_limit(cli_runner, tmp_path):
    pdf = tmp_path / "huge.pdf"
    pdf.write_bytes(hostile_pdfs.huge_string(megabytes=60))  # 60 KB on disk, hundreds of MiB to read
    result = invoke(cli_runner, "check", pdf, "-c", DUPIXENT, "-a", "adult", "--memory-limit", "32",
                    "--time-limit", "60")
    assert result.exit_code == 3 and "needed more than 32 MiB, the limit; see --memory-limit" in result.output


def test_batch_verify_inherits_the_budget(tmp_path, monkeypatch):
    from leaflet import batch
    from leaflet.check import Budget

    seen: list[Budget] = []
    real = batch.check_pdf

    def spy(pdf, leaflet, content, budget):
        seen.append(budget)
        return real(pdf, leaflet, content, budget)

    monkeypatch.setattr(batch, "check_pdf", spy)
    manifest = two_rows(tmp_path)
    options = batch.Options(manifest, tmp_path / "out", jobs=1, verify=True,
                            verify_budget=Budget(seconds=0.001, memory_mib=64))
    summary = batch.run(options, err=io.StringIO(), out=io.StringIO())
    assert seen and all(budget == Budget(0.001, 64) for budget in seen)
    assert summary.failed == 2 and pdfs_in(tmp_path / "out") == []  # 1 ms is too little: nothing unverified is kept


def test_verify_time_and_memory_limits_are_batch_options(cli_runner, tmp_path):
    manifest = two_rows(tmp_path)
    result = invoke(cli_runner, "batch", manifest, "--out-dir", tmp_path / "out", "-j", "1", "--verify",
                    "--verify-time-limit", "30", "--verify-memory-limit", "128")
    assert result.exit_code == 0 and pdfs_in(tmp_path / "out") == ["a.pdf", "b.pdf"]


# --- 6. Size limits in the schema -----------------------------------------------------------


def short_with(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load(SHORT.read_text(encoding="utf-8"))
    data["source"]["last_updated"] = str(data["source"]["last_updated"])
    data.update(changes)
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, width=10**9), encoding="utf-8")
    return path


@pytest.mark.parametrize(("changes", "message"), [
    (dict(about={"heading": "About", "lines": ["Fish & <b>chips</b>. " * 5_000]}),
     "about.lines.0: longer than 2,000 characters"),
    (dict(about={"heading": "About " * 400, "lines": ["Fine."]}), "about.heading: longer than 2,000 characters"),
    (dict(about={"heading": "About", "lines": ["Fine."] * 101}), "about.lines: 101 items; at most 100"),
    (dict(glossary={f"term{n}": "a word" for n in range(150)}), "glossary: 150 items; at most 100"),
])
def test_content_over_a_size_limit_fails_fast_with_its_line(cli_runner, tmp_path, changes, message):
    path = short_with(tmp_path, **changes)
    started = time.monotonic()
    result = invoke(cli_runner, "build", path, "-a", "adult", "-o", tmp_path / "x.pdf")
    assert time.monotonic() - started < 2  # before: 100 KB of markup in one line took minutes
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_a_file_far_over_any_real_leaflet_is_refused_before_parsing(cli_runner, tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("# padding\n" * 30_000, encoding="utf-8")
    result = invoke(cli_runner, "validate", path)
    assert result.exit_code == 2 and "too large for a YAML file" in result.output


def test_content_at_the_limits_still_builds(tmp_path):
    text = ("Fish & chips <b>are</b> fine. " * 80)[:2000].strip()
    path = short_with(tmp_path, about={"heading": "About", "lines": [text] * 20})
    rendered = render_request(Request(path, "adult"))
    assert rendered.pages > 3 and "Fish & chips <b>are</b> fine." in pdf_text(rendered.pdf)  # printed as written


# --- 8. No personal values in messages ------------------------------------------------------


def test_messages_name_row_column_and_code_points_never_a_personal_value(cli_runner, tmp_path):
    manifest = write_manifest(tmp_path / "night.csv", [
        dict(content=str(SHORT), audience="adult", patient_name="\U00013000\U00013001", output="a.pdf"),
        dict(content=str(SHORT), audience="adult", output="../Jane Secretname.pdf"),
        dict(content=str(SHORT), audience="adult", patient_age="Jane Secretname"),
        dict(content=str(SHORT), audience="adult", patient_age="7.25"),
        dict(content=str(SHORT), audience="adult", output="Secretname Twice.pdf"),
        dict(content=str(SHORT), audience="adult", output="secretname twice.pdf"),
        dict(content=str(SHORT), audience="adult", output="Jane Secretname.pdf"),
    ])
    out = tmp_path / "out"
    out.mkdir()
    (out / "Jane_Secretname.pdf").write_bytes(b"%PDF- not ours")
    result = invoke(cli_runner, "batch", manifest, "--out-dir", out, "-j", "1", "--report", tmp_path / "r.json")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if " row " in line]
    assert len(errors) == 7
    report = (tmp_path / "r.json").read_text(encoding="utf-8")
    messages = "\n".join(errors) + "".join(entry["error"] for entry in json.loads(report)["rows"])
    for secret in ("\U00013000", "\U00013001", "Jane", "Secretname", "secretname", "7.25"):
        assert secret not in messages
    assert "row 2: patient_name: no available font can draw the character(s) U+13000, U+13001" in result.output
    assert "row 3: output: points outside the output folder" in result.output
    assert "row 4: patient_age: not a number" in result.output
    assert "row 5: patient_age: outside the adult audience" in result.output
    assert "row 6: output: the same file as row 7" in result.output
    assert "row 8: output: the file already exists and was not made by leaflet batch" in result.output


# --- The technician's day -------------------------------------------------------------------


def test_extra_columns_are_carried_into_the_report_with_one_warning(cli_runner, tmp_path):
    manifest = write_manifest(tmp_path / "export.csv", [
        {"Rx number": "RX-104233", "content": str(SHORT), "audience": "adult", "DOB": "1980-02-01", "output": "a.pdf"},
        {"Rx number": "RX-104234", "content": str(SHORT), "audience": "kids", "DOB": "2019-05-06", "output": "b.pdf"},
    ])
    for kind in ("csv", "json"):
        report = tmp_path / f"r.{kind}"
        result = invoke(cli_runner, "batch", manifest, "--out-dir", tmp_path / "out", "-j", "1", "--report", report)
        assert result.exit_code == 1
        warnings = [line for line in result.output.splitlines() if "not leaflet's" in line]
        assert warnings == [f"leaflet batch: {manifest}: columns 'Rx number', 'DOB' are not leaflet's; "
                            f"copied as they are into {report}"]
    rows = read_report(tmp_path / "r.csv")
    assert list(rows[0])[:3] == ["row", "Rx number", "DOB"]
    assert [(row["Rx number"], row["DOB"], row["status"]) for row in rows] == [
        ("RX-104233", "1980-02-01", "built"), ("RX-104234", "2019-05-06", "failed")]
    entries = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["rows"]
    assert entries[1]["Rx number"] == "RX-104234" and entries[1]["status"] == "failed"


@pytest.mark.parametrize(("column", "suggestion"), [("patient_nmae", "patient_name"), ("Audiance", "audience"),
                                                    ("pagesize", "page_size")])
def test_a_misspelt_known_column_is_still_an_error_with_a_suggestion(cli_runner, tmp_path, column, suggestion):
    header = ["content", "audience", column] if column != "Audiance" else ["content", column]
    manifest = write_manifest(tmp_path / "m.csv", [dict.fromkeys(header, "")], header)
    result = invoke(cli_runner, "batch", manifest, "--out-dir", tmp_path / "out")
    assert result.exit_code == 2
    assert f"unknown column {column!r} (did you mean {suggestion!r}?)" in result.output


def test_the_report_opens_cleanly_in_a_spreadsheet(cli_runner, tmp_path):
    manifest = write_manifest(tmp_path / "m.csv", [
        dict(content=str(SHORT), audience="adult", patient_name="Zoë", output="a.pdf"),
        dict(content=str(SHORT), audience="kids", output="b.pdf"),
    ])
    report = tmp_path / "r.csv"
    invoke(cli_runner, "batch", manifest, "--out-dir", tmp_path / "out", "-j", "1", "--report", report)
    assert report.read_bytes().startswith(b"\xef\xbb\xbfrow,status,error,output,pages,sha256,input_hash\r\n")
    first, second = read_report(report)
    assert first["status"] == "built" and first["output"].endswith("a.pdf")
    assert second["status"] == "failed" and second["output"] == "" and "audience" in second["error"]
    again = invoke(cli_runner, "batch", manifest, "--out-dir", tmp_path / "out", "-j", "1", "--report", report)
    assert "1 up to date" in again.output
    assert [row["status"] for row in read_report(report)] == ["up to date", "failed"]


def test_merge_built_only_leaves_out_what_was_already_printed(cli_runner, tmp_path):
    rows = [dict(content=str(SHORT), audience="adult", output="a.pdf"),
            dict(content=str(SHORT), audience="caregiver", output="b.pdf")]
    manifest = write_manifest(tmp_path / "m.csv", rows)
    args = ["batch", manifest, "--out-dir", tmp_path / "out", "-j", "1", "--merge", tmp_path / "print.pdf"]
    assert "merged 2 leaflet(s)" in invoke(cli_runner, *args).output
    write_manifest(manifest, [*rows, dict(content=str(SHORT), audience="adolescent", output="c.pdf")])
    only_new = invoke(cli_runner, *args, "--merge-built-only")
    assert "merged 1 leaflet(s)" in only_new.output
    assert "merged 3 leaflet(s)" in invoke(cli_runner, *args).output  # the default: the whole night


def test_a_relative_content_path_names_the_folder_searched(cli_runner, tmp_path):
    copied = tmp_path / "copied"
    copied.mkdir()
    manifest = write_manifest(copied / "m.csv", [dict(content="content/dupixent.yaml", audience="adult",
                                                      style="styles/ours.yaml")])
    result = invoke(cli_runner, "batch", manifest, "--out-dir", tmp_path / "out")
    assert result.exit_code == 1
    assert (f"content: content/dupixent.yaml: file not found (a relative path is read from the manifest's folder: "
            f"looked for {copied / 'content' / 'dupixent.yaml'})") in result.output
    assert (f"style: styles/ours.yaml: file not found (a relative path is read from the manifest's folder: "
            f"looked for {copied / 'styles' / 'ours.yaml'})") in result.output


def test_a_relative_content_path_not_found_offers_the_close_name(cli_runner, tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "dupixent.yml").write_text("not read")
    manifest = write_manifest(tmp_path / "m.csv", [dict(content="content/dupixent.yaml", audience="adult")])
    result = invoke(cli_runner, "batch", manifest, "--out-dir", tmp_path / "out")
    assert result.exit_code == 1
    assert (f"looked for {tmp_path / 'content' / 'dupixent.yaml'}) (did you mean 'dupixent.yml'?)"
            in result.output)


def test_build_names_variants_apart_and_adds_pdf(cli_runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    invoke(cli_runner, "build", SHORT, "-a", "caregiver")
    invoke(cli_runner, "build", SHORT, "-a", "caregiver", "--style", "large-print", "--page-size", "letter")
    invoke(cli_runner, "build", SHORT, "-a", "caregiver", "--page-size", "letter")
    style = tmp_path / "My Clinic.yaml"
    style.write_text((ROOT / "styles" / "standard.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    invoke(cli_runner, "build", SHORT, "-a", "caregiver", "--style", style)
    assert sorted(path.name for path in (tmp_path / "output").iterdir()) == [
        "shortamol-caregiver-large-print-letter.pdf", "shortamol-caregiver-letter.pdf",
        "shortamol-caregiver-my-clinic.pdf", "shortamol-caregiver.pdf"]
    result = invoke(cli_runner, "build", SHORT, "-a", "adult", "-o", tmp_path / "jo")
    assert result.exit_code == 0 and f"wrote {tmp_path / 'jo.pdf'}" in result.output
    assert (tmp_path / "jo.pdf").read_bytes().startswith(b"%PDF-") and not (tmp_path / "jo").exists()


def short_edited(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = SHORT.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "edited.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("edits", "expected"), [
    ([("  heading: Key points", "\theading: Key points")],
     ["edited.yaml:10: line 10 starts with a tab; indent with spaces"]),
    ([("  heading: Key points", "  heading Key points")],
     ["edited.yaml:10: line 10 has no ':' after its key"]),
    ([("min_age_years: 3}", 'min_age_years: "3"}')],
     ["edited.yaml:23: uses.items.0.applies.min_age_years: should be a number written without quotes (got '3')"]),
    ([("disclaimer:", "disclamer:"), ("  heading: Key points", "  headng: Key points"),
      ("min_age_years: 3}", 'min_age_years: "3"}')],
     ["edited.yaml:10: key_points.headng: unknown key (did you mean 'heading'?)",
      "edited.yaml:23: uses.items.0.applies.min_age_years: should be a number written without quotes",
      "edited.yaml:37: disclamer: unknown key (did you mean 'disclaimer'?)"]),
])
def test_yaml_problems_in_plain_words_at_the_right_line_in_line_order(cli_runner, tmp_path, edits, expected):
    result = invoke(cli_runner, "validate", short_edited(tmp_path, *edits))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == len(expected), result.output
    for line, start in zip(lines, expected, strict=True):
        assert start in line


def test_a_reader_that_crashes_is_one_line_not_a_dead_run(cli_runner, tmp_path, monkeypatch):
    from leaflet import check

    monkeypatch.setattr(check, "_read_text", lambda *args: os.kill(os.getpid(), signal.SIGSEGV))
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(hostile_pdfs.parent_cycle())
    result = invoke(cli_runner, "check", pdf, "-c", DUPIXENT, "-a", "adult")
    assert result.exit_code == 3 and "the reader crashed on it: SIGSEGV" in result.output


def test_build_names_code_points_not_the_patient_s_name_or_directions(cli_runner, tmp_path):
    for option, value in (("--patient-name", "\U00013000"), ("--directions", "Take \U00013000 daily")):
        result = invoke(cli_runner, "build", SHORT, "-a", "adult", option, value, "-o", tmp_path / "x.pdf")
        assert result.exit_code == 2 and "U+13000" in result.output and "\U00013000" not in result.output


def test_no_process_to_read_with_is_one_line(cli_runner, tmp_path, monkeypatch):
    def no_fork():
        raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))

    monkeypatch.setattr(os, "fork", no_fork)
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(hostile_pdfs.parent_cycle())
    result = invoke(cli_runner, "check", pdf, "-c", DUPIXENT, "-a", "adult")
    assert result.exit_code == 2 and "cannot start a process to read the PDF" in result.output


def test_a_pdf_with_far_more_text_than_a_leaflet_is_refused_before_comparing(cli_runner, tmp_path):
    pdf = tmp_path / "wordy.pdf"
    pdf.write_bytes(hostile_pdfs.huge_string(megabytes=2))  # reads quickly, but 2 million characters
    result = invoke(cli_runner, "check", pdf, "-c", DUPIXENT, "-a", "adult")
    assert result.exit_code == 3 and "characters of text; a leaflet holds a few thousand" in result.output
