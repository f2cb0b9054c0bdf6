"""The CSV manifest of `leaflet batch`: reading it, and checking each row.

A manifest is a CSV file with a header row. `content` and `audience` are required;
the other columns are optional (see COLUMNS). Each row is checked the way `leaflet build`
checks its options (the same loaders, `make_reader` and `tailor`), plus what only a batch
has: numbers typed into a spreadsheet, names the embedded font must be able to draw, and
output names that must stay inside the output folder.

Row numbers are spreadsheet row numbers: the header is row 1, the first leaflet row 2.
"""

from __future__ import annotations

import csv
import difflib
import functools
import os
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, TextIO

from . import fonts, i18n
from .build import Request, tailored
from .checked import load_content
from .errors import LeafletError
from .layout import Personal
from .translation import content_for, refuse_unreviewed
from .load import files_nearby, open_input
from .records import to_data
from .styles import PAGE_SIZES, load_style
from .tailor import AUDIENCES, make_reader

REQUIRED = ("content", "audience")
OPTIONAL = ("patient_age", "patient_weight", "patient_name", "pharmacy", "pharmacy_phone", "style",
            "page_size", "output", "uses", "directions", "pdfa", "language")
COLUMNS = REQUIRED + OPTIONAL
MAX_TEXT = 200  # characters in a name, pharmacy or phone; longer is a data error, not a name
MAX_DIRECTIONS = 1000  # characters in a prescription's directions
MAX_NAME_BYTES = 200  # output file name, leaving room for the state file's suffix
#: Columns whose values are about the patient: messages name the column and what is wrong,
#: never the value (logs and reports travel further than the leaflets).
PERSONAL = frozenset({"patient_name", "patient_age", "patient_weight", "output", "directions"})


# --- Reading the manifest --------------------------------------------------------------


def _column_name(header: str) -> str:
    return re.sub(r"[\s-]+", "_", header.strip().lower())


def _open_manifest(path: Path) -> tuple[TextIO, _Rows]:
    """The open file and its rows, keyed by canonical column names; header errors raise."""
    handle = open_input(path, "a CSV manifest", encoding="utf-8-sig", newline="")
    try:
        first = handle.readline()
        # Spreadsheets in many locales export with ';'; tabs come from copy and paste.
        delimiter = max((",", ";", "\t"), key=first.count) if first.strip() else ","
        handle.seek(0)
        # strict: an unclosed quote is an error, not every later row swallowed into one cell
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        header = next(reader, None)
    except UnicodeDecodeError as exc:
        handle.close()
        raise _not_utf8(path, exc) from None
    except csv.Error as exc:
        handle.close()
        raise LeafletError(f"{path} row 1: not valid CSV ({exc})") from None
    if not header or not any(cell.strip() for cell in header):
        handle.close()
        raise LeafletError(f"{path}: no header row; the first row must name the columns, "
                           f"such as {','.join(COLUMNS)}")
    names = [_column_name(cell) for cell in header]
    problems = []
    misspelt = [f"{cell.strip()!r} (did you mean {close[0]!r}?)" for cell, name in zip(header, names, strict=True)
                if name and name not in COLUMNS and (close := difflib.get_close_matches(name, COLUMNS, 1, 0.85))]
    if misspelt:
        problems.append(f"unknown column{'s' if len(misspelt) > 1 else ''} {', '.join(misspelt)}")
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        problems.append(f"column{'s' if len(repeated) > 1 else ''} {', '.join(map(repr, repeated))} "
                        "given more than once")
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        problems.append(f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}")
    if problems:
        handle.close()
        raise LeafletError(f"{path}: {'; '.join(problems)} (columns are: {', '.join(COLUMNS)}; "
                           f"{' and '.join(REQUIRED)} are required)")
    return handle, _Rows(reader, names, _extra_names(header, names))


def _extra_names(header: list[str], names: list[str]) -> dict[int, str]:
    """Columns that are not leaflet's (an Rx number, a date of birth...), by position, with
    their names as written (made unique): carried through to the report untouched."""
    extra: dict[int, str] = {}
    for index, (cell, name) in enumerate(zip(header, names, strict=True)):
        if name and name not in COLUMNS:
            label, count = cell.strip(), 2
            while label in extra.values():
                label, count = f"{cell.strip()} ({count})", count + 1
            extra[index] = label
    return extra


