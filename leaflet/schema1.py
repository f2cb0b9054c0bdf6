"""Content schema 1 (a file with no `schema:` key), kept so old files read as before.

A schema-1 file is validated against these models (so its problems are named with its
own keys), then rewritten as schema 2 by `migrate` and tailored like any schema-2 file.
`leaflet migrate FILE` applies the same `migrate` to the file's text, keeping comments.
Nothing here changes: new keys go into `leaflet.model` (schema 2).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from string import Formatter

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

#: Placeholders a text may use; `leaflet.tailor` fills them in the reader's voice.
VOICE_PLACEHOLDERS = frozenset({"you", "You", "your", "Your"})

NonEmpty = Annotated[str, Field(min_length=1)]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]


#: Size limits that no real leaflet comes near (Dupixent's longest text is about 300
#: characters, its longest list 21 items). Past them a file is a mistake or an attack:
#: it is refused at validation, before layout spends minutes on it. (Both schemas.)
MAX_TEXT_CHARS = 2000
MAX_ITEMS = 100


class Strict(BaseModel):
    """Unknown keys are errors: a typo must never silently drop a safety line.

    Strict types too: `true` is not an age and "yes" is not a boolean. Every text and
    list is bounded (MAX_TEXT_CHARS, MAX_ITEMS).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True,
                              str_max_length=MAX_TEXT_CHARS)

    @field_validator("*", mode="before")
    @classmethod
    def _not_too_many(cls, value: object) -> object:
        if isinstance(value, (list, dict)) and len(value) > MAX_ITEMS:
            raise ValueError(f"{len(value):,} items; at most {MAX_ITEMS} are allowed")
        return value


def check_placeholders(text: str) -> str:
    allowed = ", ".join("{%s}" % p for p in sorted(VOICE_PLACEHOLDERS))
    try:
        fields = [field for _, field, spec, conversion in Formatter().parse(text) if field is not None]
    except ValueError:
        raise ValueError("a lone { or } (braces are only for placeholders such as {you}; "
                         "write {{ or }} for a brace)") from None
    for field in fields:
        if field not in VOICE_PLACEHOLDERS:
            import difflib

            close = difflib.get_close_matches(field, sorted(VOICE_PLACEHOLDERS), n=1, cutoff=0.5)
            mean = f"did you mean {{{close[0]}}}? " if close else ""
            raise ValueError(f"unknown placeholder {{{field}}} ({mean}allowed: {allowed})")
    return text


def _iso_date_text(value: object) -> object:
    """Dates are written YYYY-MM-DD; a bare number is not taken as a timestamp."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not a date in YYYY-MM-DD form: {value!r}") from None
    if isinstance(value, dt.date):
        return value
    raise ValueError("expected a date written YYYY-MM-DD")


#: Text shown to the reader: may use {you} {your} {You} {Your}, filled in by tailoring.
VoicedText = Annotated[NonEmpty, AfterValidator(check_placeholders)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_text)]


class Applies(Strict):
    """Who an item is for. Ages in years (decimals allowed); the maximum is exclusive."""

    min_age_years: Annotated[float, Field(ge=0, le=130)] | None = None
    max_age_years: Annotated[float, Field(gt=0, le=130)] | None = None
    min_weight_kg: Annotated[float, Field(gt=0, le=700)] | None = None
    #: Shown only when at least one of these uses is in the leaflet.
    uses: list[Identifier] = []

    @model_validator(mode="after")
    def _ordered(self) -> Applies:
        if (
            self.min_age_years is not None
            and self.max_age_years is not None
            and self.max_age_years <= self.min_age_years
        ):
            raise ValueError("max_age_years must be greater than min_age_years")
        return self


class Line(Strict):
    """One statement. A bare string in YAML is shorthand for a line that applies to all."""

    text: VoicedText
    applies: Applies = Applies()
    #: A short name for `leaflet check` to report; defaults to the section and index.
    id: Identifier | None = None
    #: Safety lines are never dropped by tailoring and must be printed on every leaflet.
    safety: bool = False

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: object) -> object:
        return {"text": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _safety_is_for_everyone(self) -> Line:
        if self.safety and self.applies != Applies():
            raise ValueError("a safety line applies to every reader; remove its 'applies'")
        return self


class Section(Strict):
    heading: NonEmpty
    lines: list[Line] = Field(min_length=1)


class Medicine(Strict):
    brand: NonEmpty
    generic: NonEmpty


class Source(Strict):
    """Where every fact in the file comes from; printed on every page."""

    title: NonEmpty
    reviewer: NonEmpty
    last_updated: IsoDate
    publisher: NonEmpty | None = None


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
    heading: NonEmpty
    intro: list[Line] = []
    items: list[Use] = Field(min_length=1)



class Device(Strict):
    id: Identifier
    name: VoicedText
    doses: VoicedText
    ages: VoicedText
    applies: Applies = Applies()


class DeviceColumns(Strict):
    name: NonEmpty = "Device"
    doses: NonEmpty = "Doses"
    ages: NonEmpty = "For"


class Devices(Strict):
    heading: NonEmpty
    intro: list[Line] = []
    columns: DeviceColumns = DeviceColumns()
    items: list[Device] = Field(min_length=1)
    notes: list[Line] = []


class LintSettings(Strict):
    """Targets for `leaflet lint`; a content file may set its own in a `lint:` block."""

    #: Highest Flesch-Kincaid grade for a whole leaflet (the AMA recommends grade 6).
    max_grade: Annotated[float, Field(ge=0, le=20)] = 6
    #: Highest Flesch-Kincaid grade for any one section of a leaflet.
    max_section_grade: Annotated[float, Field(ge=0, le=20)] = 8
    #: Longest sentence, in words.
    max_sentence_words: Annotated[int, Field(ge=5, le=100)] = 25
    #: Warn when the source was last updated longer ago than this.
    max_source_age_months: Annotated[int, Field(ge=1, le=120)] = 12


class Schema1Content(Strict):
    """One medicine's leaflet content, for every audience (schema 1)."""

    language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = "en"
    medicine: Medicine
    source: Source
    #: Term -> plain explanation. The text explains each term the first time it is used.
    glossary: dict[NonEmpty, NonEmpty] = {}
    key_points: Section
    about: Section
    uses: Uses
    devices: Devices
    giving: Section
    questions: Section
    disclaimer: VoicedText
    #: Plain-language targets for `leaflet lint` (defaults above).
    lint: LintSettings = LintSettings()


