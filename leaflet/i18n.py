"""Interface text per language: the one place that looks words up.

Every word a leaflet prints that is not content (audience labels, the voice of {you},
footer, table headers, notes) comes from a catalogue, `leaflet/catalogues/<language>.yaml`:
plain data validated like content (pydantic, errors as file:line), so a translator
edits one small file and no compile step (gettext's .po -> .mo) is needed for about
twenty messages. Messages are whole sentences with named fields ("Page {page} of
{total}"), so word order can change per language. Dates and numbers are formatted by
Babel (CLDR data, shipped in the package: nothing downloaded) for the catalogue's locale.
"""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache
from pathlib import Path
from string import Formatter
from typing import Literal

from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal
from pydantic import BaseModel, ConfigDict, model_validator

from .errors import LeafletError

CATALOGUE_DIR = Path(__file__).with_name("catalogues")
SOURCE_LANGUAGE = "en"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Voice(_Strict):
    you: str
    You: str
    your: str
    Your: str


class Voices(_Strict):
    caregiver: Voice
    others: Voice


class AudienceLabels(_Strict):
    caregiver: str
    adolescent: str
    adult: str


class DeviceColumns(_Strict):
    name: str
    doses: str
    ages: str


class Narrowed(_Strict):
    age: str
    weight: str
    both: str


class SideEffectTiers(_Strict):
    common: str
    call_doctor: str
    emergency: str


class Forms(_Strict):
    heading: str
    form: str
    strength: str


class Sources(_Strict):
    heading: str
    main: str
    others: str
    no_reviewer: str
    no_date: str
    no_reviewer_or_date: str
    #: Said once after a list of sources none of whose pages gives a reviewer or date.
    none_reviewed_or_dated: str
    #: Said once after a list in which only some sources give a reviewer or a date.
    others_undated: str


class Notes(_Strict):
    prescribed: str
    dose_narrowed: str
    no_dose: str


class Directions(_Strict):
    caregiver: str
    others: str


class Catalogue(_Strict):
    """One language's interface text."""

    language: str
    #: Babel locale for dates and numbers (en_GB: "1 February 2024").
    locale: str
    direction: Literal["ltr", "rtl"]
    audiences: AudienceLabels
    voice: Voices
    prepared_for: str
    pharmacy: str
    page_number: str
    source: str
    reviewed_by: str
    last_updated: str
    device_columns: DeviceColumns
    narrowed: Narrowed
    disclaimer: str
    not_reviewed: str
    side_effects: SideEffectTiers
    forms: Forms
    sources: Sources
    notes: Notes
    directions: Directions

    @property
    def right_to_left(self) -> bool:
        return self.direction == "rtl"

    def date(self, day: dt.date) -> str:
        """A date written out for this language ("1 de febrero de 2024")."""
        return _date(self.locale, day)

    def partial_date(self, value: str) -> str:
        """A date given as YYYY, YYYY-MM or YYYY-MM-DD, to that precision, never invented."""
        return _partial_date(self.locale, str(value))

    def number(self, value: float) -> str:
        """A number for this language ("0,75" in Spanish)."""
        return _number(self.locale, value)

    @model_validator(mode="after")
    def _fields_known(self) -> Catalogue:
        if self.language == SOURCE_LANGUAGE:
            return self
        source = _source_messages()
        for key, text in _messages(self).items():
            # The narrowed-to-patient notes are said in the reader's voice, like content.
            voiced = key.startswith(("narrowed.", "side_effects.", "notes."))
            extra = {field for field in _fields(text) - _fields(source[key])
                     if not (voiced and (field in {"you", "You", "your", "Your"} or "|" in field))}
            if extra:
                raise ValueError(f"{key}: unknown field(s) {', '.join(sorted(extra))} "
                                 f"(the English message has: {', '.join(sorted(_fields(source[key]))) or 'none'})")
        return self


# Babel takes tens of microseconds a call; a leaflet writes the same few numbers (page
# numbers) and dates again and again, so they are remembered.
@lru_cache(maxsize=512)
def _number(locale: str, value: float) -> str:
    return format_decimal(value, locale=locale)


@lru_cache(maxsize=64)
def _date(locale: str, day: dt.date) -> str:
    return format_date(day, format="long" if locale != "en_GB" else "d MMMM y", locale=locale)


@lru_cache(maxsize=64)
def _partial_date(locale: str, value: str) -> str:
    parts = [int(part) for part in value.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    if len(parts) == 2:
        return format_skeleton("yMMMM", dt.date(parts[0], parts[1], 1), locale=locale)
    return _date(locale, dt.date(*parts))


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(text) if field}


def _messages(catalogue: Catalogue) -> dict[str, str]:
    """Every message of a catalogue by dotted key."""
    out: dict[str, str] = {}

    def walk(value, key: str) -> None:
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, dict):
            for name, inner in value.items():
                walk(inner, f"{key}.{name}" if key else name)

    walk(catalogue.model_dump(exclude={"language", "locale", "direction"}), "")
    return out


@cache
def _source_messages() -> dict[str, str]:
    return _messages(catalogue(SOURCE_LANGUAGE))


def available() -> list[str]:
    return sorted(path.stem for path in CATALOGUE_DIR.glob("*.yaml"))


@cache
def catalogue(language: str) -> Catalogue:
    """The catalogue for a language code ("es", or "es-MX" falling back to "es")."""
    from .validate import validate  # validate imports fonts, which is fine; avoid a cycle at import
    from .load import load_yaml

    for code in (language, language.split("-")[0]):
        path = CATALOGUE_DIR / f"{code}.yaml"
        if path.is_file():
            made = validate(load_yaml(path), Catalogue)
            if made.language != path.stem:
                raise LeafletError(f"{path}: language {made.language!r} does not match the file name")
            return made
    raise LeafletError(f"no interface text for language {language!r} (available: {', '.join(available())}); "
                       f"add leaflet/catalogues/{language.split('-')[0]}.yaml")
