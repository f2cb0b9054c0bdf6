"""`leaflet batch`: good rows built and read back, bad rows reported, nothing lost or half-written."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from conftest import DUPIXENT, FIXTURES
from leaflet.batch import Shard
from leaflet.cli import cli
from leaflet.errors import LeafletError
from leaflet.manifest import safe_output_name

SHORT = FIXTURES / "batch" / "short.yaml"  # a one-page leaflet
HEADER = ["content", "audience", "patient_age", "patient_weight", "patient_name", "pharmacy", "pharmacy_phone",
          "output"]
LEAFLET = [sys.executable, "-c", "from leaflet.cli import main; main()"]


def write_manifest(path: Path, rows: list[dict], header: list[str] = HEADER, encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def batch(cli_runner, *args: str):
    result = cli_runner.invoke(cli, ["batch", *map(str, args)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def text_of(path: Path) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(path).pages))


def pdfs(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".pdf"))


def leftovers(folder: Path) -> list[str]:
    return [str(path) for path in folder.rglob("*.part")]


def summary_line(output: str) -> str:
    return [line for line in output.splitlines() if line.startswith("leaflet batch: ") and " rows: " in line][-1]


# --- Good and bad rows --------------------------------------------------------------------


def test_good_rows_are_built_and_every_bad_row_is_reported(cli_runner, tmp_path):
    content = str(DUPIXENT)
    rows = [
        dict(content=content, audience="adult", patient_age="40", patient_weight="70", patient_name="Zoë Smith",
             pharmacy="Main Street Pharmacy", pharmacy_phone="01632 960 000", output="zoe.pdf"),
        dict(content=content, audience="caregiver", patient_age="4", patient_weight="16",
             patient_name="Łukasz <b>&amp;</b> Ayşe", pharmacy="Apteka & Co"),
        dict(content=content, audience="adolescent", patient_age="15", patient_name="Ngọc Дмитрий"),
        dict(content=content, audience="kids", output="bad-audience.pdf"),  # row 5
        dict(content=content, audience="adult", patient_age="200"),  # row 6
        dict(content=str(tmp_path / "missing.yaml"), audience="adult"),  # row 7
        dict(content=content, audience="adult", output="../escape.pdf"),  # row 8
        dict(content=content, audience="adult", patient_name="བཀྲ་ཤིས"),  # row 9: Tibetan, which no font here draws
        dict(content=content, audience="adult", output="Twice.pdf"),  # row 10
        dict(content=content, audience="adult", output="twice.pdf"),  # row 11: same file on a case-blind disk
    ]
    manifest = write_manifest(tmp_path / "tonight.csv", rows, encoding="utf-8-sig")  # with a spreadsheet's BOM
    out = tmp_path / "out"
    result = batch(cli_runner, manifest, "--out-dir", out, "--jobs", "2", "--report", tmp_path / "report.json")

    assert result.exit_code == 1, result.output
    assert pdfs(out) == ["00003-dupixent-caregiver.pdf", "00004-dupixent-adolescent.pdf", "zoe.pdf"]
    zoe = text_of(out / "zoe.pdf")
    assert "Dupixent" in zoe and "Prepared for Zoë Smith" in zoe
    assert "Main Street Pharmacy" in zoe and "01632 960 000" in zoe
    caregiver = text_of(out / "00003-dupixent-caregiver.pdf")
    assert "Prepared for Łukasz <b>&amp;</b> Ayşe" in caregiver and "Apteka & Co" in caregiver
    assert "Prepared for Ngọc Дмитрий" in text_of(out / "00004-dupixent-adolescent.pdf")

    errors = {int(m[1]): m[2] for m in re.finditer(r"tonight\.csv row (\d+): (.*)", result.output)}
    assert sorted(errors) == [5, 6, 7, 8, 9, 10, 11]
    assert "audience 'kids'" in errors[5]
    assert "patient_age: not a possible age" in errors[6]
    assert "missing.yaml: file not found" in errors[7]
    assert "outside the output folder" in errors[8]
    assert "patient_name: no available font can draw the character(s) U+0F56, U+0F40" in errors[9]
    assert "བ" not in result.output  # the code points are named, the name is not echoed
    assert "the same file as row 11" in errors[10] and "the same file as row 10" in errors[11]
    assert not (tmp_path / "escape.pdf").exists()
    assert summary_line(result.output).startswith("leaflet batch: 10 rows: 3 built, 0 up to date, 7 failed")

    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    by_row = {entry["row"]: entry for entry in report["rows"]}
    assert sorted(by_row) == list(range(2, 12))
    assert {row for row, entry in by_row.items() if entry["status"] == "built"} == {2, 3, 4}
    zoe_row = by_row[2]
    assert zoe_row["output"] == str(out / "zoe.pdf") and zoe_row["pages"] == len(PdfReader(out / "zoe.pdf").pages)
    assert zoe_row["sha256"] == hashlib.sha256((out / "zoe.pdf").read_bytes()).hexdigest()
    assert by_row[9]["status"] == "failed" and "U+0F56" in by_row[9]["error"]
    assert report["summary"]["failed"] == 7 and report["summary"]["exit_code"] == 1
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("header, message", [
    (["content", "audience", "patient_nmae"], "unknown column 'patient_nmae'"),
    (["content", "patient_age"], "missing required column 'audience'"),
    (["content", "audience", "Audience"], "'audience' given more than once"),
])
def test_a_bad_header_is_one_clear_error_before_anything_is_built(cli_runner, tmp_path, header, message):
    manifest = tmp_path / "m.csv"
    manifest.write_text(",".join(header) + "\n" + ",".join([str(SHORT), "adult", "40"][:len(header)]) + "\n")
    result = batch(cli_runner, manifest, "--out-dir", tmp_path / "out")
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() or pdfs(tmp_path / "out") == []


def test_spreadsheet_exports_semicolons_spaced_headers_and_decimal_commas(cli_runner, tmp_path):
    (tmp_path / "content").mkdir()
    shutil.copy(SHORT, tmp_path / "content" / "short.yaml")
    manifest = tmp_path / "export.csv"  # content paths are relative to the manifest's folder
    manifest.write_bytes("\ufeffContent;Audience;Patient Age;Patient weight;Patient name\r\n"
                         "content/short.yaml;Caregiver;4,5;17,5;Zoë\r\n;;;;\r\n".encode("utf-8"))
    result = batch(cli_runner, manifest, "--out-dir", tmp_path / "out", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert pdfs(tmp_path / "out") == ["00002-short-caregiver.pdf"]
    assert "Prepared for Zoë" in text_of(tmp_path / "out" / "00002-short-caregiver.pdf")


@pytest.mark.parametrize("body, message", [
    (b"", "no header row"),
    (b"content,audience\nx.yaml,adult\nZo\xeb.yaml,adult\n", "not UTF-8 text"),
])
def test_an_empty_or_unreadable_manifest_is_one_clear_error(cli_runner, tmp_path, body, message):
    manifest = tmp_path / "m.csv"
    manifest.write_bytes(body)
    result = batch(cli_runner, manifest, "--out-dir", tmp_path / "out")
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_manifest_with_no_rows_is_an_empty_night_not_an_error(cli_runner, tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_bytes(b"content,audience\n")
    result = batch(cli_runner, manifest, "--out-dir", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "0 rows: 0 built" in summary_line(result.output)


@pytest.mark.parametrize("raw, safe", [
    ("Jane Doe.pdf", "Jane_Doe.pdf"),
    ("zoë", "zoë.pdf"),
    ("ab:c*d?.PDF", "ab_c_d.pdf"),
    ("report.final", "report.final.pdf"),
])
def test_output_names_are_made_safe(raw, safe):
    assert safe_output_name(raw) == safe


@pytest.mark.parametrize("raw", ["../x.pdf", "/etc/cron.d/x", "C:\\x.pdf", "sub/x.pdf", "..", ".hidden.pdf",
                                 "~/x.pdf", "bell\a.pdf", "???", "x" * 300])
def test_output_names_that_could_escape_or_hide_are_refused(raw):
    with pytest.raises(ValueError):
        safe_output_name(raw)


# --- Resume ----------------------------------------------------------------------------------


def _three_rows(content: Path, second_name: str = "Ayşe") -> list[dict]:
    return [dict(content=str(content), audience="adult", patient_name="Zoë", output="a.pdf"),
            dict(content=str(content), audience="adult", patient_name=second_name, output="b.pdf"),
            dict(content=str(content), audience="caregiver", patient_age="5", output="c.pdf")]


def _stamp(folder: Path) -> dict[str, tuple[int, str]]:
    return {name: ((folder / name).stat().st_mtime_ns, hashlib.sha256((folder / name).read_bytes()).hexdigest())
            for name in pdfs(folder)}


def test_a_rerun_resumes_rebuilds_what_changed_and_force_rebuilds_all(cli_runner, tmp_path):
    content = tmp_path / "short.yaml"
    shutil.copy(SHORT, content)
    manifest = write_manifest(tmp_path / "m.csv", _three_rows(content))
    out = tmp_path / "out"
    args = (manifest, "--out-dir", out, "--jobs", "1")

    first = batch(cli_runner, *args)
    assert first.exit_code == 0, first.output
    assert "3 built, 0 up to date" in summary_line(first.output)
    before = _stamp(out)

    again = batch(cli_runner, *args)
    assert again.exit_code == 0 and "0 built, 3 up to date" in summary_line(again.output)
    assert _stamp(out) == before

    write_manifest(manifest, _three_rows(content, second_name="Ayşe Yılmaz"))
    changed = batch(cli_runner, *args)
    assert changed.exit_code == 0 and "1 built, 2 up to date" in summary_line(changed.output)
    after = _stamp(out)
    assert [name for name in before if after[name] != before[name]] == ["b.pdf"]
    assert "Prepared for Ayşe Yılmaz" in text_of(out / "b.pdf")

    content.write_text(content.read_text() + "# a comment changes nothing printed\n")
    assert "0 built, 3 up to date" in summary_line(batch(cli_runner, *args).output)
    data = yaml.safe_load(content.read_text())
    data["source"]["reviewer"] = "Another Reviewer"
    content.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert "3 built, 0 up to date" in summary_line(batch(cli_runner, *args).output)

    forced = batch(cli_runner, *args, "--force")
    assert forced.exit_code == 0 and "3 built, 0 up to date" in summary_line(forced.output)


def test_a_file_the_tool_did_not_make_is_not_overwritten_without_force(cli_runner, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.pdf").write_bytes(b"the pharmacist's own file")
    manifest = write_manifest(tmp_path / "m.csv", _three_rows(SHORT))
    result = batch(cli_runner, manifest, "--out-dir", out, "--jobs", "1", "--report", tmp_path / "r.csv")
    assert result.exit_code == 1
    assert re.search(r"m\.csv row 3: output: the file already exists and was not made by leaflet batch.*--force",
                     result.output)
    assert (out / "b.pdf").read_bytes() == b"the pharmacist's own file"
    assert pdfs(out) == ["a.pdf", "b.pdf", "c.pdf"]
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as handle:
        statuses = {row["row"]: row["status"] for row in csv.DictReader(handle)}
    assert statuses == {"2": "built", "3": "failed", "4": "built"}

    # A leaflet the tool made and someone then edited is not its own any more, either.
    (out / "a.pdf").write_bytes((out / "a.pdf").read_bytes() + b"\n% edited by hand\n")
    result = batch(cli_runner, manifest, "--out-dir", out, "--jobs", "1")
    assert result.exit_code == 1 and "row 2:" in result.output and "row 3:" in result.output

    forced = batch(cli_runner, manifest, "--out-dir", out, "--jobs", "1", "--force")
    assert forced.exit_code == 0 and "3 built, 0 up to date" in summary_line(forced.output)
    assert "Shortamol" in text_of(out / "b.pdf")


# --- Merge and shards -------------------------------------------------------------------------


def test_merge_starts_every_leaflet_on_a_right_hand_page_with_one_bookmark_each(cli_runner, tmp_path):
    rows = [dict(content=str(SHORT), audience="adult", patient_name="Zoë"),
            dict(content=str(DUPIXENT), audience="adult", patient_name="Дмитрий"),
            dict(content=str(SHORT), audience="caregiver", patient_age="4"),
            dict(content=str(SHORT), audience="kids"),  # fails: not in the merged file
            dict(content=str(SHORT), audience="adolescent")]
    manifest = write_manifest(tmp_path / "m.csv", rows)
    out = tmp_path / "out"
    result = batch(cli_runner, manifest, "--out-dir", out, "--jobs", "2", "--merge", tmp_path / "print.pdf")
    assert result.exit_code == 1  # the bad row

    merged = PdfReader(tmp_path / "print.pdf")
    built = ["00002-short-adult.pdf", "00003-dupixent-adult.pdf", "00004-short-caregiver.pdf",
             "00006-short-adolescent.pdf"]
    assert pdfs(out) == built
    counts = [len(PdfReader(out / name).pages) for name in built]
    marks = [mark for mark in merged.outline if not isinstance(mark, list)]  # a list: a leaflet's sections
    starts = [merged.get_destination_page_number(mark) for mark in marks]
    assert len(marks) == len(built)
    assert all(start % 2 == 0 for start in starts)  # page index 0, 2, ...: odd page numbers
    expected, page = [], 0
    for count in counts:
        expected.append(page)
        page += count + count % 2
    assert starts == expected
    assert len(merged.pages) == expected[-1] + counts[-1]
    assert [mark.title for mark in marks][:2] == ["Row 2 – Zoë – 00002-short-adult.pdf",
                                                           "Row 3 – Дмитрий – 00003-dupixent-adult.pdf"]
    assert "Prepared for Дмитрий" in merged.pages[starts[1]].extract_text()
    assert merged.pages[1].extract_text().strip() == ""  # the blank back of the one-page leaflet
    assert f"merged 4 leaflet(s), {len(merged.pages)} pages" in result.output
    if shutil.which("pdftoppm"):  # a second, independent reader agrees the file is sound
        check = subprocess.run(["pdftoppm", "-png", "-r", "10", "-f", "3", "-l", "3", tmp_path / "print.pdf",
                                tmp_path / "page"], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stderr, check.stderr


def test_shards_are_disjoint_and_together_cover_every_row(cli_runner, tmp_path):
    rows = [dict(content=str(SHORT), audience=audience, patient_name=f"Patient {index}")
            for index, audience in enumerate(["adult", "adolescent", "caregiver"] * 3)]
    manifest = write_manifest(tmp_path / "m.csv", rows)
    out = tmp_path / "shared"
    seen: list[set[int]] = []
    for index in range(3):
        result = batch(cli_runner, manifest, "--out-dir", out, "--jobs", "1", "--shard", f"{index}/3",
                       "--report", tmp_path / "report.csv")
        assert result.exit_code == 0, result.output
        with open(tmp_path / f"report.shard-{index}-of-3.csv", newline="", encoding="utf-8-sig") as handle:
            seen.append({int(row["row"]) for row in csv.DictReader(handle)})
    assert all(len(shard) == 3 for shard in seen)
    assert seen[0].isdisjoint(seen[1]) and seen[1].isdisjoint(seen[2]) and seen[0].isdisjoint(seen[2])
    assert set().union(*seen) == set(range(2, 11))
    assert len(pdfs(out)) == 9
    assert not (tmp_path / "report.csv").exists()
    # Splitting is a pure function of the row number: the same every time, everywhere.
    assert [Shard(1, 3).owns(row) for row in range(2, 8)] == [False, True, False, False, True, False]


@pytest.mark.parametrize("text", ["3/3", "1", "a/b", "0/0", "-1/2"])
def test_a_bad_shard_is_refused(text):
    with pytest.raises(LeafletError, match="--shard"):
        Shard.parse(text)


# --- Interruptions ----------------------------------------------------------------------------


def _start(tmp_path: Path, rows: int = 150) -> tuple[subprocess.Popen, Path, Path]:
    manifest = write_manifest(tmp_path / "m.csv", [
        dict(content=str(DUPIXENT), audience="adult", patient_name=f"Patient {index}") for index in range(rows)])
    out = tmp_path / "out"
    process = subprocess.Popen([*LEAFLET, "batch", str(manifest), "--out-dir", str(out), "--jobs", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while (not out.is_dir() or len(pdfs(out)) < 3) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert process.poll() is None, "the batch finished before it could be interrupted"
    return process, manifest, out


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _assert_every_pdf_is_whole(out: Path) -> None:
    """Every PDF in the folder is complete and is exactly what the tool recorded for it."""
    for name in pdfs(out):
        data = (out / name).read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), name
        state = json.loads((out / ".leaflet-state" / f"{name}.json").read_text())
        assert hashlib.sha256(data).hexdigest() == state["sha256"], name


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")


@needs_proc
def test_killing_a_worker_loses_no_row_and_leaves_no_partial_pdf(tmp_path):
    process, _manifest, out = _start(tmp_path)
    workers = _children(process.pid)
    assert workers
    os.kill(workers[0], signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    # Rows the lost pool had finished are found up to date when their chunk is retried.
    built, skipped, failed = map(int, re.search(r"(\d+) built, (\d+) up to date, (\d+) failed", stdout).groups())
    assert built + skipped == 150 and failed == 0
    assert len(pdfs(out)) == 150
    _assert_every_pdf_is_whole(out)
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers inherit the patch only when forked")
def test_a_row_that_kills_its_worker_fails_alone_and_every_other_row_is_built(cli_runner, tmp_path, monkeypatch):
    from leaflet import batch as batch_module

    real = batch_module.build_row

    def crash_on_row_7(job, out_dir, force, verify=False):
        if job.row == 7:
            os._exit(1)  # as a segfault or the out-of-memory killer would
        return real(job, out_dir, force, verify)

    monkeypatch.setattr(batch_module, "build_row", crash_on_row_7)
    rows = [dict(content=str(SHORT), audience="adult", patient_name=f"Patient {index}") for index in range(12)]
    manifest = write_manifest(tmp_path / "m.csv", rows)
    result = batch(cli_runner, manifest, "--out-dir", tmp_path / "out", "--jobs", "2")
    assert result.exit_code == 1
    assert re.findall(r"m\.csv row (\d+): (.*)", result.output) == [
        ("7", "not built: the worker process building this row alone died (killed, out of memory, or a crash); "
              "the other rows were built")]
    # A row the other worker finished just before the pool broke is retried and found up to date.
    counts = re.search(r"12 rows: (\d+) built, (\d+) up to date, 1 failed", summary_line(result.output))
    assert counts and int(counts[1]) + int(counts[2]) == 11, result.output
    assert len(pdfs(tmp_path / "out")) == 11
    _assert_every_pdf_is_whole(tmp_path / "out")


@needs_proc
def test_killing_the_parent_leaves_no_partial_pdf_and_a_rerun_finishes(tmp_path):
    process, manifest, out = _start(tmp_path)
    workers = _children(process.pid)
    process.kill()
    process.wait(timeout=10)
    def alive(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 10  # the workers are told (PR_SET_PDEATHSIG) and stop too
    while any(map(alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(map(alive, workers)), "orphaned workers"
    done = len(pdfs(out))
    assert 3 <= done < 150
    _assert_every_pdf_is_whole(out)

    rerun = subprocess.run([*LEAFLET, "batch", str(manifest), "--out-dir", str(out), "--jobs", "2"],
                           capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    built, skipped = map(int, re.search(r"(\d+) built, (\d+) up to date", rerun.stdout).groups())
    assert built + skipped == 150 and skipped == done  # every finished PDF is known as the tool's own
    _assert_every_pdf_is_whole(out)
    assert leftovers(tmp_path) == []


@needs_proc
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_stops_cleanly_and_reports_what_was_not_built(tmp_path, signum, code):
    process, manifest, out = _start(tmp_path)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr
    assert "run the same command again" in stderr
    built, interrupted = map(int, re.search(r"(\d+) built, .* (\d+) not built \(interrupted\)", stdout).groups())
    assert built + interrupted == 150 and built == len(pdfs(out))
    _assert_every_pdf_is_whole(out)
    assert leftovers(tmp_path) == []


# --- Verify ----------------------------------------------------------------------------------


def test_verify_passes_good_leaflets_and_fails_a_row_that_lost_a_safety_line(cli_runner, tmp_path, monkeypatch):
    rows = [dict(content=str(DUPIXENT), audience=audience, output=f"{audience}.pdf")
            for audience in ("caregiver", "adolescent", "adult")]
    manifest = write_manifest(tmp_path / "m.csv", rows)
    result = batch(cli_runner, manifest, "--out-dir", tmp_path / "good", "--jobs", "1", "--verify")
    assert result.exit_code == 0, result.output
    assert pdfs(tmp_path / "good") == ["adolescent.pdf", "adult.pdf", "caregiver.pdf"]

    # A layout bug that drops the disclaimer from the adult leaflet only.
    from leaflet import build, layout

    real_render = layout.render

    def lossy_render(leaflet, *args, **kwargs):
        if leaflet.audience.name == "adult":
            leaflet = __import__("dataclasses").replace(leaflet, disclaimer="Nothing to see here.")
        return real_render(leaflet, *args, **kwargs)

    monkeypatch.setattr(build, "render", lossy_render)
    result = batch(cli_runner, manifest, "--out-dir", tmp_path / "bad", "--jobs", "1", "--verify")
    assert result.exit_code == 1
    assert "row 4" in result.output and "verify failed: missing safety line disclaimer" in result.output
    assert pdfs(tmp_path / "bad") == ["adolescent.pdf", "caregiver.pdf"]  # nothing written for the bad row


def test_report_and_merge_never_replace_a_file_the_tool_did_not_write(cli_runner, tmp_path):
    manifest = write_manifest(tmp_path / "m.csv", [dict(content=str(SHORT), audience="adult")])
    original = manifest.read_bytes()
    result = batch(cli_runner, manifest, "--out-dir", tmp_path / "out", "--report", manifest)
    assert result.exit_code == 2 and "is the manifest itself" in result.output
    assert manifest.read_bytes() == original

    precious = tmp_path / "precious.pdf"
    precious.write_bytes(b"%PDF-1.4 someone else's file")
    result = batch(cli_runner, manifest, "--out-dir", tmp_path / "out", "--merge", precious)
    assert result.exit_code == 2 and "was not written by leaflet batch" in result.output
    assert precious.read_bytes() == b"%PDF-1.4 someone else's file"
    assert not (tmp_path / "out").exists() or pdfs(tmp_path / "out") == []  # refused before building

    # Its own report and merged PDF are replaced on a re-run, and --force replaces any file.
    for _ in range(2):
        result = batch(cli_runner, manifest, "--out-dir", tmp_path / "out", "--merge", tmp_path / "print.pdf",
                       "--report", tmp_path / "report.csv")
        assert result.exit_code == 0, result.output
    result = batch(cli_runner, manifest, "--out-dir", tmp_path / "out", "--merge", precious, "--force")
    assert result.exit_code == 0 and precious.read_bytes().startswith(b"%PDF")


# --- Found in review ---------------------------------------------------------------------------


def test_rerunning_with_a_large_merge_replaces_its_own_printer_file(cli_runner, tmp_path):
    rows = [dict(content=str(SHORT), audience="adult", patient_name=f"P{index}") for index in range(24)]
    manifest = write_manifest(tmp_path / "m.csv", rows)
    for _ in range(2):  # the second run must recognise the 24-leaflet merge as its own
        result = batch(cli_runner, manifest, "--out-dir", tmp_path / "out", "--merge", tmp_path / "print.pdf")
        assert result.exit_code == 0, result.output
    # When nothing is merged, last run's printer file is removed rather than left to be printed.
    bad = write_manifest(tmp_path / "bad.csv", [dict(content=str(SHORT), audience="kids")])
    result = batch(cli_runner, bad, "--out-dir", tmp_path / "out2", "--merge", tmp_path / "print.pdf")
    assert result.exit_code == 1
    assert not (tmp_path / "print.pdf").exists()


def test_an_unclosed_quote_is_an_error_not_names_swallowed(cli_runner, tmp_path):
    manifest = tmp_path / "q.csv"
    manifest.write_text(f'content,audience,patient_name\n{SHORT},adult,"Bob the ""quoted\n{SHORT},adult,Ann\n')
    result = batch(cli_runner, manifest, "--out-dir", tmp_path / "out")
    assert result.exit_code == 2 and "not valid CSV" in result.output
    assert not (tmp_path / "out").exists() or pdfs(tmp_path / "out") == []


def test_odd_cells_fail_their_row_only(cli_runner, tmp_path):
    manifest = tmp_path / "odd.csv"
    manifest.write_text(
        "content,audience,patient_age,patient_name,output\n"
        f"{SHORT}\x00,adult,,,nul-byte.pdf\n"          # row 2: NUL in a path
        f"{SHORT},adult,4_0,,underscore.pdf\n"        # row 3: not a plain number
        f'{SHORT},adult,,"Ann\nBrown",newline.pdf\n'  # row 4: a line break in a name
        f"{SHORT},adult,,,NUL\n"                      # row 5: a Windows device name
        f"{SHORT},adult,40,,good.pdf\n", encoding="utf-8")
    result = batch(cli_runner, manifest, "--out-dir", tmp_path / "out")
    assert result.exit_code == 1
    assert "row 2: content" in result.output and "not a possible file name" in result.output
    assert "row 3: patient_age: not a number" in result.output
    assert "row 4: patient_name: contains a line break" in result.output
    assert pdfs(tmp_path / "out") == ["_NUL.pdf", "good.pdf"]


def test_an_output_that_is_a_pipe_fails_its_row_instead_of_hanging(cli_runner, tmp_path):
    (tmp_path / "out").mkdir()
    os.mkfifo(tmp_path / "out" / "a.pdf")
    manifest = write_manifest(tmp_path / "m.csv", [dict(content=str(SHORT), audience="adult", output="a.pdf"),
                                                   dict(content=str(SHORT), audience="adult", output="b.pdf")])
    result = batch(cli_runner, manifest, "--out-dir", tmp_path / "out", "--jobs", "1", "--force")
    assert result.exit_code == 1 and "not a regular file" in result.output
    assert (tmp_path / "out" / "a.pdf").is_fifo() and (tmp_path / "out" / "b.pdf").is_file()


def test_a_foreign_file_put_back_after_a_forced_run_is_not_overwritten(cli_runner, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.pdf").write_bytes(b"%PDF-1.4 foreign")
    manifest = write_manifest(tmp_path / "m.csv", [dict(content=str(SHORT), audience="adult", output="a.pdf")])
    assert batch(cli_runner, manifest, "--out-dir", out, "--force").exit_code == 0
    (out / "a.pdf").write_bytes(b"%PDF-1.4 foreign")
    result = batch(cli_runner, manifest, "--out-dir", out)
    assert result.exit_code == 1 and "was not made by leaflet batch" in result.output
    assert (out / "a.pdf").read_bytes() == b"%PDF-1.4 foreign"


def test_a_row_that_now_fails_loses_the_pdf_an_earlier_run_built_for_it(cli_runner, tmp_path):
    out = tmp_path / "out"
    manifest = write_manifest(tmp_path / "m.csv", [
        dict(content=str(DUPIXENT), audience="adult", patient_age="40", patient_name="Alice", output="rx5.pdf"),
        dict(content=str(SHORT), audience="adult", output="other.pdf")])
    assert batch(cli_runner, manifest, "--out-dir", out).exit_code == 0
    # The prescription on row 2 changes to a child the adult leaflet cannot serve.
    write_manifest(manifest, [
        dict(content=str(DUPIXENT), audience="adult", patient_age="4", patient_name="Bob", output="rx5.pdf"),
        dict(content=str(SHORT), audience="adult", output="other.pdf")])
    result = batch(cli_runner, manifest, "--out-dir", out)
    assert result.exit_code == 1
    assert "row 2: patient_age: outside the adult audience" in result.output
    assert pdfs(out) == ["other.pdf"]  # Alice's leaflet is gone; the good row is untouched


def test_a_rerun_rebuilds_when_the_interface_text_changes(cli_runner, tmp_path, monkeypatch):
    """The disclaimer's heading, table headers, footer... come from the language's
    catalogue: an edited catalogue must rebuild the rows it prints in, as content does."""
    from leaflet import i18n, manifest

    catalogues = tmp_path / "catalogues"
    shutil.copytree(i18n.CATALOGUE_DIR, catalogues)
    monkeypatch.setattr(i18n, "CATALOGUE_DIR", catalogues)
    i18n.catalogue.cache_clear()
    manifest.forget_loaded()
    try:
        rows = write_manifest(tmp_path / "m.csv", _three_rows(SHORT))
        args = (rows, "--out-dir", tmp_path / "out", "--jobs", "1")
        assert "3 built, 0 up to date" in summary_line(batch(cli_runner, *args).output)
        assert "0 built, 3 up to date" in summary_line(batch(cli_runner, *args).output)
        english = catalogues / "en.yaml"
        text = english.read_text(encoding="utf-8")
        assert "Page {page} of {total}" in text
        english.write_text(text.replace("Page {page} of {total}", "Sheet {page} of {total}"), encoding="utf-8")
        i18n.catalogue.cache_clear()
        manifest.forget_loaded()
        assert "3 built, 0 up to date" in summary_line(batch(cli_runner, *args).output)
        assert "Sheet 1 of" in text_of(tmp_path / "out" / "a.pdf")
    finally:
        i18n.catalogue.cache_clear()
        manifest.forget_loaded()
