"""Interface text per language: the one place that looks words up.

Every word a leaflet prints that is not content (audience labels, the voice of {you},
footer, table headers, notes) comes from a catalogue, `leaflet/catalogues/<language>.yaml`:
plain data validated like content (`leaflet.catalogue_model`, errors as file:line), so a translator
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

from .checked import load_checked, remembered
from .errors import LeafletError
from .records import Record, as_plain, register

CATALOGUE_DIR = Path(__file__).with_name("catalogues")
SOURCE_LANGUAGE = "en"


class CatalogueWords:
    """What a catalogue does besides holding words, on its pydantic model and its record alike."""

    @property
    def right_to_left(self) -> bool:
        return self.direction == "rtl"

    def field(self, value: str) -> str:
        """A value put into one of this language's sentences (a source's title, a
        reviewer's name): on a right-to-left page, wrapped in a first-strong isolate
        (U+2068 ... U+2069) so that an English title keeps its own order and its own
        "?" while a full stop after it still ends the Arabic sentence (see rtl.py, which
        orders by the isolates and never draws them)."""
        return f"\u2068{value}\u2069" if value and self.right_to_left else value

    def date(self, day: dt.date) -> str:
        """A date written out for this language ("1 de febrero de 2024")."""
        return _date(self.locale, day)

    def partial_date(self, value: str) -> str:
        """A date given as YYYY, YYYY-MM or YYYY-MM-DD, to that precision, never invented."""
        return _partial_date(self.locale, str(value))

    def number(self, value: float) -> str:
        """A number for this language ("0,75" in Spanish)."""
        return _number(self.locale, value)


@register
class Catalogue(CatalogueWords, Record):
    """One language's interface text, checked (fields: `leaflet.catalogue_model.Catalogue`)."""

    _kind = "Catalogue"


# Babel takes tens of microseconds a call, and loading a locale's data for the first call
# about 30 ms, an eighth of a cold build; a leaflet writes the same few numbers (page
# numbers) and dates again and again. So they are remembered, in the process and between
# runs (`leaflet.checked.remembered`, keyed by the Babel and leaflet in use).
@lru_cache(maxsize=512)
def _number(locale: str, value: float) -> str:
    def make() -> str:
        from babel.numbers import format_decimal  # imported when a leaflet first needs it

        return format_decimal(value, locale=locale)

    return remembered(f"babel-{locale}", f"number:{value!r}", make)


@lru_cache(maxsize=64)
def _date(locale: str, day: dt.date) -> str:
    def make() -> str:
        from babel.dates import format_date

        return format_date(day, format="long" if locale != "en_GB" else "d MMMM y", locale=locale)

    return remembered(f"babel-{locale}", f"date:{day.isoformat()}", make)


@lru_cache(maxsize=64)
def _partial_date(locale: str, value: str) -> str:
    parts = [int(part) for part in value.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    if len(parts) == 2:
        def make() -> str:
            from babel.dates import format_skeleton

            return format_skeleton("yMMMM", dt.date(parts[0], parts[1], 1), locale=locale)

        return remembered(f"babel-{locale}", f"month:{parts[0]}-{parts[1]}", make)
    return _date(locale, dt.date(*parts))


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(text) if field}


def _messages(catalogue: CatalogueWords) -> dict[str, str]:
    """Every message of a catalogue by dotted key."""
    out: dict[str, str] = {}

    def walk(value, key: str) -> None:
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, dict):
            for name, inner in value.items():
                walk(inner, f"{key}.{name}" if key else name)

    walk({key: value for key, value in as_plain(catalogue).items() if key not in {"language", "locale", "direction"}}, "")
    return out


@cache
def _source_messages() -> dict[str, str]:
    return _messages(catalogue(SOURCE_LANGUAGE))


def available() -> list[str]:
    return sorted(path.stem for path in CATALOGUE_DIR.glob("*.yaml"))


@cache
def catalogue(language: str) -> Catalogue:
    """The catalogue for a language code ("es", or "es-MX" falling back to "es")."""
    for code in (language, language.split("-")[0]):
        path = CATALOGUE_DIR / f"{code}.yaml"
        if path.is_file():
            return load_checked(path, "catalogue", _check)
    raise LeafletError(f"no interface text for language {language!r} (available: {', '.join(available())}); "
                       f"add leaflet/catalogues/{language.split('-')[0]}.yaml")


def _check(loaded):
    from .catalogue_model import Catalogue as Schema
    from .validate import validate

    made = validate(loaded, Schema)
    if made.language != loaded.path.stem:
        raise LeafletError(f"{loaded.path}: language {made.language!r} does not match the file name")
    return made
