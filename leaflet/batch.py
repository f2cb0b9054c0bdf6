"""`leaflet batch`: one personalised leaflet per manifest row, unattended, nothing lost.

The same pipeline as `leaflet build` (load -> validate -> tailor -> layout -> write, via
`leaflet.build`), run over the rows of a CSV manifest:

1. Read the whole manifest once and check every row (columns, numbers, audience, content
   and style files, font coverage of names, output names, duplicates) before anything is
   built. Rows with problems are reported and skipped; the others are still built.
2. Read it again, row by row, and hand the good rows of this shard to worker processes
   in small chunks, a bounded number at a time, so memory stays flat however long the
   manifest is. Each worker keeps its loaded content and styles for the whole run.
3. Each PDF is written atomically (`write_atomic`). A state file per output in
   `<out-dir>/.leaflet-state/` records the hash of the row's inputs and the PDF's sha256,
   which is how a re-run knows a file is its own, up to date, or someone else's.

Row numbers are spreadsheet row numbers: the header is row 1, the first leaflet row 2.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, TextIO

from pypdf import PdfReader

from . import __version__, fonts
from .build import Request, render_request, tailored
from .check import Budget, check_pdf
from .errors import LeafletError
from .manifest import (catalogue_digest, check_row, extra_columns, extra_values, forget_loaded, loaded_content,
                       loaded_style, output_name, read_rows)
from .merge import MERGE_CREATOR, merge
from .write import AtomicFile, lock, remove_if_abandoned, remove_temporaries, target_of_temporary, write_atomic

STATE_DIR = ".leaflet-state"
CHUNK = 8  # rows per task sent to a worker: big enough to hide the hand-over, small enough to stop fast
#: The report's columns: the manifest's own extra columns (an Rx number...) come after "row".
REPORT_FIELDS = ("row", "status", "error", "output", "pages", "sha256", "input_hash")

BUILT, SKIPPED, FAILED, INTERRUPTED = "built", "up to date", "failed", "interrupted"
_COUNTER = {BUILT: "built", SKIPPED: "skipped", FAILED: "failed", INTERRUPTED: "interrupted"}


# --- Options and results -------------------------------------------------------------


@dataclass(frozen=True)
class Shard:
    """The K-th of N deterministic slices of the rows (K counts from 0, like a job index)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
        if not match:
            raise LeafletError(f"--shard {text!r}: expected K/N, such as 0/4 (shards count from 0)")
        index, count = int(match[1]), int(match[2])
        if count < 1:
            raise LeafletError(f"--shard {text}: N, the number of shards, must be at least 1")
        if index >= count:
            raise LeafletError(f"--shard {text}: K must be 0 to {max(count - 1, 0)} (shards count from 0, like "
                               f"JOB_COMPLETION_INDEX, or SLURM_ARRAY_TASK_ID with --array=0-{max(count - 1, 0)})")
        return cls(index, count)

    def owns(self, row: int) -> bool:
        return (row - 2) % self.count == self.index

    def label(self) -> str:
        return f"{self.index}/{self.count}"

    def suffixed(self, path: Path) -> Path:
        """A per-shard name for files every shard writes (--merge, --report)."""
        if self.count == 1:
            return path
        return path.with_name(f"{path.stem}.shard-{self.index}-of-{self.count}{path.suffix}")


@dataclass(frozen=True)
class Options:
    manifest: Path
    out_dir: Path = Path("output")
    jobs: int | None = None
    merge: Path | None = None
    shard: Shard | None = None
    force: bool = False
    report: Path | None = None
    #: Read each new PDF back and fail the row on a missing or misplaced line (`leaflet check`).
    verify: bool = False
    #: The time and memory `--verify` may spend reading one PDF back (as `leaflet check`).
    verify_budget: Budget = Budget()
    #: With --merge: only the rows built by this run (not those already up to date).
    merge_built_only: bool = False
    #: Seconds to wait for another run holding the output folder before giving up.
    wait: float = 0
    #: PDF/A-2a for rows whose pdfa column is empty.
    pdfa: bool = False
    #: Fail rows whose content is a translation not yet reviewed by a qualified person.
    strict: bool = False


@dataclass(frozen=True)
class Job:
    """One good row, ready for a worker."""

    row: int
    request: Request
    output: str  # a safe file name inside the output folder
    extra: tuple[str, ...] = ()  # the manifest's columns that leaflet does not use, for the report

    @property
    def bookmark(self) -> str:
        return " – ".join(filter(None, (f"Row {self.row}", self.request.personal.patient_name, self.output)))


