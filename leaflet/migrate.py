"""`leaflet migrate`: rewrite a schema-1 content file as schema 2, showing the diff.

The rewrite is `leaflet.schema1.migrate`, the same function that reads schema-1 files
at build time, applied to a ruamel.yaml round trip of the file so its comments, key
order and folded texts stay as they were. The result is checked as schema 2 before it is
shown or written: a migrated file means what the old one meant (the tests build both
and compare the PDFs byte for byte).
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .errors import LeafletError
from .load import load_yaml, parse_yaml
from .model import Content
from .schema1 import migrate
from .validate import schema_version, validate


@dataclass(frozen=True)
class Migration:
    path: Path
    old: str
    new: str
    #: What schema 2 checks that schema 1 did not (grammar) and this file fails: fix by hand.
    problems: tuple[str, ...]

    def diff(self) -> str:
        return "".join(difflib.unified_diff(self.old.splitlines(keepends=True), self.new.splitlines(keepends=True),
                                            f"{self.path} (schema 1)", f"{self.path} (schema 2)"))


def migrate_file(path: str | Path) -> Migration | None:
    """The file rewritten as schema 2, or None when it is schema 2 already."""
    path = Path(path)
    loaded = load_yaml(path)
    if schema_version(loaded) != 1:
        return None
    validate(loaded, Content)  # a schema-1 file that does not validate is fixed first, as schema 1
    old = path.read_text(encoding="utf-8-sig")
    yaml = YAML()  # round trip: comments and layout kept
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line the writer wrapped
    yaml.indent(mapping=2, sequence=4, offset=2)
    try:
        data = yaml.load(old)
    except YAMLError as exc:
        raise LeafletError(f"{path}: cannot read for migrating ({exc})") from None
    migrate(data)
    out = io.StringIO()
    yaml.dump(data, out)
    new = out.getvalue()
    problems: tuple[str, ...] = ()
    try:
        validate(parse_yaml(new, path), Content)
    except LeafletError as error:
        problems = tuple(error.problems or [error.message])
    return Migration(path, old, new, problems)
