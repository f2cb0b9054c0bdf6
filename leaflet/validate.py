"""Stage 2: check loaded data against a schema, reporting every problem at once.

Each problem reads `file:line: key.path: what is wrong`, so `leaflet validate` can list
them all and a single build can fail with the first one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import LeafletError
from .load import KeyPath, Loaded, load_yaml
from .model import Content

Model = TypeVar("Model", bound=BaseModel)

_PLAIN_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "missing required key",
}


def validate(loaded: Loaded, schema: type[Model]) -> Model:
    try:
        return schema.model_validate(loaded.data)
    except ValidationError as exc:
        problems = [_describe(loaded, error) for error in exc.errors(include_url=False)]
        raise LeafletError(problems[0] if len(problems) == 1 else
                           f"{problems[0]} (and {len(problems) - 1} more problem(s); "
                           f"run `leaflet validate {loaded.path}` to see all)",
                           problems=problems) from None


def load_content(path: str | Path) -> Content:
    return validate(load_yaml(path), Content)


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