@dataclass(frozen=True)
class Result:
    row: int
    status: str
    output: str = ""
    pages: int | None = None
    sha256: str = ""
    input_hash: str = ""
    error: str = ""
    extra: tuple[str, ...] = ()


@dataclass
class Summary:
    rows: int = 0
    built: int = 0
    skipped: int = 0
    failed: int = 0
    interrupted: int = 0
    seconds: float = 0.0
    stopped_by: int | None = None  # the signal that stopped the run early
    merged: tuple[Path, int, int] | None = None  # (file, leaflets, pages)
    merge_error: str = ""
    report_error: str = ""

    def add(self, result: Result) -> None:
        self.rows += 1
        counter = _COUNTER[result.status]
        setattr(self, counter, getattr(self, counter) + 1)

    @property
    def exit_code(self) -> int:
        if self.stopped_by is not None:
            return 128 + self.stopped_by
        return 1 if self.failed or self.merge_error or self.report_error else 0

    def line(self) -> str:
        parts = [f"{self.built} built", f"{self.skipped} up to date", f"{self.failed} failed"]
        if self.interrupted:
            parts.append(f"{self.interrupted} not built (interrupted)")
        rate = f", {self.built / self.seconds:.1f} leaflets/s" if self.built and self.seconds >= 1 else ""
        return (f"leaflet batch: {self.rows} row{'s' if self.rows != 1 else ''}: {', '.join(parts)} "
                f"in {self.seconds:.1f} s{rate}")


# --- Building one row (in a worker) -------------------------------------------------------


def input_hash(request: Request) -> str:
    """Everything that decides the PDF's bytes: the tool's version, the content, the
    style and the interface text of the content's language as checked (so a changed
    content, style or catalogue file rebuilds, but a new comment in one does not), and the
    row's own values."""
    personal = request.personal
    content, content_digest = loaded_content(request.content)
    payload = {
        "leaflet": __version__,
        "content": content_digest,
        "catalogue": catalogue_digest(content.language),
        "style": loaded_style(request.style)[1],
        "audience": request.audience,
        "patient_age": request.patient_age,
        "patient_weight": request.patient_weight,
        "page_size": request.page_size,
        "patient_name": personal.patient_name,
        "pharmacy": personal.pharmacy,
        "pharmacy_phone": personal.pharmacy_phone,
        "pdfa": request.pdfa,
    }
    if request.uses:  # only when given, so rows without them keep their hashes
        payload["uses"] = list(request.uses)
    if personal.directions:
        payload["directions"] = personal.directions
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _sha256_file(path: Path) -> str | None:
    if path.exists() and not path.is_file():  # opening a FIFO would wait for ever
        raise LeafletError(f"{path}: exists and is not a regular file")
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def _retire(path: Path, out_dir: Path) -> bool:
    """Remove a PDF this tool built for a row that now fails: it is for inputs that no
    longer stand (another patient, another age) and must not be printed tonight."""
    state_path = out_dir / STATE_DIR / f"{path.name}.json"
    state = _read_state(state_path)
    try:
        if not state or state.get("damaged") or _sha256_file(path) != state.get("sha256"):
            return False
    except LeafletError:
        return False
    path.unlink(missing_ok=True)
    state_path.unlink(missing_ok=True)
    return True


def _read_state(path: Path) -> dict | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        return state if isinstance(state, dict) else {}
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"damaged": True}  # (say, by a power cut) still ours, so the row is rebuilt


