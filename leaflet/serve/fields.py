"""The fields of one leaflet request, made from the batch manifest's columns.

The page's form, the JSON API and its OpenAPI description are all made from `fields()`,
and a request is checked by the batch's own `manifest.check_row`, so the server says
exactly what `leaflet batch` says about the same values. A column added to
`manifest.COLUMNS` appears in the form, the API and the OpenAPI description at once, as a
plain text field; an entry in DESCRIBED gives it a better label, a hint or a list of
choices.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import manifest
from ..build import Request
from ..styles import PAGE_SIZES
from ..styles import available_styles
from ..tailor import AUDIENCES, audience_for_age

if TYPE_CHECKING:
    from .library import Library

Choices = Callable[["Library"], list[tuple[str, str]]]


@dataclass(frozen=True)
class Field:
    """One input: its manifest column (the API's JSON key) and how the form shows it."""

    name: str
    label: str
    kind: str = "text"  # text, long (several lines), number, choice, or uses (ticks per medicine)
    hint: str = ""
    #: The browser's autofill; "off" for health information, so no browser keeps it.
    autocomplete: str = "off"
    choices: Choices | None = None
    #: A number's unit, for the OpenAPI description.
    unit: str = ""
    #: The section of the form it belongs to.
    group: str = "patient"
    required: bool = False


def _medicines(library: Library) -> list[tuple[str, str]]:
    return [(medicine.id, medicine.title) for medicine in library.medicines.values()]


def _audiences(_library: Library) -> list[tuple[str, str]]:
    return [("", "Follow the patient's age")] + [(a.name, f"{a.name.capitalize()}: {a.label[4:]}")
                                                 for a in AUDIENCES.values()]


def _styles(_library: Library) -> list[tuple[str, str]]:
    labels = {"standard": "Standard", "large-print": "Large print (18 pt)", "ink-saver": "Ink saver (black only)"}
    return [(name, labels.get(name, name.replace("-", " ").capitalize())) for name in _style_names()]


def _page_sizes(_library: Library) -> list[tuple[str, str]]:
    labels = {"a4": "A4", "letter": "US Letter"}
    return [(name, labels.get(name, name.upper())) for name in PAGE_SIZES]


_LANGUAGE_NAMES = {"en": "English", "es": "Español", "ar": "العربية", "fr": "Français", "de": "Deutsch",
                   "pt": "Português", "it": "Italiano", "pl": "Polski", "zh": "中文", "vi": "Tiếng Việt"}


def _languages(library: Library) -> list[tuple[str, str]]:
    codes = dict.fromkeys(code for medicine in library.medicines.values() for code in medicine.languages)
    return [("", "The medicine's own")] + [(code, f"{_LANGUAGE_NAMES.get(code.split('-')[0], code)} ({code})")
                                            for code in codes]


def _yes_no(_library: Library) -> list[tuple[str, str]]:
    return [("", "No"), ("yes", "Yes")]


def _style_names() -> list[str]:
    names = available_styles()
    return sorted(names, key=lambda name: (name != "standard", name))  # the default first


MEDICINE = Field("medicine", "Medicine", "choice", choices=_medicines, required=True)

#: How the form shows the manifest's columns, in the order it shows them.
DESCRIBED: dict[str, Field] = {field.name: field for field in (
    Field("patient_age", "Patient's age", "number", unit="years",
          hint="In years; 0.75 is nine months. The audience follows from it."),
    Field("audience", "Audience", "choice", choices=_audiences,
          hint="Who reads the leaflet. Leave it to follow the age, or choose one."),
    Field("patient_weight", "Patient's weight", "number", unit="kg", hint="In kg, such as 16 or 16.5. Optional."),
    Field("patient_name", "Patient's name", hint="Printed under the title as \u201cPrepared for \u2026\u201d. Optional."),
    Field("uses", "Conditions prescribed for", "uses",
          hint="Tick what it is prescribed for. Leave them all empty for every use that fits the patient."),
    Field("directions", "Directions", "long",
          hint="As on the prescription, such as \u201cOne injection every 2 weeks\u201d. Printed on page 1. Optional."),
    Field("language", "Language", "choice", choices=_languages, group="print",
          hint="A medicine is printed only in the languages it has content in."),
    Field("style", "Print style", "choice", choices=_styles, group="print"),
    Field("page_size", "Paper size", "choice", choices=_page_sizes, group="print"),
    Field("pdfa", "Archival PDF (PDF/A)", "choice", choices=_yes_no, group="print",
          hint="For a record system that keeps PDF/A only."),
    Field("pharmacy", "Pharmacy", hint="Printed in every page's footer. Optional.", autocomplete="organization",
          group="pharmacy"),
    Field("pharmacy_phone", "Pharmacy phone", hint="Optional.", autocomplete="tel", group="pharmacy"),
)}

#: Manifest columns that make no sense for one leaflet over HTTP.
NOT_OVER_HTTP = ("content", "output")


def fields() -> tuple[Field, ...]:
    """MEDICINE, then every manifest column the server takes: described ones first, in order."""
    columns = [name for name in manifest.COLUMNS if name not in NOT_OVER_HTTP]
    described = [DESCRIBED[name] for name in DESCRIBED if name in columns]
    others = [Field(name, name.replace("_", " ").capitalize()) for name in columns if name not in DESCRIBED]
    return (MEDICINE, *described, *others)


def uses_by_medicine(library: Library) -> dict[str, list[tuple[str, str]]]:
    """For a `uses` field: each medicine's uses, as (id, name)."""
    return {medicine.id: [(use.id, use.name) for use in medicine.uses] for medicine in library.medicines.values()}


def from_form(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """A posted form's fields. Ticked uses come as `uses:<medicine>` (one group of boxes per
    medicine, so ticks under a medicine not chosen never count) or, from the page's own
    Download and Print forms, as `uses`; either way they become the manifest's "a;b"."""
    form: dict[str, str] = {}
    ticked: dict[str, list[str]] = {}
    for name, value in pairs:
        if name.startswith("uses:"):
            ticked.setdefault(name[5:], []).append(value)
        else:
            form[name] = value
    chosen = form.get("medicine", "").strip()
    if "uses" not in form and chosen in ticked:
        form["uses"] = ";".join(ticked[chosen])
    return form


def field_names() -> tuple[str, ...]:
    return tuple(field.name for field in fields())


@dataclass(frozen=True)
class Problem:
    """One thing wrong, in the CLI's words, and the field it is about (None: the whole request)."""

    field: str | None
    message: str


def _kind(name: str) -> str:
    return next((field.kind for field in fields() if field.name == name), "text")


_LEADING_NAME = re.compile(r"^([a-z_]+)[ :]")


def _field_of(message: str, names: tuple[str, ...]) -> str | None:
    match = _LEADING_NAME.match(message)
    if match is None:
        return None
    name = "medicine" if match.group(1) == "content" else match.group(1)
    return name if name in names else None


def _audience_for_age(text: str) -> str | None:
    """The audience whose ages hold this age; an impossible age gets the nearest, so the
    pipeline's own message about the age is the one shown."""
    try:
        age = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    if not math.isfinite(age):
        return None
    return audience_for_age(age)


def to_request(data: Mapping[str, Any], library: Library) -> tuple[Request | None, list[Problem]]:
    """Check one request as `leaflet batch` checks a manifest row.

    `data` holds field names and values (strings, numbers or null). Returns the Request,
    or None and every problem found.
    """
    names = field_names()
    problems: list[Problem] = []
    unknown = sorted(key for key in data if key not in names)
    if unknown:
        problems.append(Problem(None, f"unknown field{'s' if len(unknown) > 1 else ''} "
                                      f"{', '.join(map(repr, unknown))} (fields are: {', '.join(names)})"))
    values: dict[str, str] = {}
    for name in names:
        value = data.get(name)
        if value is None:
            values[name] = ""
        elif isinstance(value, str):
            values[name] = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            values[name] = repr(value) if isinstance(value, float) else str(value)
        elif isinstance(value, list) and all(isinstance(item, str) for item in value) and _kind(name) == "uses":
            values[name] = ";".join(value)  # ["asthma", "eczema"], as the manifest's "asthma;eczema"
        else:
            problems.append(Problem(name, f"{name}: give a string or a number, not {type(value).__name__}"))
            values[name] = ""

    medicine_id = values.pop("medicine").strip()
    medicine = library.medicines.get(medicine_id)
    choices = ", ".join(library.medicines)
    if not medicine_id:
        problems.append(Problem("medicine", f"medicine: empty (choose from: {choices})"))
    elif medicine is None:
        problems.append(Problem("medicine", f"medicine {medicine_id!r}: unknown (choose from: {choices})"))
    style = values.get("style", "").strip().lower()
    if style and style not in available_styles():  # names only: no paths on the server's disk
        problems.append(Problem("style", f"style {style!r}: unknown (choose from: {', '.join(_style_names())})"))
        values["style"] = ""
    # an age that is not a number says so itself; "audience: empty" on top would only puzzle
    age_says_it = False
    if not values.get("audience", "").strip() and values.get("patient_age", "").strip():
        values["audience"] = _audience_for_age(values["patient_age"]) or ""
        age_says_it = not values["audience"]

    found: list[str] = []
    values["content"] = str(medicine.path) if medicine else ""
    request = manifest.check_row(2, values, library.content_dir, found)
    if medicine is None:  # already said, in the API's own terms
        found = [message for message in found if not message.startswith("content:")]
    if age_says_it:
        found = [message for message in found if not message.startswith("audience:")]
    # the batch names content files by path; a client has no business with the server's folders
    found = [message.replace(f"{library.content_dir}{os.sep}", "") for message in found]
    problems += [Problem(_field_of(message, names), message) for message in found]
    return (request if not problems else None), problems


def labelled(problem: Problem) -> Problem:
    """The problem as the page shows it: led by the field's label ("Patient's age: not a
    number"), not by the column name the API and the batch use ("patient_age: ...")."""
    match = _LEADING_NAME.match(problem.message)
    label = next((field.label for field in fields() if field.name == problem.field), None)
    if match is None or label is None or _field_of(problem.message, field_names()) != problem.field:
        return problem
    return Problem(problem.field, label + problem.message[match.end(1):])


def download_name(library: Library, request: Request) -> str:
    """The PDF's file name: medicine and audience only, never the patient's name."""
    return f"{Path(request.content).stem}-{request.audience}.pdf"
