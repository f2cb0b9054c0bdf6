"""The content schema (schema 2): what a medicine's YAML file may say, declared once.

pydantic (rather than hand-written checks) gives every problem at once with the key
path where it sits; `leaflet.validate` turns those paths into file:line messages.
The schema knows nothing about any one medicine: which sections, lines, uses, forms,
dose bands and warnings reach a reader is decided by the `applies` data on each item
(see `leaflet.tailor`).

A file with `schema: 2` is read with these models. A file with no `schema:` key is a
schema-1 file (`leaflet.schema1`): it is validated with its own models, then migrated to
these, so every later stage sees one model. Sections are optional and print in the
order of the fields of `Content` below.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, GetJsonSchemaHandler, WithJsonSchema, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from .records import ContentFacts
from .voice import TOKEN as _TOKEN, VOICE_PLACEHOLDERS
from .schema1 import MAX_ITEMS, MAX_TEXT_CHARS, Identifier, IsoDate, LintSettings, NonEmpty, Strict  # noqa: F401 (limits re-exported)

SCHEMA_VERSION = 2

def check_placeholders(text: str) -> str:
    allowed = ", ".join("{%s}" % p for p in sorted(VOICE_PLACEHOLDERS))
    leftover = _TOKEN.sub("", text)
    if "{" in leftover or "}" in leftover:
        raise ValueError("a lone { or } (braces are only for placeholders such as {you} or {has|have}; "
                         "write {{ or }} for a brace)")
    for match in _TOKEN.finditer(text):
        name = match.group(1)
        if name is None or name in VOICE_PLACEHOLDERS:
            continue
        if name.count("|") == 1:
            if any(c in name for c in "{}"):
                raise ValueError(f"{{{name}}}: a choice cannot hold another placeholder")
            continue
        if "|" in name:
            raise ValueError(f"{{{name}}}: a choice has exactly two sides, {{caregiver|others}}")
        import difflib

        close = difflib.get_close_matches(name, sorted(VOICE_PLACEHOLDERS), n=1, cutoff=0.5)
        mean = f"did you mean {{{close[0]}}}? " if close else ""
        raise ValueError(f"unknown placeholder {{{name}}} ({mean}allowed: {allowed}, or a choice "
                         "{caregiver|others} such as {has|have})")
    return text


#: Text shown to the reader: may use {you} {your} {You} {Your} and {caregiver|others}.
VoicedText = Annotated[NonEmpty, AfterValidator(check_placeholders)]

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _partial_date(value: object) -> str:
    """A date given to the year, month or day (YYYY, YYYY-MM, YYYY-MM-DD), kept as written."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _PARTIAL_DATE.match(value.strip()):
        raise ValueError("not a date written YYYY, YYYY-MM or YYYY-MM-DD")
    value = value.strip()
    year, month, day = _PARTIAL_DATE.match(value).groups()
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ValueError("not a real date") from None
    return value


#: A bare year may be written unquoted (YAML reads it as a number); the model turns it into text.
PartialDate = Annotated[str, BeforeValidator(_partial_date), WithJsonSchema({
    "anyOf": [{"type": "string", "pattern": _PARTIAL_DATE.pattern}, {"type": "integer", "minimum": 1000, "maximum": 9999}],
    "examples": ["2019-02-15", "2013-11", 2013]})]


def earliest_day(value: str) -> dt.date:
    """The first day a partial date can mean (for judging how old a source is)."""
    year, month, day = _PARTIAL_DATE.match(value).groups()
    return dt.date(int(year), int(month or 1), int(day or 1))


def _web_address(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+\.[^\s]+", value):
        raise ValueError("not a web address starting http:// or https://")
    return value


WebAddress = Annotated[str, AfterValidator(_web_address),
                       WithJsonSchema({"type": "string", "pattern": r"^https?://\S+$", "format": "uri"})]


class Applies(Strict):
    """Who an item is for. Ages in years (decimals allowed), weights in kg; maximums are exclusive."""

    min_age_years: Annotated[float, Field(ge=0, le=130)] | None = None
    max_age_years: Annotated[float, Field(gt=0, le=130)] | None = None
    min_weight_kg: Annotated[float, Field(gt=0, le=700)] | None = None
    max_weight_kg: Annotated[float, Field(gt=0, le=700)] | None = None
    #: Shown only when at least one of these uses is in the leaflet.
    uses: list[Identifier] = []

    @model_validator(mode="after")
    def _ordered(self) -> Applies:
        for low, high, what in ((self.min_age_years, self.max_age_years, "max_age_years must be greater "
                                 "than min_age_years"),
                                (self.min_weight_kg, self.max_weight_kg, "max_weight_kg must be greater "
                                 "than min_weight_kg")):
            if low is not None and high is not None and high <= low:
                raise ValueError(what)
        return self


class _StringOr(Strict):
    """A model that a bare YAML string stands for: {text: the string}."""

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: object) -> object:
        if isinstance(value, str):
            return {"text": value}
        if not isinstance(value, dict):
            raise ValueError("expected text, or a mapping such as {text: ..., applies: ...}")
        return value

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"anyOf": [{"type": "string", "minLength": 1}, handler(schema)]}


class Line(_StringOr):
    """One statement. A bare string in YAML is shorthand for a line that applies to all."""

    text: VoicedText
    applies: Applies = Applies()
    #: A short name for `leaflet check` to report; defaults to the section and index.
    id: Identifier | None = None
    #: Never dropped for a reader it applies to (all readers, without `applies`), and
    #: `leaflet check` insists on it there.
    safety: bool = False
    #: The id of the source this line comes from, when it is not the first source.
    source: Identifier | None = None