def build_row(job: Job, out_dir: Path, force: bool, verify: Budget | bool | None = None) -> Result:
    """Skip, refuse or build one row. Never raises for a problem with the row."""
    path = out_dir / job.output
    state_path = out_dir / STATE_DIR / f"{job.output}.json"
    shown = str(path)
    try:
        content = loaded_content(job.request.content)[0]
        style = loaded_style(job.request.style)[0]
        wanted = input_hash(job.request)
        if path.is_dir():
            raise LeafletError("output: is a folder")
        existing = _sha256_file(path)
        if existing is not None and not force:
            state = _read_state(state_path)
            ours = state is not None and (state.get("damaged") or existing in (state.get("sha256"),
                                                                                state.get("replaces")))
            if not ours:
                return Result(job.row, FAILED, shown, input_hash=wanted, error=(
                    "output: the file already exists and was not made by leaflet batch (or was changed since); "
                    "use --force to replace it"))
            if state.get("sha256") == existing and state.get("input") == wanted:
                return Result(job.row, SKIPPED, shown, state.get("pages"), existing, wanted)
        rendered = render_request(job.request, content=content, style=style)
        if verify:
            budget = verify if isinstance(verify, Budget) else Budget()
            try:
                misses = check_pdf(rendered.pdf, tailored(content, job.request), content, budget)
            except LeafletError as exc:
                return Result(job.row, FAILED, shown, error=f"verify failed: {exc.message}")
            if misses:  # never print a leaflet that lost a line: nothing is written
                more = f" (and {len(misses) - 1} more)" if len(misses) > 1 else ""
                return Result(job.row, FAILED, shown, error=f"verify failed: {misses[0]}{more}")
        digest = hashlib.sha256(rendered.pdf).hexdigest()
        # The state goes first, naming both the new PDF and the file it replaces, so an
        # interruption between the two writes leaves a file this tool still knows as its own.
        state = {"input": wanted, "sha256": digest, "pages": rendered.pages, "replaces": existing,
                 "row": job.row, "leaflet": __version__}
        write_atomic(state_path, json.dumps(state, indent=1).encode("utf-8"))
        write_atomic(path, rendered.pdf)
        if existing is not None:  # replaced: forget the old file, or a copy of it would pass as ours
            state["replaces"] = None
            write_atomic(state_path, json.dumps(state, indent=1).encode("utf-8"))
        return Result(job.row, BUILT, shown, rendered.pages, digest, wanted)
    except LeafletError as exc:  # the output's name may be the patient's: messages say "output" instead
        return Result(job.row, FAILED, shown, error=exc.message.replace(str(state_path), "output's state file")
                      .replace(str(path), "output"))
    except (MemoryError, RecursionError, OSError, ValueError, TypeError, KeyError, IndexError,
            AttributeError, ArithmeticError, RuntimeError) as exc:
        # A bug or a layout the renderer cannot do: this row fails, the rest go on. Only the
        # kind of error: its text could hold the row's values.
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        return Result(job.row, FAILED, shown, error=f"could not build: {type(exc).__name__} ({reason})")


# --- Workers ---------------------------------------------------------------------------------


class _ParentGone(BaseException):
    """Raised in a busy worker when the parent is gone or the worker is told to stop."""


_worker_busy = False


def _worker_stop(_signum, _frame) -> None:
    if _worker_busy:
        raise _ParentGone  # unwinds through write_atomic, which removes its temporary file
    os._exit(1)


def _worker_init(parent: int | None) -> None:
    """parent: the pid to watch, when this worker is its direct child (fork or spawn)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it lets chunks finish
    signal.signal(signal.SIGTERM, _worker_stop)
    if parent is not None and sys.platform.startswith("linux"):
        try:  # ask the kernel for SIGTERM if the parent dies, so no worker is left behind
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:  # it died before the request was made
            os._exit(1)
    fonts.register_fonts()


def _build_chunk(jobs: list[Job], out_dir: Path, force: bool, verify: Budget | None) -> list[Result]:
    global _worker_busy
    try:
        _worker_busy = True
        return [build_row(job, out_dir, force, verify) for job in jobs]
    except _ParentGone:
        os._exit(1)
    finally:
        _worker_busy = False


def default_jobs() -> int:
    """Cores this process may use, within a container's CPU limit (cgroup v2)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def _pool_context():
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    # fork shares what the parent already loaded; macOS and Windows need spawn.
    method = "fork" if "fork" in methods and sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


# --- Progress, report, signals -----------------------------------------------------------


