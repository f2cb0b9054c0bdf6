"""The schema of a catalogue (`leaflet/catalogues/<language>.yaml`), checked with pydantic.

Apart from `leaflet.i18n`, which looks words up in checked catalogues (`leaflet.records`)
without importing pydantic.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from .i18n import SOURCE_LANGUAGE, CatalogueWords, _fields, _messages, _source_messages
from .records import freeze


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


class Catalogue(CatalogueWords, _Strict):
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

    @model_validator(mode="after")
    def _fields_known(self) -> Catalogue:
        if self.language == SOURCE_LANGUAGE:
            return self
        source = _source_messages()
        for key, text in _messages(freeze(self)).items():
            # The narrowed-to-patient notes are said in the reader's voice, like content.
            voiced = key.startswith(("narrowed.", "side_effects.", "notes."))
            extra = {field for field in _fields(text) - _fields(source[key])
                     if not (voiced and (field in {"you", "You", "your", "Your"} or "|" in field))}
            if extra:
                raise ValueError(f"{key}: unknown field(s) {', '.join(sorted(extra))} "
                                 f"(the English message has: {', '.join(sorted(_fields(source[key]))) or 'none'})")
        return self
