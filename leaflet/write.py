"""Stage 5: put a rendered PDF on disk atomically.

The bytes go to a temporary file in the target's folder and are renamed over the target
only when complete, so a failed or interrupted build never leaves a partial PDF and
never damages an existing one. The batch runner's state files, report and merged PDF
use the same `AtomicFile`.
"""

from __future__ import annotations

import glob
import os
import re
import tempfile
from pathlib import Path
from typing import IO, Any

from .errors import LeafletError

#: Temporary files are `.<target name>.<random>.part`, beside the target.
_TEMPORARY = re.compile(r"^\.(?P<target>.+)\.[^.]+\.part$")


def target_of_temporary(name: str) -> str | None:
    """The target a leftover temporary file (from a killed run) was for, if name is one."""
    match = _TEMPORARY.match(name)
    return match["target"] if match else None


def remove_temporaries(path: Path) -> None:
    """Delete what a killed run left while writing path (its `.part` files)."""
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.part"):
        if target_of_temporary(leftover.name) == path.name:
            leftover.unlink(missing_ok=True)


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
            handle, self._temp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=folder)
        except OSError as exc:
            raise LeafletError(f"{self.path}: cannot write in {folder} ({exc.strerror})") from None
        self.stream: IO = os.fdopen(handle, mode, **open_args)
        self._done = False

    def commit(self) -> None:
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()
        os.chmod(self._temp, 0o644)
        os.replace(self._temp, self.path)
        self._done = True

    def discard(self) -> None:
        if not self._done:
            self.stream.close()
            Path(self._temp).unlink(missing_ok=True)
            self._done = True

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
