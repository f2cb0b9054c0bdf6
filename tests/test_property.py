"""Property test (issue 10): whatever happens to the shipped content and to a manifest row,
`leaflet batch` never shows a traceback, never leaves a partial file, and builds every
good row. Bounded (a few dozen examples, derandomised) so the suite stays fast."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import DUPIXENT
from leaflet.cli import cli
from click.testing import CliRunner

SHIPPED = DUPIXENT.read_bytes()
AUDIENCES = ["adult", "caregiver", "adolescent", "Adult", "kids", "", "all"]
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
CONTROL = st.sampled_from(["\0", "\f", "\x7f", "\t", "\r", "\x1b", "\u2028", "\ufeff", "\ud7ff"])


@st.composite
def mutated_content(draw) -> bytes:
    """The shipped Dupixent content with one to three edits a person or a disk could make."""
    data = bytearray(SHIPPED)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "duplicate-line"]))
        if edit == "insert":
            piece = draw(st.one_of(CONTROL, ANY_TEXT, st.sampled_from(['"', "'", ":", "- ", "{", "[", "&a", "*a",
                                                                        "<b>", "{you", "\n  ", "9" * 400])))
            data[at:at] = piece.encode("utf-8", "surrogatepass")
        elif edit == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif edit == "replace" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif edit == "truncate":
            del data[at:]
        else:
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            line = bytes(data[start:end + 1 if end != -1 else len(data)])
            data[start:start] = line
    return bytes(data)


ROW = st.fixed_dictionaries({
    "audience": st.sampled_from(AUDIENCES),
    "patient_age": st.one_of(st.sampled_from(["", "4", "42", "4,5", "200", "-1", "1e3", "nan"]), ANY_TEXT),
    "patient_weight": st.one_of(st.sampled_from(["", "16", "0", "9" * 50]), ANY_TEXT),
    "patient_name": st.one_of(st.sampled_from(["Zoë", "王芳", "<b>x</b>&amp;", "a\nb", "x" * 300]), ANY_TEXT),
    "output": st.one_of(st.sampled_from(["", "good row.pdf", "../x.pdf", ".hidden", "CON", "a/b.pdf", "x" * 300]),
                        ANY_TEXT),
    "Rx": ANY_TEXT,
})
#: The name of a column of the pharmacy's own: usually carried into the report; a misspelt
#: or repeated column of leaflet's stops the run before anything is built (exit 2).
EXTRA_COLUMN = st.one_of(st.sampled_from(["Rx", "DOB", "Patient ID", "patient_nmae", "status", "row", "Output"]),
                         ANY_TEXT)


# No shrinking: a failure is reported as found, in seconds rather than minutes.
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(content=mutated_content(), row=ROW, content_is_mutated=st.booleans(), extra=EXTRA_COLUMN)
def test_mutated_content_and_rows_never_crash_or_leave_partial_files(content, row, content_is_mutated, extra):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "mutated.yaml").write_bytes(content)
        manifest = folder / "night.csv"
        with open(manifest, "w", newline="", encoding="utf-8", errors="surrogatepass") as handle:
            writer = csv.writer(handle)
            writer.writerow(["content", "audience", "patient_age", "patient_weight", "patient_name", "output", "Rx",
                             extra])
            writer.writerow([str(DUPIXENT), "adult", "", "", "", "the good one.pdf", "RX1", ""])
            writer.writerow(["mutated.yaml" if content_is_mutated else str(DUPIXENT), row["audience"],
                             row["patient_age"], row["patient_weight"], row["patient_name"], row["output"], row["Rx"],
                             "x"])
        out = folder / "out"
        report = folder / "report.csv"
        result = CliRunner().invoke(cli, ["batch", str(manifest), "--out-dir", str(out), "-j", "1",
                                          "--report", str(report)])

        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        if result.exit_code == 2:  # only a header leaflet cannot read stops the run
            assert any(words in result.output for words in ("did you mean", "more than once")), result.output
            assert not out.exists() or not list(out.glob("*.pdf"))
            return
        assert result.exit_code in (0, 1), result.output
        with open(report, encoding="utf-8-sig", newline="") as handle:
            statuses = {entry["row"]: entry["status"] for entry in csv.DictReader(handle)}
        assert statuses["2"] == "built", result.output  # the good row, whatever its neighbour did
        assert (out / "the_good_one.pdf").is_file()
        assert not list(folder.rglob("*.part"))
        for pdf in out.glob("*.pdf"):
            data = pdf.read_bytes()
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), pdf
        assert all(line.count(": ") >= 1 for line in result.output.splitlines() if " row 3" in line)
