"""Stage 2: check loaded data against a schema, reporting every problem at once.

Each problem reads `file:line: key.path: what is wrong`, so `leaflet validate` can list
them all and a single build can fail with the first one.

Content files come in two schemas. A file with `schema: 2` is checked against
`leaflet.model`; a file with no `schema:` key is schema 1, checked against
`leaflet.schema1` (so its problems name its own keys) and then migrated, so every later
stage sees a schema-2 `Content`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import LeafletError
from .fonts import cannot_draw
from .load import KeyPath, Loaded, load_yaml
from .model import SCHEMA_VERSION, Content
from .schema1 import Schema1Content, migrate

Model = TypeVar("Model", bound=BaseModel)

_PLAIN_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "missing required key",
}


def validate(loaded: Loaded, schema: type[Model]) -> Model:
    if schema is Content:
        return _content(loaded)  # type: ignore[return-value]
    try:
        model = schema.model_validate(loaded.data)
    except ValidationError as exc:
        _fail([_describe(loaded, error) for error in exc.errors(include_url=False)], loaded, schema)
    problems = _unprintable(loaded)
    if problems:
        _fail(problems, loaded, schema)
    return model


def schema_version(loaded: Loaded) -> int:
    """1 for a file with no `schema:` key, else the version it names (2)."""
    if "schema" not in loaded.data:
        return 1
    version = loaded.data["schema"]
    if type(version) is not int or version != SCHEMA_VERSION:
        raise LeafletError(f"{loaded.path}:{loaded.line_of(('schema',))}: schema: unknown schema version "
                           f"{version!r} (this leaflet reads {SCHEMA_VERSION}, or a file with no schema: key "
                           "as schema 1)")
    return version


def _content(loaded: Loaded) -> Content:
    """A content file of either schema, as a schema-2 `Content`."""
    old = schema_version(loaded) == 1
    try:
        if old:
            Schema1Content.model_validate(loaded.data)
            content = Content.model_validate(migrate(copy.deepcopy(loaded.data)))
        else:
            content = Content.model_validate(loaded.data)
    except ValidationError as exc:
        _fail([_describe(loaded, error) for error in exc.errors(include_url=False)], loaded, Content)
    problems = _unprintable(loaded) + _cross_references(loaded, content)
    if not old and not problems:
        from .grammar import grammar_problems  # it tailors, and tailoring needs valid content

        problems += [f"{_where(loaded, key_path)}: {message}"
                     for key_path, message in grammar_problems(content, loaded)]
    if problems:
        _fail(problems, loaded, Content)
    return content


def load_content(path: str | Path) -> Content:
    return validate(load_yaml(path), Content)


def _fail(problems: list[str], loaded: Loaded, schema: type[BaseModel]) -> NoReturn:
    message = problems[0]
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problem(s)"
        message += f"; `leaflet validate {loaded.path}` lists them all)" if schema is Content else ")"
    raise LeafletError(message, problems=problems)


def walk(data: Any, key_path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Every value in loaded YAML data, with its key path."""
    yield key_path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk(value, (*key_path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk(value, (*key_path, index))


def _where(loaded: Loaded, key_path: KeyPath) -> str:
    return f"{loaded.path}:{loaded.line_of(key_path)}: {'.'.join(map(str, key_path))}"


def _unprintable(loaded: Loaded) -> list[str]:
    """Text the embedded font cannot draw would print as empty boxes: refuse it here."""
    problems = []
    for key_path, value in walk(loaded.data):
        if isinstance(value, str):
            problem = cannot_draw(value)
            if problem:
                problems.append(f"{_where(loaded, key_path)}: {problem}")
    return problems


def _cross_references(loaded: Loaded, content: Content) -> list[str]:
    """Ids are unique, `applies.uses` names uses that exist (a typo would hide a line), and
    a line's `source:` names a source that exists."""
    problems = []
    known = set(content.use_ids())
    sources = {source.id for source in content.sources if source.id}
    first_seen: dict[str, KeyPath] = {}
    for key_path, value in walk(loaded.data):
        if not isinstance(value, dict):
            continue
        if isinstance(value.get("id"), str):
            if value["id"] in first_seen:
                line = loaded.line_of(first_seen[value["id"]])
                problems.append(f"{_where(loaded, (*key_path, 'id'))}: id {value['id']!r} is already "
                                f"used on line {line}")
            else:
                first_seen[value["id"]] = (*key_path, "id")
        if key_path and isinstance(value.get("source"), str) and value["source"] not in sources:
            problems.append(f"{_where(loaded, (*key_path, 'source'))}: unknown source {value['source']!r} "
                            f"(known: {', '.join(sorted(sources)) or 'none: give the sources an id'})")
        if key_path and key_path[-1] == "applies":
            for index, ref in enumerate(value.get("uses", [])):
                if ref not in known:
                    problems.append(f"{_where(loaded, (*key_path, 'uses', index))}: unknown use {ref!r} "
                                    f"(known: {', '.join(sorted(known))})")
    return problems


def _describe(loaded: Loaded, error: dict[str, Any]) -> str:
    key_path = _data_path(loaded.data, error["loc"])
    message = _PLAIN_MESSAGES.get(error["type"], error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if error["type"] not in ("extra_forbidden", "missing") and "input" in error:
        shown = error["input"]
        if isinstance(shown, (str, int, float)) and len(repr(shown)) <= 40:
            message += f" (got {shown!r})"
    where = ".".join(str(part) for part in key_path) or "(top level)"
    return f"{loaded.path}:{loaded.line_of(key_path)}: {where}: {message}"


def _data_path(data: Any, loc: tuple[Any, ...]) -> KeyPath:
    """Keep the parts of a pydantic location that are keys in the data.

    pydantic inserts union branch names (such as 'str' or 'function-after[...]')
    into locations; those are not keys a user could find in the file.
    """
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and not _is_branch_name(part):
            path.append(part)  # a missing key: name it, then stop
            break
    return tuple(path)


def _is_branch_name(part: str) -> bool:
    return "[" in part or part in {"str", "int", "float", "bool", "list", "dict", "none"}