class Section(Strict):
    heading: VoicedText
    lines: list[Line] = Field(min_length=1)


class Form(Strict):
    """A form and strength the medicine comes in: "Tablet", "250 mg"."""

    id: Identifier | None = None
    form: VoicedText
    strength: VoicedText | None = None
    applies: Applies = Applies()
    source: Identifier | None = None


class Medicine(Strict):
    generic: NonEmpty
    brands: list[NonEmpty] = []
    forms: list[Form] = []


class Source(Strict):
    """Where facts come from. The first source is the main one; lines name others by id."""

    id: Identifier | None = None
    title: NonEmpty
    url: WebAddress | None = None
    publisher: NonEmpty | None = None
    #: Who reviewed the page, as the page names them; without one the leaflet says none is named.
    reviewer: NonEmpty | None = None
    #: As precise as the page gives it: YYYY, YYYY-MM or YYYY-MM-DD; printed as given. A page
    #: with no date has none here, and the leaflet says so (catalogue: sources.no_date).
    date: PartialDate | None = None
    #: What the date is on the page.
    date_label: NonEmpty = "Last updated"



class BoxedWarning(Strict):
    """A leaflet-wide warning, boxed near the top of page 1 wherever it applies.

    With no `applies` it is on every leaflet; `check` insists on it wherever it applies.
    """

    id: Identifier
    title: VoicedText
    text: VoicedText
    applies: Applies = Applies()
    source: Identifier | None = None


class Callout(Strict):
    title: VoicedText
    text: VoicedText


class Use(Strict):
    id: Identifier
    name: VoicedText
    applies: Applies = Applies()
    lines: list[Line] = Field(min_length=1)
    #: A use's own warning, printed as a callout wherever the use is.
    warning: Callout | None = None


class Uses(Strict):
    heading: VoicedText
    intro: list[Line] = []
    items: list[Use] = []


class DoseRow(Strict):
    """One band of a dose table, exactly as the source states it (never calculated)."""

    id: Identifier | None = None
    band: VoicedText
    dose: VoicedText
    applies: Applies = Applies()
    source: Identifier | None = None


class DoseColumns(Strict):
    band: VoicedText = "Who"
    dose: VoicedText = "Dose"


class DoseTable(Strict):
    columns: DoseColumns = DoseColumns()
    rows: list[DoseRow] = Field(min_length=1)
    notes: list[Line] = []


class HowToUse(Strict):
    heading: VoicedText
    lines: list[Line] = []
    doses: DoseTable | None = None


class Device(Strict):
    id: Identifier
    name: VoicedText
    doses: VoicedText
    ages: VoicedText
    applies: Applies = Applies()


class DeviceColumns(Strict):
    """Table headings; a heading left out is the language's own (catalogue: device_columns)."""

    name: VoicedText | None = None
    doses: VoicedText | None = None
    ages: VoicedText | None = None


class Devices(Strict):
    heading: VoicedText
    intro: list[Line] = []
    columns: DeviceColumns = DeviceColumns()
    items: list[Device] = Field(min_length=1)
    notes: list[Line] = []


class SideEffects(Strict):
    """Three tiers; their headings come from the code, in the reader's voice."""

    heading: VoicedText = "Side effects"
    intro: list[Line] = []
    #: Common, usually not serious.
    common: list[Line] = []
    #: Call the doctor.
    call_doctor: list[Line] = []
    #: Get emergency help now (printed boxed).
    emergency: list[Line] = []


class Review(Strict):
    """Whether a qualified person (a pharmacist fluent in both languages) checked it."""

    status: Literal["not-reviewed", "reviewed"]
    reviewer: NonEmpty | None = None
    date: IsoDate | None = None

    @model_validator(mode="after")
    def _reviewed_by_someone(self) -> Review:
        if self.status == "reviewed" and (self.reviewer is None or self.date is None):
            raise ValueError("a reviewed translation names its reviewer and the date of the review")
        return self


class Translation(Strict):
    """Where a translated content file comes from, and who made and checked it."""

    #: The content file it translates (a file name beside this one) and which version:
    #: the first 12 hex digits of that file's sha256 when it was translated.
    source_file: NonEmpty
    source_version: Annotated[str, Field(pattern=r"^[0-9a-f]{12}$")]
    translator: NonEmpty
    review: Review


class Content(ContentFacts, Strict):
    """One medicine's leaflet content, for every audience. Sections print in this order."""

    schema_version: Literal[2] = Field(alias="schema")
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = "en"
    #: Present in a translation (dupixent.es.yaml): its source, translator and review.
    translation: Translation | None = None
    medicine: Medicine
    sources: list[Source] = Field(min_length=1)
    #: Term -> plain explanation. The text explains each term the first time it is used.
    glossary: dict[NonEmpty, NonEmpty] = {}
    warnings: list[BoxedWarning] = []
    key_points: Section | None = None
    about: Section | None = None
    uses: Uses | None = None
    important: Section | None = None
    before: Section | None = None
    how_to_use: HowToUse | None = None
    devices: Devices | None = None
    giving: Section | None = None
    missed_dose: Section | None = None
    overdose: Section | None = None
    side_effects: SideEffects | None = None
    avoid: Section | None = None
    storage: Section | None = None
    contents: Section | None = None
    questions: Section | None = None
    disclaimer: VoicedText
    #: Plain-language targets for `leaflet lint` (defaults above).
    lint: LintSettings = LintSettings()


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a schema-2 content file, for editors (see `leaflet schema`)."""
    schema = Content.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "leaflet content file, schema 2"
    return schema


def json_schema_text() -> str:
    """`json_schema()` as the file the repository ships (stable: sorted keys, two-space indent)."""
    import json

    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