class _Progress:
    """A tqdm bar on a terminal; otherwise a plain line every 10% (or minute) for logs."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.done = 0
        self.bar = None
        self.last_line = time.monotonic()
        self.last_tenth = 0
        if total and getattr(stream, "isatty", lambda: False)():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="leaflet", file=stream, dynamic_ncols=True, leave=False)

    def message(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
            return
        tenth = self.done * 10 // self.total if self.total else 10
        now = time.monotonic()
        quiet = self.total < 20 or self.done >= self.total  # short runs need only the summary
        if not quiet and (tenth > self.last_tenth or now - self.last_line >= 60):
            self.last_tenth, self.last_line = tenth, now
            self.message(f"leaflet batch: {self.done}/{self.total} rows done ({self.done * 100 // self.total}%)")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _Report:
    """Rows streamed to a temporary file beside the report, renamed into place at the end.

    A disk that fills up (or any write error) costs the report, never the run: the
    temporary file is removed, and `error` says why for the summary.
    """

    def __init__(self, path: Path, extra: list[str] | None = None) -> None:
        self.path = path
        self.json = path.suffix.lower() == ".json"
        self.error = ""
        taken = set(REPORT_FIELDS)
        self.extra = [name if name not in taken else f"{name} (manifest)" for name in extra or []]
        self.fields = (REPORT_FIELDS[0], *self.extra, *REPORT_FIELDS[1:])
        # A CSV report starts with a byte order mark: Excel reads UTF-8 (Zoë, Łukasz) right only with one.
        self.file = AtomicFile(path, "w", encoding="utf-8" if self.json else "utf-8-sig", newline="")
        self.handle = self.file.stream
        self.count = 0
        self._safely(self._start)

    def _start(self) -> None:
        if self.json:
            self.handle.write('{"rows": [')
        else:
            self.writer = csv.DictWriter(self.handle, self.fields)
            self.writer.writeheader()

    def _safely(self, write: Callable[[], None]) -> None:
        if self.error:
            return
        try:
            write()
        except OSError as exc:
            self.error = f"--report {self.path}: not written ({exc.strerror or exc})"
            self.file.discard()

    def add(self, result: Result) -> None:
        row = {name: getattr(result, name) for name in REPORT_FIELDS}
        if result.status not in (BUILT, SKIPPED):
            row["output"] = ""  # nothing was written for this row: no path to look for
        row.update(zip(self.extra, result.extra))
        row = {name: row.get(name, "") for name in self.fields}

        def write() -> None:
            if self.json:
                self.handle.write(("," if self.count else "") + "\n  " + json.dumps(row, ensure_ascii=False))
            else:
                self.writer.writerow({k: "" if v is None else v for k, v in row.items()})

        self._safely(write)
        self.count += 1

    def finish(self, summary: Summary, options: Options) -> None:
        def write() -> None:
            if self.json:
                totals = {"rows": summary.rows, "built": summary.built, "up_to_date": summary.skipped,
                          "failed": summary.failed, "interrupted": summary.interrupted}
                totals.update(seconds=round(summary.seconds, 3), exit_code=summary.exit_code,
                              manifest=str(options.manifest), out_dir=str(options.out_dir),
                              shard=options.shard.label() if options.shard else None,
                              merged=str(summary.merged[0]) if summary.merged else None,
                              merge_error=summary.merge_error or None)
                self.handle.write("\n],\n" + '"summary": ' + json.dumps(totals, ensure_ascii=False) + "}\n")
            self.file.commit()

        self._safely(write)

    def abandon(self) -> None:
        self.file.discard()


class _Stop:
    """The first Ctrl-C or SIGTERM asks for a clean stop: no new rows start, rows already
    being built finish, and the report says which rows were not built. A second one aborts."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum, _frame) -> None:
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum

    def __exit__(self, *_exc) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    def __call__(self) -> bool:
        return self.signum is not None


