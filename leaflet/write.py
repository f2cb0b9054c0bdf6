"""Stage 5: put a rendered PDF on disk atomically.

The bytes go to a temporary file in the target's folder and are renamed over the target
only when complete, so a failed or interrupted build never leaves a partial PDF and
never damages an existing one. The batch runner's state files, report and merged PDF
use the same `AtomicFile`.

A temporary file is held under an advisory lock (flock) by the process writing it, for
as long as it exists. The kernel drops the lock when that process dies, however it dies,
so "leftover" means "not locked": cleanup removes what a killed run left and never a
file another live run (a second batch, a shard, a build) is still writing.

Files are created as any Unix tool creates them: read-write for whoever the umask lets
read them (0644 under umask 022, 0600 under 077, which the README recommends for
patient data).
"""

from __future__ import annotations

import glob
import os
import re
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from .errors import LeafletError

try:
    import fcntl
except ImportError:  # not on Windows: no locks, and leftovers are never removed (never a live file)
    fcntl = None  # type: ignore[assignment]

#: Temporary files are `.<target name>.<random>.part`, beside the target.
_TEMPORARY = re.compile(r"^\.(?P<target>.+)\.[^.]+\.part$")


def target_of_temporary(name: str) -> str | None:
    """The target a leftover temporary file (from a killed run) was for, if name is one."""
    match = _TEMPORARY.match(name)
    return match["target"] if match else None


def remove_if_abandoned(path: Path) -> bool:
    """Delete a temporary file whose writer is gone (no process holds its lock)."""
    if fcntl is None:
        return False
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # its writer is alive
        try:
            now = os.lstat(path)
        except OSError:
            return False
        held = os.fstat(handle)
        if (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino):
            return False  # replaced since it was opened: judge it again next time
        os.unlink(path)  # under the lock: a writer that wakes up sees it unlinked and starts again
        return True
    except OSError:
        return False
    finally:
        os.close(handle)


def remove_temporaries(path: Path) -> None:
    """Delete what killed runs left while writing path (their `.part` files), never a
    temporary file that a live process is writing."""
    for leftover in Path(path).parent.glob(f".{glob.escape(Path(path).name)}.*.part"):
        if target_of_temporary(leftover.name) == Path(path).name:
            remove_if_abandoned(leftover)


def current_umask() -> int:
    """The process's umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def lock(path: Path, exclusive: bool, wait: float = 0) -> int | None:
    """Take an advisory lock on path (created if missing), waiting up to `wait` seconds.

    Returns the open descriptor that holds the lock (closing it releases the lock), or
    None when another process holds it. Symbolic links are not followed.
    """
    if fcntl is None:
        return os.open(os.devnull, os.O_RDONLY)
    handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, mode)
            return handle
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(handle)
                return None
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def _locked_temporary(folder: Path, name: str) -> tuple[int, str]:
    """A new temporary file for name, created and locked (so no cleanup takes it)."""
    while True:
        handle, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
        if fcntl is None:
            return handle, temp
        fcntl.flock(handle, fcntl.LOCK_EX)  # a cleaner may hold it for an instant, then unlink it
        if os.fstat(handle).st_nlink:
            return handle, temp
        os.close(handle)  # removed as a leftover in the instant before the lock: make another


class AtomicFile:
    """A file written under a temporary name and renamed over its target by commit().

    Until commit() the target is untouched; leaving the with-block without committing
    (an error, Ctrl-C, or a decision not to keep it) removes the temporary file.
    """

    def __init__(self, path: Path, mode: str = "wb", **open_args: Any) -> None:
        self.path = Path(path)
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, self._temp = _locked_temporary(folder, self.path.name)
        except OSError as exc:
            raise LeafletError(f"{self.path}: cannot write in {folder} ({exc.strerror})") from None
        self.stream: IO = os.fdopen(handle, mode, **open_args)
        self._done = False

    def commit(self) -> None:
        self.stream.flush()
        os.fsync(self.stream.fileno())
        os.fchmod(self.stream.fileno(), 0o666 & ~current_umask())  # mkstemp made it 0600
        os.replace(self._temp, self.path)  # still locked: no cleanup can take it before this
        self._done = True
        self.stream.close()

    def discard(self) -> None:
        if not self._done:
            self._done = True
            Path(self._temp).unlink(missing_ok=True)
            try:
                self.stream.close()
            except OSError:
                pass  # the buffered bytes could not be written (a full disk): the file is gone anyway

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.discard()


def write_atomic(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    try:
        if path.is_dir():
            raise LeafletError(f"{path}: is a folder; give a file name for the PDF")
        if path.exists() and not path.is_file():
            # Renaming over a device or pipe (say /dev/null, as root) would replace it.
            raise LeafletError(f"{path}: exists and is not a regular file; give a file name for the PDF")
        with AtomicFile(path) as out:
            out.stream.write(data)
            out.commit()
    except OSError as exc:
        raise LeafletError(f"{path}: cannot write there ({exc.strerror})") from None
    return path
