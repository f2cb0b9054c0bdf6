"""Content, styles and catalogues checked once, and remembered between runs.

Checking a file (`leaflet.validate`, with pydantic) costs more than laying out its
leaflet: importing pydantic and building its validators was half of a cold
`leaflet build`. So the checked data of a file (`leaflet.records`) is written to a
cache, keyed by the file's name and bytes and by this copy of leaflet (its version, its
code and catalogues, the fonts it found), and later runs read it back without
importing pydantic or PyYAML. Any edit to the file, or to leaflet, misses and checks
the file afresh; a file that fails its check is never remembered.

Where: $LEAFLET_CACHE_DIR, else $XDG_CACHE_HOME/leaflet, else ~/.cache/leaflet. An empty
LEAFLET_CACHE_DIR turns the cache off. It holds checked content, styles and catalogues
only (public text, never a patient's name or directions) as JSON (data, never code),
Babel's dates and page numbers, and what ReportLab read from the shipped fonts
(`leaflet.fonts`, as marshal: plain data types, nothing executed), in a folder only its
owner may write; a folder that is not so is not used. Whatever goes wrong with the
cache (read-only home, full disk, a damaged entry) costs a check, never a build.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from stat import S_ISREG
from typing import Any, Callable

from . import __version__
from .load import Loaded, parse_yaml, read_text
from .records import freeze, from_data, to_data

PACKAGE = Path(__file__).resolve().parent

#: Entries and bytes kept; past either the oldest are removed when a new one is written.
MAX_ENTRIES = 500
MAX_BYTES = 100 * 1024 * 1024


#: Set by `fresh()`: nothing remembered is read or written.
_off = False


@contextmanager
def fresh() -> Iterator[None]:
    """Everything checked from scratch inside: the content, the catalogues, the fonts.
    For the commands an author runs to learn whether a file is right (`leaflet validate`,
    `lint`, `migrate`): their answer never rests on what an earlier run remembered."""
    global _off
    before, _off = _off, True
    try:
        yield
    finally:
        _off = before


def cache_folder() -> Path | None:
    """The cache folder the environment names, or None when the cache is off.

    A relative XDG_CACHE_HOME is ignored, as the XDG spec says; with no home either (a
    container's user with no HOME and no passwd entry, where `~` stays `~`) there is no
    cache, rather than a `~` folder wherever leaflet runs."""
    if _off:
        return None
    named = os.environ.get("LEAFLET_CACHE_DIR")
    if named is not None:
        return Path(named) if named.strip() else None
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "leaflet"


def load_checked(path: str | Path, kind: str, check: Callable[[Loaded], Any]) -> Any:
    """The checked records of a file: remembered from an earlier run, or `check`ed now.

    check gets the parsed file and returns its pydantic model (or raises LeafletError).
    """
    path = Path(path)
    text = read_text(path)
    folder = cache_folder()
    if not folder:
        return freeze(check(parse_yaml(text, path)))
    key = hashlib.sha256("\0".join((_code_fingerprint(), _catalogues(), kind, path.name, text))
                         .encode("utf-8", "surrogatepass")).hexdigest()
    remembered = _read(folder, key)
    if remembered is not None:
        return remembered
    records = freeze(check(parse_yaml(text, path)))
    _write(folder, key, records)
    return records


def remembered(namespace: str, key: str, make: Callable[[], str]) -> str:
    """make(), remembered between runs under namespace and key: for pure functions of
    their key whose first call is slow (Babel loads a locale's CLDR data, about 30 ms, to
    write the first date or page number of a run)."""
    values = _remembered_values(namespace)
    value = values.get(key)
    if not isinstance(value, str):
        value = values[key] = make()
        folder = cache_folder()
        if folder:  # a copy: another thread (leaflet serve) may be adding to values
            _write(folder, _memo_name(namespace), dict(values), plain=True)
    return value


@cache
def _remembered_values(namespace: str) -> dict[str, Any]:
    folder = cache_folder()
    values = _read(folder, _memo_name(namespace), plain=True) if folder else None
    return values if isinstance(values, dict) else {}


def _memo_name(namespace: str) -> str:
    return hashlib.sha256(f"{_code_fingerprint()}\0memo\0{namespace}".encode()).hexdigest()


def load_content(path: str | Path):
    """A content file of either schema, checked, as a `Content` record."""
    return load_checked(path, "content", _check_content)


def _check_content(loaded: Loaded):
    from .model import Content
    from .validate import validate

    return validate(loaded, Content)


@cache
def _code_fingerprint() -> str:
    """What decides whether a file passes its check and how it reads, besides the file
    and the catalogues (`_catalogues`): this leaflet's code, the Python, pydantic, PyYAML,
    Babel and ReportLab it runs on, and the fonts that decide which characters can be
    drawn (the shipped ones and the CJK font found, by path and identity: another file at
    the same path is another font)."""
    from .fonts import FONT_DIR, cjk_face

    parts = [__version__, sys.version]
    files = [*PACKAGE.glob("*.py"), *FONT_DIR.glob("*.ttf")]
    try:
        import importlib.util

        for package, version_file in (("pydantic", "version.py"), ("pydantic_core", "__init__.py"),
                                      ("yaml", "__init__.py"), ("babel", "__init__.py"),
                                      ("reportlab", "__init__.py")):
            spec = importlib.util.find_spec(package)
            if spec and spec.origin:
                files.append(Path(spec.origin).with_name(version_file))
    except (ImportError, ValueError):
        pass
    face = cjk_face()
    parts.append(f"CJK font {face.regular}" if face else "no CJK font")
    if face:
        files.append(face.regular)
    for file in sorted(files):
        parts.append(f"{file}:{file_identity(file)}")
    return "\n".join(parts)


def file_identity(path: Path) -> str:
    """Which file is at path, as far as its metadata tells: size, modification time, and
    the inode and its change time, which no copy, `touch` or unpacking can set back (an
    image whose files all carry one normalised time is still told apart)."""
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}:{stat.st_ctime_ns}"


def _catalogues() -> str:
    """The catalogues, by their bytes: a catalogue's check reads the English one, and a
    content file's check tailors it in its language's. Read where `leaflet.i18n` reads
    them, at each check (a few small files)."""
    from . import i18n  # imported by now (it imports this module); not at import time

    digest = hashlib.sha256()
    try:
        for path in sorted(i18n.CATALOGUE_DIR.glob("*.yaml")):
            digest.update(path.name.encode("utf-8", "surrogateescape") + b"\0" + path.read_bytes() + b"\0")
    except OSError as exc:
        digest.update(f"unreadable: {exc}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def remembered_bytes(namespace: str, key: str) -> bytes | None:
    """What `remember_bytes` kept under namespace and key on an earlier run, or None."""
    folder = cache_folder()
    return _read_bytes(folder, _memo_name(f"{namespace}\0{key}") + ".bin") if folder else None


def remember_bytes(namespace: str, key: str, payload: bytes) -> None:
    folder = cache_folder()
    if folder:
        _write_bytes(folder, _memo_name(f"{namespace}\0{key}") + ".bin", payload)


def _read(folder: Path, key: str, plain: bool = False) -> Any:
    payload = _read_bytes(folder, f"{key}.json")
    if payload is None:
        return None
    try:
        entry = json.loads(payload)
        if entry.get("leaflet") != __version__:
            return None
        return entry["data"] if plain else from_data(entry["data"])
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None  # damaged: check the file again


def _write(folder: Path, key: str, records: Any, plain: bool = False) -> None:
    try:
        payload = json.dumps({"leaflet": __version__, "data": records if plain else to_data(records)},
                             ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (ValueError, TypeError, RecursionError):
        return
    _write_bytes(folder, f"{key}.json", payload)


#: Every entry starts with this line and the sha256 of the rest: a damaged entry that
#: still parses (a flipped digit in a dose, a glyph width) is never used.
_HEADER = b"leaflet-cache 1\n"
_DIGEST_LENGTH = 64
#: Larger than any entry written (a CJK font's face is some 3 MB).
_MAX_ENTRY_BYTES = 64 * 1024 * 1024
#: Opened without following a symbolic link, and without waiting on a FIFO.
_ENTRY_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _open_folder(folder: Path, create: bool = False) -> int | None:
    """A descriptor of the cache folder when it is ours alone to write, else None.

    Entries are then read and written relative to the descriptor, so the folder whose
    owner was checked is the folder used, even if its path (through a folder someone else
    can write) is pointed elsewhere meanwhile: another user's entries could say anything.
    """
    if os.open not in os.supports_dir_fd or not hasattr(os, "O_DIRECTORY"):
        return None  # no way to hold on to the folder checked: no cache
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        stat = os.fstat(descriptor)
        if stat.st_uid == os.getuid() and not stat.st_mode & 0o022:
            return descriptor
    except OSError:
        pass
    os.close(descriptor)
    return None


def _read_bytes(folder: Path, name: str) -> bytes | None:
    descriptor = _open_folder(folder)
    if descriptor is None:
        return None
    try:
        entry = os.open(name, _ENTRY_FLAGS, dir_fd=descriptor)
        with os.fdopen(entry, "rb") as handle:
            stat = os.fstat(handle.fileno())
            if not S_ISREG(stat.st_mode) or stat.st_uid != os.getuid() or stat.st_size > _MAX_ENTRY_BYTES:
                return None
            payload = handle.read(_MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    start = len(_HEADER) + _DIGEST_LENGTH + 1
    if not payload.startswith(_HEADER) or payload[start - 1:start] != b"\n":
        return None
    body = payload[start:]
    if hashlib.sha256(body).hexdigest().encode("ascii") != payload[len(_HEADER):start - 1]:
        return None  # damaged
    return body


def _write_bytes(folder: Path, name: str, payload: bytes) -> None:
    descriptor = _open_folder(folder, create=True)
    if descriptor is None:
        return
    temporary = None
    try:
        framed = _HEADER + hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n" + payload
        _prune(descriptor, len(framed))
        temporary = f".{secrets.token_hex(8)}.part"
        entry = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                        | getattr(os, "O_CLOEXEC", 0), 0o600, dir_fd=descriptor)
        with os.fdopen(entry, "wb") as handle:
            handle.write(framed)
        os.replace(temporary, name, src_dir_fd=descriptor, dst_dir_fd=descriptor)
        temporary = None
    except OSError:
        pass  # a cache that cannot be written is a cache not used
    finally:
        if temporary:
            try:
                os.unlink(temporary, dir_fd=descriptor)
            except OSError:
                pass
        os.close(descriptor)


def _prune(descriptor: int, adding: int = 0) -> None:
    """Keep the folder small: the oldest entries past MAX_ENTRIES or MAX_BYTES (with the
    `adding` bytes about to be written), and what a killed run left half-written an hour
    ago, go."""
    def stat(name: str) -> tuple[float, int]:
        try:
            found = os.stat(name, dir_fd=descriptor, follow_symlinks=False)
            return found.st_mtime, found.st_size
        except OSError:
            return 0.0, 0

    names = os.listdir(descriptor)
    entries = sorted((stat(name), name) for name in names if name.endswith((".json", ".bin")))
    stale = [name for name in names if name.startswith(".") and name.endswith(".part")
             and stat(name)[0] < time.time() - 3600]
    held = adding + sum(size for (_, size), _ in entries)
    going = []
    for (_, size), name in entries:
        if len(entries) - len(going) < MAX_ENTRIES and held <= MAX_BYTES:
            break
        going.append(name)
        held -= size
    for name in going + stale:
        try:
            os.unlink(name, dir_fd=descriptor)
        except OSError:
            pass
