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
import difflib
import re
import types
from collections.abc import Iterator
from typing import Annotated, Any, NoReturn, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .errors import LeafletError
from .fonts import cannot_draw
from .load import KeyPath, Loaded
from .model import MAX_TEXT_CHARS, SCHEMA_VERSION, Content
from .schema1 import Schema1Content, migrate

Model = TypeVar("Model", bound=BaseModel)

_PLAIN_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "missing required key",
    "string_too_long": f"longer than {MAX_TEXT_CHARS:,} characters, the limit for one text (split it into lines)",
    "float_type": "should be a number",
    "int_type": "should be a whole number",
    "bool_type": "should be true or false",
    "string_type": "should be text",
    "list_type": "should be a list (one item per line, each starting with '- ')",
    "model_type": "should be a group of 'key: value' lines",
    "dict_type": "should be a group of 'key: value' lines",
}


def validate(loaded: Loaded, schema: type[Model]) -> Model:
    if schema is Content:
        return _content(loaded)  # type: ignore[return-value]
    try:
        model = schema.model_validate(loaded.data)
    except ValidationError as exc:
        _fail(_plain(loaded, schema, exc.errors(include_url=False)), loaded, schema)
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
        _fail(_plain(loaded, Schema1Content if old else Content, exc.errors(include_url=False)), loaded, Content)
    problems = _unprintable(loaded) + _cross_references(loaded, content)
    if not old and not problems:
        from .grammar import grammar_problems  # it tailors, and tailoring needs valid content

        problems += [f"{_where(loaded, key_path)}: {message}"
                     for key_path, message in grammar_problems(content, loaded)]
    if problems:
        _fail(problems, loaded, Content)
    return content


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


def _plain(loaded: Loaded, schema: type[BaseModel], errors: list[dict[str, Any]]) -> list[str]:
    """Every schema problem in plain words, in line order, with a suggestion for a
    misspelt key (whose "missing required key" twin is then left out: one typo, one line)."""
    suggested: set[KeyPath] = set()
    described: list[tuple[int, KeyPath, str]] = []
    for error in errors:
        key_path = _data_path(loaded.data, error["loc"])
        message = _describe(loaded, error, key_path)
        if error["type"] == "extra_forbidden" and key_path and isinstance(key_path[-1], str):
            known = [key for key in _known_keys(schema, key_path[:-1]) if key not in _keys_at(loaded.data, key_path[:-1])]
            close = difflib.get_close_matches(key_path[-1], known, 1, 0.6)
            if close:
                message += f" (did you mean {close[0]!r}?)"
                suggested.add((*key_path[:-1], close[0]))
        described.append((loaded.line_of(key_path), key_path, message))
    kept = [(line, message) for line, key_path, message in described
            if not (message.endswith(": missing required key") and key_path in suggested)]
    return [message for _, message in sorted(kept, key=lambda item: item[0])]


def _describe(loaded: Loaded, error: dict[str, Any], key_path: KeyPath) -> str:
    message = _PLAIN_MESSAGES.get(error["type"], error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    shown = error.get("input")
    if (error["type"] in ("float_type", "int_type") and isinstance(shown, str)
            and re.fullmatch(r"\s*[+-]?\d+(\.\d+)?\s*", shown)):
        message = "should be a number written without quotes"
    if error["type"] not in ("extra_forbidden", "missing") and "input" in error:
        if isinstance(shown, (str, int, float)) and len(repr(shown)) <= 40:
            message += f" (got {shown!r})"
    where = ".".join(str(part) for part in key_path) or "(top level)"
    return f"{loaded.path}:{loaded.line_of(key_path)}: {where}: {message}"


def _keys_at(data: Any, key_path: KeyPath) -> set[str]:
    for part in key_path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return set()
    return set(data) if isinstance(data, dict) else set()


def _known_keys(schema: type[BaseModel], key_path: KeyPath) -> list[str]:
    """The keys the schema allows at key_path (a mapping in the file), for suggestions."""
    annotation: Any = schema
    for part in key_path:
        model = _model_in(annotation)
        if isinstance(part, int):
            annotation = _item_type(annotation)
        elif model is not None and part in model.model_fields:
            annotation = model.model_fields[part].annotation
        else:
            return []
    model = _model_in(annotation)
    return list(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType, Annotated):
        for arg in get_args(annotation):
            model = _model_in(arg)
            if model is not None:
                return model
    return None


def _item_type(annotation: Any) -> Any:
    if get_origin(annotation) is Annotated:
        return _item_type(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        for arg in get_args(annotation):
            if get_origin(arg) is list or get_origin(arg) is Annotated:
                return _item_type(arg)
    if get_origin(annotation) is list:
        return get_args(annotation)[0]
    return None


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
