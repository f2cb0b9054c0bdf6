"""Stage 2: check loaded data against a schema, reporting every problem at once.

Each problem reads `file:line: key.path: what is wrong`, so `leaflet validate` can list
them all and a single build can fail with the first one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import LeafletError
from .fonts import cannot_draw
from .load import KeyPath, Loaded, load_yaml
from .model import MAX_TEXT_CHARS, Content

Model = TypeVar("Model", bound=BaseModel)

_PLAIN_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "missing required key",
    "string_too_long": f"longer than {MAX_TEXT_CHARS:,} characters, the limit for one text (split it into lines)",
}


def validate(loaded: Loaded, schema: type[Model]) -> Model:
    try:
        model = schema.model_validate(loaded.data)
    except ValidationError as exc:
        _fail([_describe(loaded, error) for error in exc.errors(include_url=False)], loaded, schema)
    problems = _unprintable(loaded)
    if isinstance(model, Content):
        problems += _cross_references(loaded, model)
    if problems:
        _fail(problems, loaded, schema)
    return model


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
    """Ids are unique, and `applies.uses` names uses that exist (a typo would hide a line)."""
    problems = []
    known = {use.id for use in content.uses.items}
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
    return "[" in part or part in {"str", "int", "float", "bool", "list", "dict", "date", "none"}