def extra_columns(path: Path) -> list[str]:
    """The manifest's columns that leaflet does not use, as named in its header."""
    handle, rows = _open_manifest(path)
    handle.close()
    return list(rows.extra.values())


def extra_values(values: dict[str, str], columns: list[str]) -> tuple[str, ...]:
    return tuple(values.get(column, "") for column in columns)


class _Rows:
    """Iterates (row number, values) with each blank-named column folded away; values of
    columns leaflet does not use are kept under their names as written."""

    def __init__(self, reader, names: list[str], extra: dict[int, str]) -> None:
        self.reader = reader
        self.names = names
        self.extra = extra

    def __iter__(self) -> Iterator[tuple[int, dict[str, str], str | None]]:
        for row, cells in enumerate(self.reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines and the empty rows spreadsheets leave at the end
            problem = None
            if len(cells) > len(self.names):
                extra = cells[len(self.names):]
                if any(cell.strip() for cell in extra):
                    problem = f"has {len(cells)} cells but the header names {len(self.names)} columns"
            values = {}
            for index, name in enumerate(self.names):
                cell = cells[index] if index < len(cells) else ""
                if not name:
                    if cell.strip():
                        problem = problem or f"has a value in column {index + 1}, which has no name in the header"
                    continue
                values[self.extra.get(index, name)] = cell
            yield row, values, problem


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> LeafletError:
    return LeafletError(f"{path}: not UTF-8 text ({exc.reason}); save it as 'CSV UTF-8' from the spreadsheet")


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str], str | None]]:
    handle, rows = _open_manifest(path)
    with handle:
        try:
            yield from rows
        except UnicodeDecodeError as exc:
            raise _not_utf8(path, exc) from None
        except csv.Error as exc:
            raise LeafletError(f"{path} line {rows.reader.line_num}: not valid CSV ({exc})") from None


# --- Checking one row --------------------------------------------------------------------


class _Memo:
    """Results and LeafletErrors of a loader, by argument, until forget_loaded()."""

    def __init__(self, loader: Callable[[Any], Any]) -> None:
        self.loader = loader
        self.results: dict[Any, Any] = {}

    def __call__(self, key: Any) -> Any:
        if key not in self.results:
            try:
                self.results[key] = self.loader(key)
            except LeafletError as exc:
                self.results[key] = exc
            except Exception as exc:  # noqa: BLE001 (a file no loader foresaw fails its rows, not the run)
                self.results[key] = LeafletError(f"{key}: cannot read it ({type(exc).__name__})")
        result = self.results[key]
        if isinstance(result, LeafletError):  # a fresh one: re-raising one object grows its traceback
            raise LeafletError(result.message, result.problems)
        return result


def _digest(records) -> str:
    """What a checked file says, as a hash: a row is rebuilt when it changes."""
    data = json.dumps(to_data(records), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=32)
def catalogue_digest(language: str) -> str:
    """The interface text a leaflet in this language prints, as a hash (see _digest)."""
    return _digest(i18n.catalogue(language))


def _with_digest(loader: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, str]]:
    def load(key: Any) -> tuple[Any, str]:
        model = loader(key)
        return model, _digest(model)

    return load


# (model, digest) by path or style name, per process: the parent fills these while it
# checks rows, forked workers inherit them, and spawned workers fill their own once.
loaded_content = _Memo(_with_digest(load_content))
loaded_style = _Memo(_with_digest(load_style))


@functools.lru_cache(maxsize=1024)  # bounded: ages and weights make many keys
def _tailor_problem(content_path: Path, audience: str, age: float | None, weight: float | None,
                    uses: tuple[str, ...] = ()) -> str | None:
    try:
        request = Request(content=content_path, audience=audience, patient_age=age, patient_weight=weight,
                          uses=uses)
        tailored(loaded_content(content_path)[0], request)
    except LeafletError as exc:
        return _as_columns(exc.message)
    return None