# --- The run --------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What the checking pass found. Only failing rows are kept one by one; the rest is
    a name -> row table that duplicate checks need (a few dozen bytes a row)."""

    rows: int = 0  # rows in this shard
    errors: dict[int, tuple[str, str]] = field(default_factory=dict)  # row -> (output, message)
    claimed: dict[str, tuple[int, str]] = field(default_factory=dict)  # case-folded name -> (row, name)

    def is_ours(self, name: str, shard: Shard | None) -> bool:
        row, exact = self.claimed.get(name.casefold(), (0, ""))
        return exact == name and (shard is None or shard.owns(row))


def _plan(options: Options, base: Path) -> _Plan:
    plan = _Plan()
    repeated: dict[str, list[tuple[int, str]]] = {}  # only names written by more than one row
    for row, values, problem in read_rows(options.manifest):
        problems = [problem] if problem else []
        name = output_name(row, values, problems)
        if name is not None:
            key = name.casefold()
            if key in plan.claimed:
                repeated.setdefault(key, [plan.claimed[key]]).append((row, name))
            else:
                plan.claimed[key] = (row, name)
        if options.shard is not None and not options.shard.owns(row):
            continue
        plan.rows += 1
        check_row(row, values, base, problems, options.pdfa, strict=options.strict)
        if problems:
            plan.errors[row] = (str(options.out_dir / name) if name else "", "; ".join(problems))
    for writers in repeated.values():
        for row, name in writers:
            if options.shard is not None and not options.shard.owns(row):
                continue
            others = [str(r) for r, _ in writers if r != row]
            message = f"output: the same file as row{'s' if len(others) > 1 else ''} {', '.join(others)}"
            output, earlier = plan.errors.get(row, ("", ""))
            plan.errors[row] = (output or str(options.out_dir / name), f"{earlier}; {message}" if earlier else message)
    return plan


def _remove_leftovers(out_dir: Path, plan: _Plan, shard: Shard | None) -> None:
    """Delete temporary files a killed run left for this run's outputs (only ours: other
    shards may be writing theirs in the same folder right now)."""
    for folder, suffix in ((out_dir, ""), (out_dir / STATE_DIR, ".json")):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            target = target_of_temporary(entry.name)
            if target and target.endswith(suffix) and plan.is_ours(target.removesuffix(suffix), shard):
                remove_if_abandoned(Path(entry.path))


def _check_options(options: Options, merge_path: Path | None, report_path: Path | None) -> None:
    if options.out_dir.exists() and not options.out_dir.is_dir():
        raise LeafletError(f"--out-dir {options.out_dir}: is a file, not a folder")
    if report_path is not None and report_path.suffix.lower() not in (".csv", ".json"):
        raise LeafletError(f"--report {report_path}: name a .csv or .json file")
    if merge_path is not None and merge_path.suffix.lower() != ".pdf":
        raise LeafletError(f"--merge {merge_path}: name a .pdf file")
    for option, path in (("--merge", merge_path), ("--report", report_path)):
        if path is not None and path.is_dir():
            raise LeafletError(f"{option} {path}: is a folder; give a file name")
    if merge_path is not None and report_path is not None and merge_path.resolve() == report_path.resolve():
        raise LeafletError("--merge and --report name the same file")
    for option, path, ours in (("--merge", merge_path, _our_merge), ("--report", report_path, _our_report)):
        if path is None:
            continue
        if path.resolve() == options.manifest.resolve():
            raise LeafletError(f"{option} {path}: is the manifest itself; name another file")
        if path.is_file() and not options.force and not ours(path):
            raise LeafletError(f"{option} {path}: already exists and was not written by leaflet batch; "
                               "name another file, or use --force to replace it")
        try:  # a folder that cannot be written is one error now, not after every row is built
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=path.parent):
                pass
        except OSError as exc:
            raise LeafletError(f"{option} {path}: cannot write there ({exc.strerror})") from None


def _our_report(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            start = handle.read(200)
    except OSError:
        return False
    header = start.removeprefix("\ufeff").splitlines()[:1]
    fields = header[0].split(",") if header else []
    return start.startswith('{"rows": [') or (fields[:1] == ["row"] and
                                              all(name in fields for name in REPORT_FIELDS))


def _our_merge(path: Path) -> bool:
    try:
        return PdfReader(path).metadata.creator == MERGE_CREATOR
    except Exception:  # noqa: BLE001 (not a PDF, or a damaged one: either way not ours)
        return False


def _prepare_out_dir(options: Options, plan: _Plan, merge_path: Path | None, report_path: Path | None) -> None:
    """Make the output folder and prove it is writable, so a read-only or missing share is
    one error now, not the same error on every row."""
    out_dir = options.out_dir
    for option, path in (("--merge", merge_path), ("--report", report_path)):
        if path is not None and path.resolve().parent == out_dir.resolve() and path.name.casefold() in plan.claimed:
            raise LeafletError(f"{option} {path}: is also the output of a manifest row")
    state = out_dir / STATE_DIR
    if state.is_symlink() or (state.exists() and not state.is_dir()):
        # Followed, it would have state files (and their names) written outside the folder.
        raise LeafletError(f"--out-dir {out_dir}: {STATE_DIR} is a symbolic link or not a folder; leaflet batch "
                           "keeps its state there and will not follow it (remove it and run again)")
    try:
        state.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise LeafletError(f"--out-dir {out_dir}: cannot write there ({exc.strerror})") from None


class Busy(LeafletError):
    """Another run holds the output folder (or this shard of it): try again later."""

    exit_code = 75  # EX_TEMPFAIL: a retry may succeed, unlike a bad manifest (2)


def _claim_out_dir(options: Options) -> list[int]:
    """Advisory locks that make this run the only writer of its rows in the output folder.

    A run without --shard holds the folder's lock exclusively. Shards hold it shared (so
    the shards of one run work side by side, and a whole-folder run waits for them all)
    plus their own shard's lock exclusively (so the same shard never runs twice at once).
    """
    state = options.out_dir / STATE_DIR
    shard = options.shard if options.shard and options.shard.count > 1 else None
    names = [("folder.lock", shard is None)]
    if shard is not None:
        names.append((f"shard-{shard.index}-of-{shard.count}.lock", True))
    held: list[int] = []
    for name, exclusive in names:
        try:
            handle = lock(state / name, exclusive, options.wait)
        except OSError as exc:
            for handle in held:
                os.close(handle)
            raise LeafletError(f"--out-dir {options.out_dir}: cannot lock {state / name} ({exc.strerror})") from None
        if handle is None:
            for handle in held:
                os.close(handle)
            who = ("this shard" if name.startswith("shard") else
                   "a run without --shard" if shard is not None else "another run or its shards")
            raise Busy(f"--out-dir {options.out_dir}: {who} is already writing there (another leaflet batch holds "
                       f"{state / name}); run this again when it has finished, or add --wait SECONDS")
        held.append(handle)
    return held


def _jobs_and_results(options: Options, base: Path, plan: _Plan) -> Iterator[Job | Result]:
    """This shard's rows in order: a Job to build, or the Result of a row that failed its check."""
    extra = extra_columns(options.manifest)
    for row, values, _problem in read_rows(options.manifest):
        if options.shard is not None and not options.shard.owns(row):
            continue
        carried = extra_values(values, extra)
        if row in plan.errors:
            output, message = plan.errors[row]
            yield Result(row, FAILED, output, error=message, extra=carried)
            continue
        problems: list[str] = []
        name = output_name(row, values, problems)
        request = check_row(row, values, base, problems, options.pdfa, strict=options.strict)
        if request is None or name is None:  # the file changed under us; say so rather than guess
            yield Result(row, FAILED, error="; ".join(problems) or "row changed while the batch ran", extra=carried)
            continue
        yield Job(row, request, name, carried)


