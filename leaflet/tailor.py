"""Stage 3: choose what one reader sees, in that reader's voice.

Everything here is driven by the `applies` data in the content; there is no code for
any particular medicine. The result is a `Leaflet`: plain text blocks that layout
turns into pages and `leaflet check` compares with a printed PDF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Union

from . import i18n
from .translation import not_reviewed
from .errors import LeafletError
from .model import Applies, Content, Line


@dataclass(frozen=True)
class Audience:
    name: str
    label: str
    min_age: float
    max_age: float  # exclusive
    speaks_to_parent: bool

    def describe_range(self) -> str:
        if math.isinf(self.max_age):
            return f"{self.min_age:g} and over"
        if self.min_age == 0:
            return f"under {self.max_age:g}"
        return f"{self.min_age:g} to under {self.max_age:g}"


AUDIENCES: dict[str, Audience] = {
    a.name: a
    for a in (
        Audience("caregiver", "For parents and caregivers of children under\u00a012", 0, 12, True),
        Audience("adolescent", "For young people aged 12 to 17", 12, 18, False),
        Audience("adult", "For adults aged 18 and over", 18, math.inf, False),
    )
}

def voice(catalogue: i18n.Catalogue, speaks_to_parent: bool) -> dict[str, str]:
    """What {you} {You} {your} {Your} become for this reader, in the content's language."""
    return (catalogue.voice.caregiver if speaks_to_parent else catalogue.voice.others).model_dump()


@dataclass(frozen=True)
class Reader:
    """Who the leaflet is for: an audience, optionally narrowed to one patient."""

    audience: Audience
    age: float | None = None
    weight: float | None = None


# --- What tailoring produces -------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """A line of text that must appear in this reader's leaflet, named for `check`."""

    name: str
    text: str
    safety: bool = False
    #: Where it comes from in the content file (a key path), for `lint` to name its line.
    origin: tuple[str | int, ...] = ()


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class SubHeading:
    text: str


@dataclass(frozen=True)
class Warning:
    title: str
    text: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Union[Para, SubHeading, Warning, Table]


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Leaflet:
    title: str  # e.g. "Dupixent (dupilumab)"
    brand: str
    generic: str
    audience: Audience
    for_line: str  # "For parents and caregivers of children under 12"
    key_points_heading: str
    key_points: tuple[str, ...]
    sections: tuple[Section, ...]
    disclaimer: str
    source_line: str
    source_author: str
    last_updated: str
    language: str
    use_ids: tuple[str, ...]
    facts: tuple[Fact, ...] = field(default=())
    #: A line printed under the audience label, e.g. that a translation is not yet reviewed.
    notice: str | None = None


#: The section name the disclaimer is printed (and scored) under: it has no heading.
DISCLAIMER = "Disclaimer"


@dataclass(frozen=True)
class Printed:
    """One text as the leaflet prints it."""

    section: str  # the heading it sits under (the key points' for the title block)
    text: str
    prose: bool  # a sentence, not a label (title, heading, use or device name, table cell)
    fact: Fact | None  # the fact it prints, if it is one


def printed(leaflet: Leaflet) -> list[Printed]:
    """Every text of a leaflet in the order layout prints it (page furniture apart).

    The one place, besides layout itself, that knows the print order: `lint` scores and
    locates these texts, `check` finds them in a PDF in this order.
    """
    waiting: dict[str, list[Fact]] = {}
    for fact in leaflet.facts:
        waiting.setdefault(fact.text, []).append(fact)
    out: list[Printed] = []

    def add(section: str, text: str, prose: bool) -> None:
        queue = waiting.get(text)
        out.append(Printed(section, text, prose, queue.pop(0) if queue else None))

    box = leaflet.key_points_heading
    for label in (leaflet.title, leaflet.for_line, *([leaflet.notice] if leaflet.notice else []), box):
        add(box, label, False)
    for point in leaflet.key_points:
        add(box, point, True)
    for section in leaflet.sections:
        add(section.heading, section.heading, False)
        for block in section.blocks:
            if isinstance(block, Para):
                add(section.heading, block.text, True)
            elif isinstance(block, SubHeading):
                add(section.heading, block.text, False)
            elif isinstance(block, Warning):
                add(section.heading, block.title, False)
                add(section.heading, block.text, True)
            elif isinstance(block, Table):
                for cell in (*block.header, *(cell for row in block.rows for cell in row)):
                    add(section.heading, cell, False)
            else:
                raise TypeError(f"no print order for {type(block).__name__}")
    add(DISCLAIMER, leaflet.disclaimer, True)
    return out


