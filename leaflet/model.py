"""The content schema: what a medicine's YAML file may say, declared once.

pydantic (rather than hand-written checks) gives every problem at once with the key
path where it sits; `leaflet.validate` turns those paths into file:line messages.
The schema knows nothing about any one medicine: which uses, devices and lines reach
a reader is decided by the `applies` data on each item (see `leaflet.tailor`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Placeholders a text may use; `leaflet.tailor` fills them in the reader's voice.
VOICE_PLACEHOLDERS = frozenset({"you", "You", "your", "Your"})
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

NonEmpty = Annotated[str, Field(min_length=1)]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must never silently drop a safety line."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def check_placeholders(text: str) -> str:
    unknown = [name for name in _PLACEHOLDER.findall(text) if name not in VOICE_PLACEHOLDERS]
    if unknown:
        allowed = ", ".join("{%s}" % p for p in sorted(VOICE_PLACEHOLDERS))
        raise ValueError(f"unknown placeholder {{{unknown[0]}}} (allowed: {allowed})")
    if text.count("{") != text.count("}"):
        raise ValueError("unbalanced { or } (braces are only for placeholders such as {you})")
    return text


VoicedText = Annotated[NonEmpty, Field(description="Plain text; may use {you} {your} {You} {Your}.")]


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

    _placeholders = field_validator("text")(check_placeholders)

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
    last_updated: dt.date
    publisher: NonEmpty | None = None


class Callout(Strict):
    title: NonEmpty
    text: VoicedText

    _placeholders = field_validator("text")(check_placeholders)


class Use(Strict):
    id: Identifier
    name: NonEmpty
    applies: Applies = Applies()
    lines: list[Line] = Field(min_length=1)
    #: A use's own warning, printed as a callout wherever the use is.
    warning: Callout | None = None


class Uses(Strict):
    heading: NonEmpty
    intro: list[Line] = []
    items: list[Use] = Field(min_length=1)

    @field_validator("items")
    @classmethod
    def _unique_ids(cls, items: list[Use]) -> list[Use]:
        seen: set[str] = set()
        for use in items:
            if use.id in seen:
                raise ValueError(f"use id {use.id!r} is used twice")
            seen.add(use.id)
        return items


class Device(Strict):
    id: Identifier
    name: NonEmpty
    doses: NonEmpty
    ages: NonEmpty
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


class Content(Strict):
    """One medicine's leaflet content, for every audience."""

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

    _placeholders = field_validator("disclaimer")(check_placeholders)

    @model_validator(mode="after")
    def _known_use_references(self) -> Content:
        known = {use.id for use in self.uses.items}
        for line in self.all_lines():
            for ref in line.applies.uses:
                if ref not in known:
                    raise ValueError(
                        f"line {line.text[:40]!r}... refers to unknown use {ref!r} "
                        f"(known: {', '.join(sorted(known))})"
                    )
        return self

    def all_lines(self) -> list[Line]:
        lines = [*self.key_points.lines, *self.about.lines, *self.uses.intro]
        for use in self.uses.items:
            lines += use.lines
        lines += [*self.devices.intro, *self.devices.notes, *self.giving.lines, *self.questions.lines]
        return lines
