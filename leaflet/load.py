"""Stage 1: read a YAML file into plain data, keeping the line of every key.

The lines let every later error name `file:line`, as z3c.rml does for RML.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from functools import cache
from typing import IO, TYPE_CHECKING, Any

from .errors import LeafletError

if TYPE_CHECKING:
    import yaml

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Loaded:
    """A parsed YAML document and where each key path sits in the file."""

    path: Path
    data: dict[str, Any]
    lines: dict[KeyPath, int]

    def line_of(self, key_path: KeyPath) -> int:
        """The line of the longest known prefix of key_path (1 for the document)."""
        for end in range(len(key_path), 0, -1):
            line = self.lines.get(tuple(key_path[:end]))
            if line is not None:
                return line
        return 1


#: Content and style files are a few kilobytes (Dupixent's is 9 KB); anything this big is a
#: wrong file, refused before it is parsed.
MAX_BYTES = 256_000


def open_input(path: Path, kind: str, max_bytes: int | None = None, **open_args: Any) -> IO:
    """Open a file the user named, turning every way that can fail into one clear line."""
    try:
        if path.is_dir():
            raise LeafletError(f"{path}: is a folder, not {kind}")
        if path.exists() and not path.is_file():
            raise LeafletError(f"{path}: not a regular file")
        if max_bytes is not None and path.is_file() and path.stat().st_size > max_bytes:
            raise LeafletError(f"{path}: too large for {kind} ({path.stat().st_size:,} bytes; "
                               f"the limit is {max_bytes:,})")
        return open(path, **open_args)  # noqa: SIM115 (the caller closes it)
    except FileNotFoundError:
        raise LeafletError(f"{path}: file not found{files_nearby(path)}") from None
    except OSError as exc:
        raise LeafletError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError:  # a NUL byte in the name
        raise LeafletError(f"{str(path)!r}: not a possible file name") from None


def files_nearby(path: Path) -> str:
    """For a YAML file not found: the files of its folder that it may have meant, as
    " (did you mean 'epinephrine.yaml'?)" or " (files there: a.yaml, b.yaml)", else "".
    Only YAML names are offered (content and styles are public; a manifest's name may not be);
    a translation (dupixent.es.yaml) is not a file to name in a row or on the command line."""
    import difflib

    if path.suffix.lower() not in (".yaml", ".yml"):
        return ""
    try:
        names = sorted(each.name for each in path.parent.iterdir()
                       if each.suffix.lower() in (".yaml", ".yml") and each.name.count(".") == 1 and each.is_file())
    except OSError:
        return ""
    stems = {Path(name).stem.lower(): name for name in names}
    close = difflib.get_close_matches(path.stem.lower(), stems, n=2, cutoff=0.7)
    if close:
        return f" (did you mean {' or '.join(repr(stems[stem]) for stem in close)}?)"
    if 0 < len(names) <= 12:
        return f" (files there: {', '.join(names)})"
    return ""


def not_utf8(path: Path, error: UnicodeDecodeError) -> LeafletError:
    return LeafletError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})")


def read_text(path: str | Path) -> str:
    """A YAML file's text, every way reading it can fail as one clear line."""
    path = Path(path)
    with open_input(path, "a YAML file", MAX_BYTES, encoding="utf-8-sig") as handle:
        try:
            return handle.read()
        except UnicodeDecodeError as exc:
            raise not_utf8(path, exc) from None
        except OSError as exc:
            raise LeafletError(f"{path}: cannot read ({exc.strerror})") from None


def load_yaml(path: str | Path) -> Loaded:
    return parse_yaml(read_text(path), Path(path))


@cache
def _loader_class() -> type:
    """SafeLoader that leaves dates as text, so the schema reports a bad date with its line
    (PyYAML's own date parsing raises a bare ValueError with no position).

    libyaml's parser when PyYAML was built with it (the wheels are): about 5x faster than
    the pure-Python one. Made on first use: a build whose files were checked before
    (`leaflet.checked`) parses no YAML and does not import PyYAML at all.
    """
    import yaml

    class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }

    return _Loader


def _control_character(text: str, path: Path) -> LeafletError | None:
    """YAML refuses control characters (NUL, form feed, DEL...) anywhere, comments included;
    name the first one by line and code point rather than let the reader raise."""
    import yaml.reader

    found = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if not found:
        return None
    char = found.group()
    line = text.count("\n", 0, found.start()) + 1
    name = unicodedata.name(char, "") or {0: "NUL", 0x0C: "form feed", 0x7F: "DEL"}.get(ord(char), "a control character")
    return LeafletError(f"{path}:{line}: contains the invisible control character U+{ord(char):04X} ({name}), "
                        "which a YAML file may not hold; delete it (it may be copied in from another program)")