# --- Applying the content's own rules -----------------------------------------------


def make_reader(audience: str, age: float | None = None, weight: float | None = None) -> Reader:
    if audience not in AUDIENCES:
        raise LeafletError(f"unknown audience {audience!r} (choose from: {', '.join(AUDIENCES)})")
    chosen = AUDIENCES[audience]
    if age is not None:
        if not math.isfinite(age) or age < 0 or age > 130:
            raise LeafletError(f"--patient-age {age:g}: not a possible age in years")
        if not chosen.min_age <= age < chosen.max_age:
            raise LeafletError(
                f"--patient-age {age:g}: outside the {audience} audience "
                f"(ages {chosen.describe_range()})"
            )
    if weight is not None and (not math.isfinite(weight) or weight <= 0 or weight > 700):
        raise LeafletError(f"--patient-weight {weight:g}: not a possible weight in kg")
    return Reader(chosen, age, weight)


def applies_to(rule: Applies, reader: Reader, use_ids: frozenset[str] | None = None) -> bool:
    """Whether an item is for this reader.

    Without a patient age, an item applies when its age range overlaps the audience's;
    with one, when the age is inside it. A minimum weight only excludes when a weight
    is given (the text itself states the weight limit).
    """
    low = rule.min_age_years if rule.min_age_years is not None else 0.0
    high = rule.max_age_years if rule.max_age_years is not None else math.inf
    if reader.age is not None:
        if not low <= reader.age < high:
            return False
    elif not (low < reader.audience.max_age and high > reader.audience.min_age):
        return False
    if rule.min_weight_kg is not None and reader.weight is not None and reader.weight < rule.min_weight_kg:
        return False
    if rule.uses and use_ids is not None and not set(rule.uses) & use_ids:
        return False
    return True