def _as_columns(message: str) -> str:
    """The pipeline names command-line options (with their values); a manifest row has
    columns, and its message leaves the patient's values out."""
    message = re.sub(r"--patient-(age|weight) [^\s:]+", r"patient_\1", message)
    message = re.sub(r"a patient aged \S+", "a patient of this age", message)
    message = re.sub(r" weighing \S+ kg", " and weight", message)
    return message.replace("--use ", "uses ")


def forget_loaded() -> None:
    loaded_content.results.clear()
    loaded_style.results.clear()
    catalogue_digest.cache_clear()
    _tailor_problem.cache_clear()


def _number(values: dict[str, str], column: str, problems: list[str]) -> float | None:
    text = (values.get(column) or "").strip()
    if not text:
        return None
    # Plain decimals only (float() would also take "4_0", "1e2" and other scripts' digits).
    if not re.fullmatch(r"[+-]?[0-9]+(?:[.,][0-9]+)?", text):
        unit = {"patient_age": "years, such as 4 or 0.75", "patient_weight": "kg, such as 16 or 16.5"}.get(column)
        problems.append(f"{column}: not a number" + (f" (write it in figures: {unit})" if unit else ""))
        return None
    return float(text.replace(",", "."))  # a decimal comma, as many spreadsheets write it


_YES, _NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}


def _yes_no(values: dict[str, str], column: str, problems: list[str], default: bool) -> bool:
    text = (values.get(column) or "").strip().lower()
    if not text:
        return default
    if text not in _YES | _NO:
        problems.append(f"{column} {text!r}: write yes or no")
        return default
    return text in _YES


def _text(values: dict[str, str], column: str, problems: list[str], limit: int = MAX_TEXT,
          join_lines: bool = False) -> str | None:
    """A printed cell: a line break or control character is refused (or, with join_lines,
    line breaks become spaces, as in directions pasted from a label); patient data, so
    problems name the column and code points, never the value."""
    raw = values.get(column) or ""
    text = unicodedata.normalize("NFC", " ".join(raw.split()) if join_lines else raw.strip())
    if not text:
        return None
    if len(text) > limit:
        problems.append(f"{column}: longer than {limit} characters")
        return None
    if any(unicodedata.category(ch).startswith("C") or ch in "\n\r\u2028\u2029" for ch in text):
        what = "a control character" if join_lines else "a line break or control character"
        problems.append(f"{column}: contains {what}")
        return None
    problem = fonts.cannot_draw(text)
    if problem:
        problems.append(f"{column}: {problem}")
        return None
    return text


def _uses(values: dict[str, str]) -> tuple[str, ...]:
    """The `uses` cell: use ids separated by ';', ',' or spaces ("asthma; eczema")."""
    return tuple(dict.fromkeys(part for part in re.split(r"[;,\s]+", values.get("uses") or "") if part))


_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}


def safe_output_name(raw: str) -> str:
    """A file name that stays inside the output folder; ValueError says why it cannot."""
    name = unicodedata.normalize("NFC", raw.strip())
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise ValueError("contains control characters")
    if name.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", name):
        raise ValueError("is an absolute path; give a file name, which is written inside --out-dir")
    parts = re.split(r"[\\/]+", name)
    if ".." in parts:
        raise ValueError("points outside the output folder ('..')")
    if len(parts) > 1:
        raise ValueError("is a path; give a plain file name, which is written inside --out-dir")
    if name.startswith("."):
        raise ValueError("starts with '.' (hidden files are not allowed)")
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._-")  # spaces and odd characters become '_'
    if not stem:
        raise ValueError("has no letters or digits to make a file name from")
    if stem.split(".")[0].upper() in _RESERVED:  # devices on Windows and SMB shares
        stem = f"_{stem}"
    safe = f"{stem}.pdf"
    if len(safe.encode("utf-8")) > MAX_NAME_BYTES:
        raise ValueError(f"is longer than {MAX_NAME_BYTES} bytes")
    return safe