def run(options: Options, err: TextIO | None = None, out: TextIO | None = None) -> Summary:
    """Run a batch; row problems are reported (not raised). LeafletError for a bad manifest
    or options, before anything is built."""
    err = err or sys.stderr
    out = out or sys.stdout
    started = time.monotonic()
    manifest = options.manifest
    base = manifest.parent
    jobs = options.jobs or default_jobs()
    if jobs < 1:
        raise LeafletError("--jobs must be at least 1")
    shard = options.shard
    merge_path = shard.suffixed(options.merge) if shard and options.merge else options.merge
    report_path = shard.suffixed(options.report) if shard and options.report else options.report

    fonts.register_fonts()
    forget_loaded()  # content and styles are read afresh on each run, then kept for it
    try:
        stamp = manifest.stat()
    except OSError:
        stamp = None
    _check_options(options, merge_path, report_path)
    plan = _plan(options, base)
    _prepare_out_dir(options, plan, merge_path, report_path)
    held = _claim_out_dir(options)
    try:
        return _run_locked(options, plan, merge_path, report_path, stamp, started, jobs, err, out)
    finally:
        for handle in held:
            os.close(handle)


def _run_locked(options: Options, plan: _Plan, merge_path: Path | None, report_path: Path | None, stamp,
                started: float, jobs: int, err: TextIO, out: TextIO) -> Summary:
    manifest = options.manifest
    base = manifest.parent
    shard = options.shard
    _remove_leftovers(options.out_dir, plan, shard)
    for path in (merge_path, report_path):  # a killed run's half-written printer file or report
        if path is not None:
            remove_temporaries(path)
    if shard is not None:
        print(f"leaflet batch: shard {shard.label()}: {plan.rows} row(s) of {manifest}", file=err, flush=True)
    try:
        now = manifest.stat()
        if stamp is None or (now.st_mtime_ns, now.st_size) != (stamp.st_mtime_ns, stamp.st_size):
            raise LeafletError(f"{manifest}: changed while it was being checked; run again")
    except OSError as exc:
        raise LeafletError(f"{manifest}: cannot read ({exc.strerror})") from None

    summary = Summary()
    progress = _Progress(plan.rows, err)
    for row, (_output, message) in sorted(plan.errors.items()):
        progress.message(f"{manifest} row {row}: {message}")
    extra = extra_columns(manifest)
    if extra:
        kept = f"copied as they are into {report_path}" if report_path else "ignored (--report would carry them)"
        progress.message(f"leaflet batch: {manifest}: column{'s' if len(extra) > 1 else ''} "
                         f"{', '.join(map(repr, extra))} {'are' if len(extra) > 1 else 'is'} not leaflet's; {kept}")
    try:
        report = _Report(report_path, extra) if report_path is not None else None
    except OSError as exc:
        raise LeafletError(f"--report {report_path}: cannot write it ({exc.strerror})") from None
    # The leaflets to merge, spooled to a temporary file rather than held in memory.
    to_merge = tempfile.TemporaryFile("w+", encoding="utf-8") if merge_path is not None else None
    finished = False
    try:
        with _Stop() as stop:
            def record(result: Result, job: Job | None) -> None:
                if job is not None:
                    result = replace(result, extra=job.extra)
                if result.status == FAILED and result.output and _retire(Path(result.output), options.out_dir):
                    result = replace(result, error=f"{result.error} (the PDF an earlier run built for this "
                                                   "row was removed, so it cannot be printed by mistake)")
                summary.add(result)
                if report is not None:
                    report.add(result)
                if result.status == FAILED and result.row not in plan.errors:
                    progress.message(f"{manifest} row {result.row}: {result.error}")
                merged = (BUILT,) if options.merge_built_only else (BUILT, SKIPPED)
                if result.status in merged and job is not None and to_merge is not None:
                    to_merge.write(json.dumps([job.output, job.bookmark]) + "\n")
                if result.status != INTERRUPTED:
                    progress.advance()

            items = _jobs_and_results(options, base, plan)
            if jobs == 1:
                _run_here(items, options, stop, record)
            else:
                # Chunks small enough that every worker gets several, never more workers than chunks.
                chunk = max(1, min(CHUNK, plan.rows // (jobs * 4)))
                _run_pool(items, options, min(jobs, max(1, math.ceil(plan.rows / chunk))), chunk, stop, record)
            if merge_path is not None and to_merge is not None and not stop():
                to_merge.seek(0)
                spooled = ((options.out_dir / name, mark) for name, mark in map(json.loads, to_merge))
                try:
                    leaflets, pages = merge(spooled, merge_path, f"leaflet batch: {manifest.name}", stop)
                except LeafletError as exc:  # the leaflets stay built; only the printer's file is missing
                    summary.merge_error = f"--merge {merge_path}: not written: {exc.message}"
                    progress.message(f"leaflet batch: {summary.merge_error}")
                else:
                    summary.merged = (merge_path, leaflets, pages) if leaflets and not stop() else None
                    if not leaflets:
                        progress.message(f"leaflet batch: no leaflets to merge; {merge_path} not written")
            if (merge_path is not None and summary.merged is None and merge_path.is_file()
                    and _our_merge(merge_path)):
                merge_path.unlink()  # an earlier run's printer file must not pass for tonight's
                progress.message(f"leaflet batch: removed the earlier {merge_path}, as nothing was merged")
            summary.stopped_by = stop.signum
        summary.seconds = time.monotonic() - started
        progress.close()
        _remove_leftovers(options.out_dir, plan, shard)
        if report is not None:
            report.finish(summary, options)
            summary.report_error = report.error
        finished = True
    finally:
        progress.close()
        if to_merge is not None:
            to_merge.close()
        if report is not None and not finished:
            report.abandon()
    if summary.merged:
        path, leaflets, pages = summary.merged
        print(f"leaflet batch: merged {leaflets} leaflet(s), {pages} pages, into {path}", file=out)
    if summary.stopped_by is not None:
        print(f"leaflet batch: stopped by {signal.Signals(summary.stopped_by).name}; run the same "
              "command again to finish (rows already built are skipped)", file=err)
    if summary.report_error:
        print(f"leaflet batch: {summary.report_error}", file=err)
    elif report is not None:
        print(f"leaflet batch: report in {report_path}", file=out)
    print(summary.line(), file=out, flush=True)
    return summary


def _verify(options: Options) -> Budget | None:
    return options.verify_budget if options.verify else None


def _interrupted(job: Job, out_dir: Path) -> Result:
    return Result(job.row, INTERRUPTED, str(out_dir / job.output), error="not built: the run was stopped")


def _run_here(items: Iterator[Job | Result], options: Options, stop: _Stop,
              record: Callable[[Result, Job | None], None]) -> None:
    for item in items:
        if isinstance(item, Result):
            record(item, None)
        elif stop():
            record(_interrupted(item, options.out_dir), item)
        else:
            record(build_row(item, options.out_dir, options.force, _verify(options)), item)


@dataclass
class _Entry:
    """Rows on their way through the pool, kept in row order."""

    jobs: list[Job]  # empty for a row that already failed its check
    results: list[Result] | None = None
    future: Future | None = None


def _run_pool(items: Iterator[Job | Result], options: Options, jobs: int, chunk_size: int, stop: _Stop,
              record: Callable[[Result, Job | None], None]) -> None:
    """Ordered, bounded fan-out: at most a few chunks per worker are in flight, and results
    are recorded in row order.

    A worker that dies (killed, out of memory, a crash in a library) breaks the pool and
    every chunk in flight with it. Those rows are then built again one at a time, each
    alone in a fresh pool, so a row that kills its worker is found and fails on its own
    while every other row is built; then the run goes on as before.
    """
    window = jobs * 3
    pending: deque[_Entry] = deque()
    executor: ProcessPoolExecutor | None = None

    def pool() -> ProcessPoolExecutor:
        nonlocal executor
        if executor is None:
            context = _pool_context()
            watch = os.getpid() if context.get_start_method() in ("fork", "spawn") else None
            executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                           initializer=_worker_init, initargs=(watch,))
        return executor

    def discard_pool() -> None:
        nonlocal executor
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
            executor = None

    def send(entry: _Entry) -> None:
        if stop():
            entry.results = [_interrupted(job, options.out_dir) for job in entry.jobs]
            return
        try:
            entry.future = pool().submit(_build_chunk, entry.jobs, options.out_dir, options.force, _verify(options))
        except BrokenProcessPool as exc:  # it broke since the last result: dealt with when this entry settles
            entry.future = Future()
            entry.future.set_exception(exc)

    def alone(job: Job) -> Result:
        if stop():
            return _interrupted(job, options.out_dir)
        try:
            return pool().submit(_build_chunk, [job], options.out_dir, options.force, _verify(options)).result()[0]
        except BrokenProcessPool:
            discard_pool()
            return _lost(job, options.out_dir, stop())

    def recover() -> None:
        discard_pool()
        for entry in pending:
            if entry.results is None and not _succeeded(entry.future):
                entry.results = [alone(job) for job in entry.jobs]

    def settle_oldest() -> None:
        entry = pending[0]
        if entry.results is None:
            assert entry.future is not None
            if stop() and entry.future.cancel():
                entry.results = [_interrupted(job, options.out_dir) for job in entry.jobs]
            else:
                try:
                    entry.results = entry.future.result()
                except BrokenProcessPool:
                    recover()
                    return
                except Exception as exc:  # noqa: BLE001 (say, a result that cannot be pickled)
                    entry.results = [Result(job.row, FAILED, str(options.out_dir / job.output),
                                            error=f"could not build: {type(exc).__name__}: {exc}")
                                     for job in entry.jobs]
        pending.popleft()
        assert entry.results is not None
        for index, result in enumerate(entry.results):
            record(result, entry.jobs[index] if entry.jobs else None)

    chunk: list[Job] = []
    try:
        for item in items:
            if isinstance(item, Result):
                if chunk:
                    pending.append(_Entry(chunk))
                    send(pending[-1])
                    chunk = []
                pending.append(_Entry([], results=[item]))
            else:
                chunk.append(item)
                if len(chunk) >= chunk_size:
                    pending.append(_Entry(chunk))
                    send(pending[-1])
                    chunk = []
            while len(pending) > window:
                settle_oldest()
            if stop():
                break
        if chunk:
            pending.append(_Entry(chunk))
            send(pending[-1])
        while pending:
            settle_oldest()
        for item in items:  # only after a stop: the rest of the shard was never started
            if isinstance(item, Result):
                record(item, None)
            else:
                record(_interrupted(item, options.out_dir), item)
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _succeeded(future: Future | None) -> bool:
    if future is None or future.cancelled():
        return False
    return future.exception() is None  # waits: a broken pool fails every future it had at once


def _lost(job: Job, out_dir: Path, stopped: bool) -> Result:
    if stopped:
        return _interrupted(job, out_dir)
    return Result(job.row, FAILED, str(out_dir / job.output),
                  error="not built: the worker process building this row alone died (killed, out of memory, "
                        "or a crash); the other rows were built")