def tailor(content: Content, reader: Reader) -> Leaflet:
    uses = [use for use in content.uses.items if applies_to(use.applies, reader)]
    if not uses:
        raise LeafletError(_nothing_applies(content, reader))
    use_ids = frozenset(use.id for use in uses)
    words = i18n.catalogue(content.language)
    speech = voice(words, reader.audience.speaks_to_parent)
    facts: list[Fact] = []

    def say(text: str, name: str, origin: tuple, safety: bool = False) -> str:
        spoken = text.format_map(speech)
        facts.append(Fact(name, spoken, safety, origin))
        return spoken

    def pick(lines: list[Line], where: str, base: tuple) -> tuple[str, ...]:
        return tuple(
            say(line.text, line.id or f"{where}[{index}]", (*base, index), line.safety)
            for index, line in enumerate(lines)
            if line.safety or applies_to(line.applies, reader, use_ids)
        )

    key_points = pick(content.key_points.lines, "key_points", ("key_points", "lines"))

    sections: list[Section] = []
    sections.append(Section(content.about.heading,
                            _paras(pick(content.about.lines, "about", ("about", "lines")))))

    use_blocks: list[Block] = list(_paras(pick(content.uses.intro, "uses.intro", ("uses", "intro"))))
    if _narrowed_away(content, reader, use_ids):
        note = (words.narrowed.both if reader.age is not None and reader.weight is not None
                else words.narrowed.age if reader.age is not None else words.narrowed.weight)
        use_blocks.append(Para(say(note, "narrowed-to-patient", ())))
    for index, use in enumerate(content.uses.items):
        if use.id not in use_ids:
            continue
        at = ("uses", "items", index)
        use_blocks.append(SubHeading(say(use.name, f"use:{use.id}", (*at, "name"))))
        use_blocks.extend(_paras(pick(use.lines, f"use:{use.id}", (*at, "lines"))))
        if use.warning:
            use_blocks.append(Warning(
                say(use.warning.title, f"warning-title:{use.id}", (*at, "warning", "title"), safety=True),
                say(use.warning.text, f"warning:{use.id}", (*at, "warning", "text"), safety=True)))
    sections.append(Section(content.uses.heading, tuple(use_blocks)))

    devices = content.devices
    device_blocks: list[Block] = list(_paras(pick(devices.intro, "devices.intro", ("devices", "intro"))))
    device_rows = tuple(
        tuple(say(getattr(d, part), f"device:{d.id}" + ("" if part == "name" else f".{part}"),
                  ("devices", "items", index, part))
              for part in ("name", "doses", "ages"))
        for index, d in enumerate(devices.items)
        if applies_to(d.applies, reader, use_ids)
    )
    if device_rows:
        cols, default = devices.columns, words.device_columns
        device_blocks.append(Table((cols.name or default.name, cols.doses or default.doses,
                                    cols.ages or default.ages), device_rows))
    device_blocks.extend(_paras(pick(devices.notes, "devices.notes", ("devices", "notes"))))
    sections.append(Section(devices.heading, tuple(device_blocks)))

    sections.append(Section(content.giving.heading,
                            _paras(pick(content.giving.lines, "giving", ("giving", "lines")))))
    sections.append(Section(content.questions.heading,
                            _paras(pick(content.questions.lines, "questions", ("questions", "lines")))))

    disclaimer = say(content.disclaimer, "disclaimer", ("disclaimer",), safety=True)
    source = content.source
    medicine = content.medicine
    return Leaflet(
        title=f"{medicine.brand} ({medicine.generic})",
        brand=medicine.brand,
        generic=medicine.generic,
        audience=reader.audience,
        for_line=getattr(words.audiences, reader.audience.name, reader.audience.label),
        key_points_heading=content.key_points.heading,
        key_points=key_points,
        sections=tuple(sections),
        disclaimer=disclaimer,
        source_line=_sentence((words.source_with_publisher if source.publisher else words.source).format(
            title=source.title, publisher=source.publisher)) + " " + words.reviewed_by.format(reviewer=source.reviewer),
        source_author=source.publisher or f"{source.title} (reviewed by {source.reviewer})",
        last_updated=words.date(source.last_updated),
        language=content.language,
        use_ids=tuple(use.id for use in uses),
        facts=tuple(facts),
        notice=words.not_reviewed if not_reviewed(content) else None,
    )


# When a patient's age or weight left out uses that the audience as a whole has, a note
# (catalogue: narrowed) says so, so a reader is not puzzled that fewer uses are named.


def _narrowed_away(content: Content, reader: Reader, shown: frozenset[str]) -> bool:
    if reader.age is None and reader.weight is None:
        return False
    audience_wide = Reader(reader.audience)
    return any(use.id not in shown and applies_to(use.applies, audience_wide) for use in content.uses.items)


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!", "\u061f")) else text + "."


def _paras(texts: tuple[str, ...]) -> tuple[Block, ...]:
    return tuple(Para(text) for text in texts)


def _nothing_applies(content: Content, reader: Reader) -> str:
    who = f"a patient aged {reader.age:g}" if reader.age is not None else f"the {reader.audience.name} audience"
    if reader.weight is not None:
        who += f" weighing {reader.weight:g} kg"
    youngest = min((u.applies.min_age_years or 0.0) for u in content.uses.items)
    hint = f" (the youngest age for any use is {youngest:g})" if reader.age is not None and reader.age < youngest else ""
    option = f"--patient-age {reader.age:g}: " if reader.age is not None else ""
    return f"{option}no use of {content.medicine.brand} applies to {who}{hint}"
