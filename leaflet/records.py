"""Checked data as plain objects: what the stages after validation read.

pydantic declares and checks content, styles and catalogues (`leaflet.model`,
`leaflet.style_model`, `leaflet.catalogue_model`), but importing it and building its
validators is most of a cold `leaflet build`. So a checked file is turned into a tree of
`Record`s with the same attribute names, and that tree can be written as JSON and read
back (`leaflet.checked`) without importing pydantic at all. Every build reads records,
whether the file was checked a moment ago or on an earlier run, so there is one path.

JSON, not pickle: a cache file can only ever hold data, never code. Every mapping is
written tagged ({"r": kind, "f": fields}, {"d": mapping}, {"t": date}), so no key a
content file may contain (a glossary term, say) is mistaken for a tag.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any


class Record:
    """One checked model: its fields as read-only attributes (kept in the instance's
    __dict__, so reading one costs what reading any attribute costs)."""

    _kind = "Record"

    def __init__(self, fields: dict[str, Any]) -> None:
        self.__dict__.update(fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("checked data is read-only")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._kind == self._kind and vars(other) == vars(self)

    def __hash__(self) -> int:  # by value, as pydantic's frozen models: equal styles share a layout cache
        return hash((self._kind, _hashable(vars(self))))

    def __repr__(self) -> str:
        return f"{self._kind}({vars(self)!r})"

    def __reduce__(self):
        """For copy.deepcopy and multiprocessing: a class with behaviour of its own
        (`leaflet.i18n.Catalogue`) by its name, so that a process that has not imported its
        module yet imports it; a plain record by its kind."""
        kind = type(self)
        module = sys.modules.get(kind.__module__)
        if kind.__qualname__ == kind.__name__ and getattr(module, kind.__name__, None) is kind:
            return (kind, (dict(vars(self)),))
        return (_rebuild, (self._kind, dict(vars(self))))



def _hashable(value: Any) -> Any:
    if isinstance(value, dict):  # equal whatever the order, as dicts compare
        return frozenset((key, _hashable(item)) for key, item in value.items())
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    return value


def as_plain(value: Any) -> Any:
    """Records as plain dicts and lists, as pydantic's `model_dump` gives a model."""
    if isinstance(value, Record):
        return {name: as_plain(item) for name, item in vars(value).items()}
    if isinstance(value, list):
        return [as_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: as_plain(item) for key, item in value.items()}
    return value


class ContentFacts:
    """What every stage asks of a medicine's content, on the pydantic model and its record alike."""

    @property
    def title(self) -> str:
        """"Dupixent (dupilumab)", or the generic name alone when there is no brand."""
        medicine = self.medicine  # type: ignore[attr-defined]
        if not medicine.brands:
            return medicine.generic[:1].upper() + medicine.generic[1:]
        return f"{' or '.join(medicine.brands)} ({medicine.generic})"

    @property
    def name(self) -> str:
        """The medicine's name in running text and file names: the first brand, else the generic."""
        medicine = self.medicine  # type: ignore[attr-defined]
        return medicine.brands[0] if medicine.brands else medicine.generic

    @property
    def source(self):
        """The main source."""
        return self.sources[0]  # type: ignore[attr-defined]

    def use_ids(self) -> list[str]:
        return [use.id for use in self.uses.items] if self.uses else []  # type: ignore[attr-defined]


class ContentRecord(ContentFacts, Record):
    _kind = "Content"


#: Record classes with behaviour of their own, by the model class name they stand for.
KINDS: dict[str, type[Record]] = {"Content": ContentRecord}


def register(record_class: type[Record]) -> type[Record]:
    """Add a record class for a model of the same name (`kind`)."""
    KINDS[record_class._kind] = record_class
    return record_class


def freeze(value: Any) -> Any:
    """A checked pydantic model (or plain data holding models) as records."""
    fields = getattr(type(value), "model_fields", None)  # a pydantic model, without importing pydantic
    if fields is not None:
        return _rebuild(type(value).__name__, {name: freeze(getattr(value, name)) for name in fields})
    if isinstance(value, (list, tuple)):
        return [freeze(item) for item in value]
    if isinstance(value, dict):
        return {key: freeze(item) for key, item in value.items()}
    if value is None or isinstance(value, (str, bool, int, float, dt.date)):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} as checked data")


def _rebuild(kind: str, fields: dict[str, Any]) -> Record:
    record_class = KINDS.get(kind)
    if record_class is None:  # a model with no behaviour of its own: a plain record named after it
        record_class = KINDS[kind] = type(kind, (Record,), {"_kind": kind, "__module__": __name__})
    return record_class(fields)


def to_data(value: Any) -> Any:
    """Records as JSON-ready tagged data."""
    if isinstance(value, Record):
        return {"r": value._kind, "f": {name: to_data(item) for name, item in vars(value).items()}}
    if isinstance(value, list):
        return [to_data(item) for item in value]
    if isinstance(value, dict):
        return {"d": {key: to_data(item) for key, item in value.items()}}
    if isinstance(value, dt.date):
        return {"t": value.isoformat()}
    return value


def from_data(data: Any) -> Any:
    """The inverse of `to_data`; raises ValueError on anything it did not write."""
    if isinstance(data, list):
        return [from_data(item) for item in data]
    if isinstance(data, dict):
        if data.keys() == {"r", "f"}:
            return _rebuild(data["r"], {name: from_data(item) for name, item in data["f"].items()})
        if data.keys() == {"d"}:
            return {key: from_data(item) for key, item in data["d"].items()}
        if data.keys() == {"t"}:
            return dt.date.fromisoformat(data["t"])
        raise ValueError(f"not checked data: a mapping with keys {sorted(data)}")
    if data is None or isinstance(data, (str, bool, int, float)):
        return data
    raise ValueError(f"not checked data: {type(data).__name__}")