def parse_yaml(text: str, path: Path) -> Loaded:
    import yaml

    problem = _control_character(text, path)
    if problem:
        raise problem
    lines: dict[KeyPath, int] = {}
    loader = None
    try:
        loader = _loader_class()(text)
        node = loader.get_single_node()
        if node is None:
            raise LeafletError(f"{path}: file is empty")
        _record_lines(node, (), lines, path, set())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise LeafletError(_plain_syntax_error(exc, text, path)) from None
    except yaml.YAMLError as exc:
        raise LeafletError(f"{path}: YAML syntax error: {exc}") from None
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. a 5,000-digit number
        raise LeafletError(f"{path}: cannot read a value: {str(exc).split(';')[0]}") from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        raise LeafletError(f"{path}: file is empty")
    if not isinstance(data, dict):
        kind = {"str": "text", "list": "a list"}.get(type(data).__name__, type(data).__name__)
        raise LeafletError(f"{path}:{node.start_mark.line + 1}: expected a mapping of keys at the top, found {kind}")
    return Loaded(path=path, data=data, lines=lines)


#: `- {You} take it` or `text: {Your} child`: a placeholder opening a text that is not quoted.
_TEXT_STARTS_WITH_PLACEHOLDER = re.compile(r"^\s*(-\s+|[\w-]+:\s+)(\{[^{}:,\[\]]*\})\s*[^\s#,}\]]")


def _plain_syntax_error(exc: yaml.MarkedYAMLError, text: str, path: Path) -> str:
    """PyYAML's message in words a pharmacist can act on, at the line to change."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return f"{path}: YAML syntax error: {exc.problem or 'cannot parse'}"
    lines = text.splitlines()
    line = mark.line + 1
    problem = exc.problem or ""
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    if "'\\t'" in problem or "\t" in problem or ("cannot start any token" in problem and "\t" in here):
        tab_line = line if line <= len(lines) and "\t" in lines[line - 1] else next(
            (n for n, body in enumerate(lines, 1) if "\t" in body), line)
        body = lines[tab_line - 1] if tab_line <= len(lines) else ""
        where = "starts with a tab" if body[:len(body) - len(body.lstrip())].count("\t") else "has a tab"
        return f"{path}:{tab_line}: line {tab_line} {where}; indent with spaces (YAML does not allow tabs)"
    if "mapping values are not allowed" in problem or "could not find expected ':'" in problem:
        # YAML reads a key line without its ':' together with the next line, and blames that one.
        for number in range(min(line, len(lines)), 0, -1):
            body = lines[number - 1].split("#")[0].strip()
            if number < line and body and ":" not in body and not body.startswith(("-", "{", "[")):
                return (f"{path}:{number}: line {number} has no ':' after its key (write 'key: value'; "
                        f"YAML read it together with line {line})")
        return (f"{path}:{line}: a ':' where YAML did not expect one: put a text that contains ': ' "
                "in quotes, or check the indenting of this line")
    if exc.context in ("while parsing a flow sequence", "while parsing a flow mapping") and exc.context_mark:
        opened = exc.context_mark.line + 1
        pair = "[ ]" if "sequence" in exc.context else "{ }"
        return (f"{path}:{opened}: line {opened} opens a '{pair[0]}' that is not closed with '{pair[2]}' "
                f"(YAML noticed on line {line}); close it, or put the text in quotes")
    for number in dict.fromkeys(m.line + 1 for m in (exc.problem_mark, exc.context_mark) if m is not None):
        body = lines[number - 1] if 0 < number <= len(lines) else ""
        started = _TEXT_STARTS_WITH_PLACEHOLDER.match(body)
        if started:
            return (f"{path}:{number}: line {number}: a text that starts with a placeholder such as "
                    f"{started.group(2)} must be in quotes (\"{started.group(2)} ...\"); without them YAML "
                    f"reads the {{ }} as a mapping")
    if "found duplicate anchor" in problem or "found undefined alias" in problem:
        return f"{path}:{line}: YAML anchors and aliases (& and *) are not supported; write the text out"
    words = " ".join(part for part in (exc.context, problem) if part) or "cannot parse"
    return f"{path}:{line}: YAML syntax error: {words}"


def _record_lines(node: yaml.Node, key_path: KeyPath, lines: dict[KeyPath, int], path: Path,
                  seen_nodes: set[int]) -> None:
    import yaml

    if id(node) in seen_nodes and not isinstance(node, yaml.ScalarNode):
        # An alias: refused, since nested aliases can expand a small file without bound.
        raise LeafletError(f"{path}:{node.start_mark.line + 1}: YAML anchors and aliases (& and *) "
                           "are not supported; write the text out")
    seen_nodes.add(id(node))
    lines.setdefault(key_path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise LeafletError(f"{path}:{key_node.start_mark.line + 1}: key {key!r} appears twice")
            seen.add(key)
            lines[(*key_path, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, (*key_path, key), lines, path, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*key_path, index), lines, path, seen_nodes)
