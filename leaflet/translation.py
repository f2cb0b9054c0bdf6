"""Content per language: `dupixent.yaml` and its translations `dupixent.es.yaml`, ...

A translation is a whole content file in its language, with a `translation:` block that
names the file and version it was translated from, the translator and the review status.
One not yet reviewed by a qualified person prints a visible notice on every leaflet
(catalogue: not_reviewed), and `--strict` refuses it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import LeafletError

if TYPE_CHECKING:
    from .model import Content


def _base(path: Path) -> tuple[Path, str | None]:
    """dupixent.es.yaml -> (dupixent.yaml, "es"); dupixent.yaml -> (dupixent.yaml, None)."""
    parts = path.name.split(".")
    if len(parts) >= 3 and 2 <= len(parts[-2]) <= 5 and parts[-2].replace("-", "").isalpha():
        return path.with_name(".".join(parts[:-2] + parts[-1:])), parts[-2]
    return path, None


def versions(path: Path) -> dict[str, Path]:
    """The content files of one medicine by language code (the base file as "base")."""
    base, _ = _base(path)
    found = {"base": base} if base.is_file() else {}
    for sibling in sorted(base.parent.glob(f"{base.stem}.*{base.suffix}")):
        _, code = _base(sibling)
        if code:
            found[code] = sibling
    return found


def content_for(path: Path, language: str | None, base_language: str | None = None) -> Path:
    """The content file for a language: `dupixent.yaml` + es -> `dupixent.es.yaml`.

    The base file (no language in its name) serves its own language (base_language,
    default English); no language keeps the file named.
    """
    if not language:
        return path
    base, _ = _base(path)
    candidate = base.with_name(f"{base.stem}.{language}{base.suffix}")
    if candidate.is_file():
        return candidate
    if language == (base_language or "en") and base.is_file():
        return base
    have = sorted({code if code != "base" else (base_language or "en") for code in versions(path)})
    raise LeafletError(f"{path}: no content in language {language!r}: {candidate.name} not found "
                       f"(available: {', '.join(have) or 'none'})")


def source_version(path: Path) -> str:
    """How a translation names the version of the file it translates: sha256, 12 digits."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def not_reviewed(content: Content) -> bool:
    return content.translation is not None and content.translation.review.status != "reviewed"


def refuse_unreviewed(content: Content, path: Path | str) -> None:
    """--strict: a translation not yet reviewed by a qualified person is not printed."""
    if not_reviewed(content):
        raise LeafletError(f"{path}: translation into {content.language!r} not yet reviewed by a qualified "
                           f"person (translation.review.status: {content.translation.review.status}); "
                           "--strict refuses it")