# --- Schema 1 -> schema 2 --------------------------------------------------------------


def migrate(data: dict) -> dict:
    """A schema-1 mapping rewritten as schema 2; `data` is a plain dict or a ruamel map.

    What changes: `schema: 2` first; `medicine.brand: X` becomes `brands: [X]`; `source:`
    becomes a one-entry `sources:` list whose `last_updated` is `date`; braces in headings
    and table column labels (printed literally in schema 1, voiced in schema 2) are doubled.
    Everything else (sections, lines, applies) means the same in both schemas.
    """
    out = _replace_key(data, None, "schema", 2)
    medicine = out.get("medicine")
    if isinstance(medicine, dict) and "brand" in medicine:
        out["medicine"] = _replace_key(medicine, "brand", "brands", _flow_list([medicine["brand"]], medicine))
    source = out.get("source")
    if isinstance(source, dict):
        entry = _replace_key(source, "last_updated", "date", source.get("last_updated"))
        out = _replace_key(out, "source", "sources", _block_list([entry], out))
    for section in out.values():
        if not isinstance(section, dict):
            continue
        if isinstance(section.get("heading"), str):
            section["heading"] = _literal_braces(section["heading"])
        columns = section.get("columns")
        if isinstance(columns, dict):
            for key, label in list(columns.items()):
                if isinstance(label, str):
                    columns[key] = _literal_braces(label)
    return out


def _literal_braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _replace_key(mapping: dict, old: str | None, new: str, value: object) -> dict:
    """The mapping with `old` replaced by `new: value` in its place (old None: put first).

    A ruamel map is changed in place (keeping its comments); a plain dict is copied.
    """
    keys = list(mapping)
    at = keys.index(old) if old is not None else 0
    if hasattr(mapping, "insert"):  # ruamel.yaml's CommentedMap
        if old is not None:
            comments = mapping.ca.items.pop(old, None)  # a comment or blank line after the old key
            del mapping[old]
            if comments is not None:
                mapping.ca.items[new] = comments
        mapping.insert(at, new, value)
        return mapping
    items = [(k, v) for k, v in mapping.items() if k != old]
    items.insert(at, (new, value))
    return dict(items)


def _flow_list(items: list, like: object) -> list:
    """A list written [in, one, line] when the file is kept by ruamel."""
    if hasattr(like, "insert") and hasattr(like, "fa"):
        from ruamel.yaml.comments import CommentedSeq

        seq = CommentedSeq(items)
        seq.fa.set_flow_style()
        return seq
    return items


def _block_list(items: list, like: object) -> list:
    if hasattr(like, "fa"):
        from ruamel.yaml.comments import CommentedSeq

        seq = CommentedSeq(items)
        seq.fa.set_block_style()
        return seq
    return items
