"""Stage 5: put a rendered PDF on disk atomically.

The bytes go to a temporary file in the target's folder and are renamed over the target
only when complete, so a failed or interrupted build never leaves a partial PDF and
never damages an existing one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import LeafletError


def write_atomic(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise LeafletError(f"{path}: is a folder; give a file name for the PDF")
        if path.exists() and not path.is_file():
            # Renaming over a device or pipe (say /dev/null, as root) would replace it.
            raise LeafletError(f"{path}: exists and is not a regular file; give a file name for the PDF")
    except OSError as exc:
        raise LeafletError(f"{path}: cannot write there ({exc.strerror})") from None
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise LeafletError(f"{path}: cannot write in {folder} ({exc.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException as exc:
        Path(temp_name).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise LeafletError(f"{path}: cannot write ({exc.strerror})") from None
        raise
    return path