def output_name(row: int, values: dict[str, str], problems: list[str]) -> str | None:
    raw = (values.get("output") or "").strip()
    if raw:
        try:
            return safe_output_name(raw)
        except ValueError as exc:
            problems.append(f"output: {exc}")
            return None
    content = Path((values.get("content") or "").strip()).stem or "leaflet"
    audience = (values.get("audience") or "").strip().lower() or "leaflet"
    try:
        return safe_output_name(f"{row:05d}-{content}-{audience}.pdf")
    except ValueError:
        return f"{row:05d}.pdf"


def personal_details(values: dict[str, str], problems: list[str]) -> Personal:
    """The printed per-patient details (a row's, or `leaflet build`'s options), each checked
    as a cell: the same limits for a leaflet built one at a time, in a batch or on the page."""
    return Personal(
        patient_name=_text(values, "patient_name", problems),
        pharmacy=_text(values, "pharmacy", problems),
        pharmacy_phone=_text(values, "pharmacy_phone", problems),
        directions=_text(values, "directions", problems, MAX_DIRECTIONS, join_lines=True),
    )


def check_row(row: int, values: dict[str, str], base: Path, problems: list[str],
              pdfa: bool = False, strict: bool = False) -> Request | None:
    """The row's Request when every field is good; otherwise problems says what is wrong.

    `pdfa` is the batch's --pdfa, for a row whose pdfa column is empty; with strict, a
    translation not yet reviewed by a qualified person is a problem.
    """
    content_text = (values.get("content") or "").strip()
    audience = (values.get("audience") or "").strip().lower()
    before = len(problems)
    age = _number(values, "patient_age", problems)
    weight = _number(values, "patient_weight", problems)
    numbers_ok = len(problems) == before
    personal = personal_details(values, problems)
    uses = _uses(values)
    style = (values.get("style") or "").strip() or "standard"
    page_size = (values.get("page_size") or "").strip().lower() or "a4"
    pdfa = _yes_no(values, "pdfa", problems, pdfa)

    content = None
    if not content_text:
        problems.append("content: empty; name a content file")
    else:
        content_path = Path(content_text) if Path(content_text).is_absolute() else base / content_text
        language = (values.get("language") or "").strip()
        try:
            content_path = content_for(content_path, language or None)
            content = loaded_content(content_path)[0]
            if strict:
                refuse_unreviewed(content, content_path)
        except LeafletError as exc:
            message = exc.message
            if not Path(content_text).is_absolute() and not content_path.exists():
                message = (f"{content_text}: file not found (a relative path is read from the manifest's folder: "
                           f"looked for {os.path.abspath(content_path)}){files_nearby(content_path)}")
            problems.append(f"language {language!r}: {exc.message}" if language and content is None
                            and "no content in language" in exc.message else f"content: {message}")
            content = None
    if not audience:
        problems.append(f"audience: empty (choose from: {', '.join(AUDIENCES)})")
    elif audience not in AUDIENCES:
        problems.append(f"audience {audience!r}: unknown (choose from: {', '.join(AUDIENCES)})")
    elif numbers_ok:
        try:
            make_reader(audience, age, weight)
        except LeafletError as exc:
            problems.append(_as_columns(exc.message))
    if style.endswith((".yaml", ".yml")) or "/" in style:
        written, style = style, str(base / style) if not Path(style).is_absolute() else style
        if not Path(written).is_absolute() and not Path(style).exists():
            problems.append(f"style: {written}: file not found (a relative path is read from the manifest's folder: "
                            f"looked for {os.path.abspath(style)})")
            style = None
    if style is not None:
        try:
            loaded_style(style)
        except LeafletError as exc:
            problems.append(f"style: {exc.message}")
    if page_size not in PAGE_SIZES:
        problems.append(f"page_size {page_size!r}: unknown (choose from: {', '.join(PAGE_SIZES)})")
    if problems or content is None:
        return None
    problem = _tailor_problem(content_path, audience, age, weight, uses)
    if problem:
        problems.append(problem)
        return None
    return Request(content=content_path, audience=audience, patient_age=age, patient_weight=weight, style=style,
                   page_size=page_size, personal=personal, uses=uses, pdfa=pdfa)
