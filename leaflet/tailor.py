"""Stage 3: choose what one reader sees, in that reader's voice.

Everything here is driven by the `applies` data in the content; there is no code for
any particular medicine. The result is a `Leaflet`: plain text blocks that layout
turns into pages and `leaflet check` compares with a printed PDF.
"""

from __future__ import annotations

import math
from functools import cache
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

from . import i18n
from .errors import LeafletError
from .translation import not_reviewed
from .voice import speak

if TYPE_CHECKING:  # checked files arrive as records (leaflet.records) with these models' fields
    from .model import Applies, Content, Line, Source


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

def audience_for_age(age: float) -> str:
    """The audience whose ages hold this age; an impossible age gets the nearest, so that
    the reader's own check says what is wrong with the age."""
    for audience in AUDIENCES.values():
        if audience.min_age <= age < audience.max_age:
            return audience.name
    return "caregiver" if age < 0 else "adult"


def reader_voice(catalogue: i18n.Catalogue, speaks_to_parent: bool) -> dict[str, str]:
    """What {you} {You} {your} {Your} become for this reader, in the content's language."""
    return _voices(catalogue.language, speaks_to_parent)


@cache
def _voices(language: str, speaks_to_parent: bool) -> dict[str, str]:
    catalogue = i18n.catalogue(language)
    return dict(vars(catalogue.voice.caregiver if speaks_to_parent else catalogue.voice.others))


@dataclass(frozen=True)
class Reader:
    """Who the leaflet is for: an audience, optionally narrowed to one patient."""

    audience: Audience
    age: float | None = None
    weight: float | None = None
    #: The uses (conditions) it was prescribed for; None: every use that applies.
    uses: tuple[str, ...] | None = None


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
    #: Printed as a list item (a bullet), not a paragraph.
    bullet: bool = False
    #: A sentence to score; False for a label such as a source's title and address.
    prose: bool = True
    #: A web address printed in the text, to be a link there (a source's page).
    url: str = ""


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


@dataclass(frozen=True)
class WarningList:
    """A boxed warning with a list under its title (the emergency side effects)."""

    title: str
    items: tuple[str, ...]


Block = Union[Para, SubHeading, Warning, Table, WarningList]


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Leaflet:
    title: str  # e.g. "Dupixent (dupilumab)", or "Amoxicillin" with no brand
    brand: str  # the name in running text: the first brand, or the generic name
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
    #: Leaflet-wide boxed warnings, printed near the top of page 1 before the key points.
    warnings: tuple[Warning, ...] = ()
    #: What `last_updated` is on the source page ("Last updated", "Last revised"); with no
    #: date, the whole honest sentence and `last_updated` is empty.
    date_label: str = "Last updated"
    #: The source's publisher, when the content names one (the PDF's Author falls back to it).
    publisher: str | None = None
    #: A line printed under the audience label, e.g. that a translation is not yet reviewed.
    notice: str | None = None
    #: The web address `source_line` prints (one source, with an address), else "".
    source_url: str = ""


#: The section name the disclaimer is printed (and scored) under: it has no heading.
DISCLAIMER = "Disclaimer"
#: The section name the leaflet-wide boxed warnings are scored under.
WARNINGS = "Boxed warnings"


@dataclass(frozen=True)
class Printed:
    """One text as the leaflet prints it."""

    section: str  # the heading it sits under (the key points' for the title block)
    text: str
    prose: bool  # a sentence, not a label (title, heading, use or device name, table cell)
    fact: Fact | None  # the fact it prints, if it is one
    #: Its heading level (1 the title, 2 a section or box heading, 3 a use), 0 if not a heading.
    level: int = 0


def printed(leaflet: Leaflet) -> list[Printed]:
    """Every text of a leaflet in the order layout prints it (page furniture apart).

    The one place, besides layout itself, that knows the print order: `lint` scores and
    locates these texts, `check` finds them in a PDF in this order.
    """
    waiting: dict[str, list[Fact]] = {}
    for fact in leaflet.facts:
        waiting.setdefault(fact.text, []).append(fact)
    out: list[Printed] = []

    def add(section: str, text: str, prose: bool, level: int = 0) -> None:
        queue = waiting.get(text)
        out.append(Printed(section, text, prose, queue.pop(0) if queue else None, level))

    box = leaflet.key_points_heading
    add(box or WARNINGS, leaflet.title, False, level=1)
    add(box or WARNINGS, leaflet.for_line, False)
    if leaflet.notice:
        add(box or WARNINGS, leaflet.notice, False)
    for warning in leaflet.warnings:
        add(WARNINGS, warning.title, False)
        add(WARNINGS, warning.text, True)
    if box:
        add(box, box, False, level=2)
    for point in leaflet.key_points:
        add(box, point, True)
    for section in leaflet.sections:
        add(section.heading, section.heading, False, level=2)
        for block in section.blocks:
            if isinstance(block, Para):
                add(section.heading, block.text, block.prose)
            elif isinstance(block, SubHeading):
                add(section.heading, block.text, False, level=3)
            elif isinstance(block, Warning):
                add(section.heading, block.title, False)
                add(section.heading, block.text, True)
            elif isinstance(block, WarningList):
                add(section.heading, block.title, False)
                for item in block.items:
                    add(section.heading, item, True)
            elif isinstance(block, Table):
                for cell in (*block.header, *(cell for row in block.rows for cell in row)):
                    add(section.heading, cell, False)
            else:
                raise TypeError(f"no print order for {type(block).__name__}")
    add(DISCLAIMER, leaflet.disclaimer, True)
    return out


# --- Applying the content's own rules -----------------------------------------------


def make_reader(audience: str, age: float | None = None, weight: float | None = None,
                uses: tuple[str, ...] | list[str] | None = None) -> Reader:
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
    return Reader(chosen, age, weight, tuple(dict.fromkeys(uses)) if uses else None)


def applies_to(rule: Applies, reader: Reader, use_ids: frozenset[str] | None = None) -> bool:
    """Whether an item is for this reader.

    Without a patient age, an item applies when its age range overlaps the audience's;
    with one, when the age is inside it. Weight limits only exclude when a weight is
    given (the text itself states the weight limit).
    """
    low = rule.min_age_years if rule.min_age_years is not None else 0.0
    high = rule.max_age_years if rule.max_age_years is not None else math.inf
    if reader.age is not None:
        if not low <= reader.age < high:
            return False
    elif not (low < reader.audience.max_age and high > reader.audience.min_age):
        return False
    if reader.weight is not None:
        if rule.min_weight_kg is not None and reader.weight < rule.min_weight_kg:
            return False
        if rule.max_weight_kg is not None and reader.weight >= rule.max_weight_kg:
            return False
    if rule.uses and use_ids is not None and not set(rule.uses) & use_ids:
        return False
    return True


# The headings of the side-effect tiers, "Forms and strengths", "Sources", the notes
# below and the honest "No date is given on the source page" are interface text: they
# come from the content language's catalogue (leaflet/catalogues/, keys side_effects,
# forms, sources, notes), said in the reader's voice (`leaflet.voice.speak`).
_SIDE_EFFECT_TIERS = ("common", "call_doctor", "emergency")

#: The plain sections of schema 2, in print order, and where the special ones go.
_ORDER = ("about", "uses", "important", "before", "how_to_use", "devices", "giving", "missed_dose",
          "overdose", "side_effects", "avoid", "storage", "contents", "questions")


def serves(content: Content, audience: Audience) -> bool:
    """Whether any use applies to an audience at all: a medicine written for parents of
    children only has nothing to say to an adult, and `--audience all` skips that reader."""
    items = content.uses.items if content.uses else []
    return not items or any(applies_to(use.applies, Reader(audience)) for use in items)


def tailor(content: Content, reader: Reader) -> Leaflet:
    items = content.uses.items if content.uses else []
    _check_prescribed(content, reader)
    uses = [use for use in items if applies_to(use.applies, reader)
            and (reader.uses is None or use.id in reader.uses)]
    if items and not uses:
        raise LeafletError(_nothing_applies(content, reader))
    use_ids = frozenset(use.id for use in uses)
    to_parent = reader.audience.speaks_to_parent
    words = i18n.catalogue(content.language)
    speech = reader_voice(words, to_parent)
    facts: list[Fact] = []

    def voice(text: str) -> str:
        return speak(text, to_parent, speech)

    def say(text: str, name: str, origin: tuple, safety: bool = False) -> str:
        spoken = voice(text)
        facts.append(Fact(name, spoken, safety, origin))
        return spoken

    def fits(rule: Applies) -> bool:
        return applies_to(rule, reader, use_ids)

    def pick(lines: list[Line], where: str, base: tuple, bullet: bool = False) -> tuple[Block, ...]:
        return tuple(
            Para(say(line.text, line.id or f"{where}[{index}]", (*base, index), line.safety), bullet=bullet)
            for index, line in enumerate(lines)
            if fits(line.applies)
        )

    warnings = tuple(
        Warning(say(w.title, f"boxed-warning-title:{w.id}", ("warnings", index, "title"), safety=True),
                say(w.text, f"boxed-warning:{w.id}", ("warnings", index, "text"), safety=True))
        for index, w in enumerate(content.warnings)
        if fits(w.applies)
    )
    key_points = tuple(block.text for block in pick(content.key_points.lines, "key_points", ("key_points", "lines"))
                       ) if content.key_points else ()

    sections: list[Section] = []

    def add(heading: str, blocks: list[Block] | tuple[Block, ...]) -> None:
        if blocks:  # a heading with nothing under it says nothing
            sections.append(Section(voice(heading), tuple(blocks)))

    for name in _ORDER:
        part = getattr(content, name)
        if name == "about":  # what it is, and the forms it comes in
            forms = [table] if (table := _forms(content, fits, say, words)) else []
            if part:
                add(part.heading, [*pick(part.lines, name, (name, "lines")), *forms])
            else:
                add(words.forms.heading, forms)
        elif part is None:
            continue
        elif name == "uses":
            add(part.heading, _uses(content, reader, uses, use_ids, pick, say, words))
        elif name == "how_to_use":
            blocks = list(pick(part.lines, name, (name, "lines")))
            if part.doses:
                blocks += _doses(part.doses, reader, use_ids, fits, pick, say, words)
            add(part.heading, blocks)
        elif name == "devices":
            add(part.heading, _devices(part, fits, pick, say, voice, words))
        elif name == "side_effects":
            blocks = list(pick(part.intro, "side_effects.intro", ("side_effects", "intro")))
            for tier in _SIDE_EFFECT_TIERS:
                heading = getattr(words.side_effects, tier)
                lines = pick(getattr(part, tier), f"side_effects.{tier}", ("side_effects", tier), bullet=True)
                if not lines:
                    continue
                if tier == "emergency":
                    blocks.append(WarningList(voice(heading), tuple(line.text for line in lines)))
                else:
                    blocks += [SubHeading(voice(heading)), *lines]
            add(part.heading, blocks)
        else:
            add(part.heading, pick(part.lines, name, (name, "lines")))
    cited = _cited(content, facts)
    if len(cited) > 1:
        add(words.sources.heading, _source_list(cited, words))

    disclaimer = say(content.disclaimer, "disclaimer", ("disclaimer",), safety=True)
    source = content.source
    if len(cited) > 1:  # the Sources section gives each in full; the footer stays short
        source_line = (_sentence(words.sources.main.format(
            title=words.field(source.title) + (f" ({words.field(source.publisher)})" if source.publisher else "")))
            + " " + words.sources.others.format(heading=words.sources.heading))
    else:
        source_line = _describe_source(source, words=words)
    return Leaflet(
        title=content.title,
        brand=content.name,
        generic=content.medicine.generic,
        audience=reader.audience,
        for_line=getattr(words.audiences, reader.audience.name, reader.audience.label),
        key_points_heading=voice(content.key_points.heading) if key_points else "",  # no empty box
        key_points=key_points,
        sections=tuple(sections),
        disclaimer=disclaimer,
        source_line=source_line,
        source_author=source.publisher or (f"{source.title} (reviewed by {source.reviewer})" if source.reviewer
                                           else source.title),
        last_updated=words.partial_date(source.date) if source.date else "",
        language=content.language,
        use_ids=tuple(use.id for use in uses),
        facts=tuple(facts),
        warnings=warnings,
        date_label=(words.last_updated if source.date_label == "Last updated" else source.date_label)
        if source.date else words.sources.no_date,
        publisher=source.publisher,
        notice=words.not_reviewed if not_reviewed(content) else None,
        source_url=(source.url or "") if len(cited) <= 1 else "",
    )


def _cited(content: Content, facts: list[Fact]) -> list[Source]:
    """The main source and every source a printed line names (`source:`), in file order."""
    named: set[str] = set()
    for fact in facts:
        node: object = content
        for part in fact.origin:
            node = node[part] if isinstance(part, int) else getattr(node, part, None)
            if isinstance(getattr(node, "source", None), str):
                named.add(node.source)
    return [s for index, s in enumerate(content.sources) if index == 0 or s.id in named]


def _source_list(cited: list[Source], words: i18n.Catalogue) -> list[Para]:
    """The Sources section: each source in full, with what its page says of its reviewer
    and date. Saying "No reviewer or date is given on the source page" after every one of
    several undated pages took a line each (sertraline's took a third page on Letter):
    it is said once, after the list."""
    bare = {id(source) for source in cited if not source.reviewer and not source.date}
    once = len(bare) > 1
    note = f" {words.sources.no_reviewer_or_date}"
    listed = []
    for source in cited:
        text = _describe_source(source, full=True, words=words)
        if once and id(source) in bare:
            text = text.removesuffix(note)  # said once, after the list
        listed.append(Para(text, prose=False, url=source.url or ""))
    if once:
        note = words.sources.none_reviewed_or_dated if len(bare) == len(cited) else words.sources.others_undated
        listed.append(Para(note, prose=False))
    return listed


def _describe_source(source: Source, full: bool = False, words: i18n.Catalogue | None = None) -> str:
    """"Source: Title (Publisher), address. Reviewed by X."; with full, the date too."""
    words = words or i18n.catalogue(i18n.SOURCE_LANGUAGE)
    named = (words.field(source.title) + (f" ({words.field(source.publisher)})" if source.publisher else "")
             + (f", {words.field(source.url)}" if source.url else ""))
    text = _sentence(named if full else words.source.format(title=named))
    if full and not source.reviewer and not source.date:
        return text + f" {words.sources.no_reviewer_or_date}"
    text += (" " + words.reviewed_by.format(reviewer=words.field(source.reviewer)) if source.reviewer
             else f" {words.sources.no_reviewer}")
    if full:
        text += f" {_dated(source, words)}."
    return text


def _dated(source: Source, words: i18n.Catalogue) -> str:
    """"Last updated 1 February 2024", or the honest "No date is given on the source page"."""
    label = words.last_updated if source.date_label == "Last updated" else source.date_label
    return f"{label} {words.partial_date(source.date)}" if source.date else words.sources.no_date


def _uses(content: Content, reader: Reader, uses: list, use_ids: frozenset[str], pick, say,
          words: i18n.Catalogue) -> list[Block]:
    blocks: list[Block] = list(pick(content.uses.intro, "uses.intro", ("uses", "intro")))
    if reader.uses is not None and len(uses) < len(content.uses.items):
        blocks.append(Para(say(words.notes.prescribed, "narrowed-to-prescription", ())))
    elif _narrowed_away(content, reader, use_ids):
        note = (words.narrowed.both if reader.age is not None and reader.weight is not None
                else words.narrowed.age if reader.age is not None else words.narrowed.weight)
        blocks.append(Para(say(note, "narrowed-to-patient", ())))
    for index, use in enumerate(content.uses.items):
        if use.id not in use_ids:
            continue
        at = ("uses", "items", index)
        blocks.append(SubHeading(say(use.name, f"use:{use.id}", (*at, "name"))))
        blocks.extend(pick(use.lines, f"use:{use.id}", (*at, "lines")))
        if use.warning:
            blocks.append(Warning(
                say(use.warning.title, f"warning-title:{use.id}", (*at, "warning", "title"), safety=True),
                say(use.warning.text, f"warning:{use.id}", (*at, "warning", "text"), safety=True)))
    return blocks


def _forms(content: Content, fits, say, words: i18n.Catalogue) -> Table | None:
    rows = tuple(
        (say(form.form, f"form:{form.id or index}", ("medicine", "forms", index, "form")),
         say(form.strength, f"form:{form.id or index}.strength", ("medicine", "forms", index, "strength"))
         if form.strength else "")
        for index, form in enumerate(content.medicine.forms)
        if fits(form.applies)
    )
    return Table((words.forms.form, words.forms.strength), rows) if rows else None


def _doses(doses, reader: Reader, use_ids: frozenset[str], fits, pick, say, words: i18n.Catalogue) -> list[Block]:
    """The dose bands that fit the reader, as the source states them: never computed."""
    everyone = Reader(reader.audience, uses=reader.uses)
    fitting = [(index, row) for index, row in enumerate(doses.rows) if fits(row.applies)]
    blocks: list[Block] = []
    if fitting:
        rows = tuple(
            (say(row.band, f"dose:{row.id or index}", ("how_to_use", "doses", "rows", index, "band")),
             say(row.dose, f"dose:{row.id or index}.dose", ("how_to_use", "doses", "rows", index, "dose")))
            for index, row in fitting)
        columns = doses.columns
        blocks.append(Table((speak(columns.band, reader.audience.speaks_to_parent),
                             speak(columns.dose, reader.audience.speaks_to_parent)), rows))
        audience_rows = [row for row in doses.rows if applies_to(row.applies, everyone, use_ids)]
        if len(fitting) < len(audience_rows):
            blocks.append(Para(say(words.notes.dose_narrowed, "dose-narrowed-to-patient", ())))
    elif reader.age is not None or reader.weight is not None:
        blocks.append(Para(say(words.notes.no_dose, "no-dose-for-patient", ())))
    blocks += pick(doses.notes, "how_to_use.doses.notes", ("how_to_use", "doses", "notes"))
    return blocks


def _devices(devices, fits, pick, say, voice, words: i18n.Catalogue) -> list[Block]:
    blocks: list[Block] = list(pick(devices.intro, "devices.intro", ("devices", "intro")))
    rows = tuple(
        tuple(say(getattr(d, part), f"device:{d.id}" + ("" if part == "name" else f".{part}"),
                  ("devices", "items", index, part))
              for part in ("name", "doses", "ages"))
        for index, d in enumerate(devices.items)
        if fits(d.applies)
    )
    if rows:
        cols, default = devices.columns, words.device_columns
        blocks.append(Table((voice(cols.name or default.name), voice(cols.doses or default.doses),
                             voice(cols.ages or default.ages)), rows))
    blocks.extend(pick(devices.notes, "devices.notes", ("devices", "notes")))
    return blocks


# When a patient's age or weight left out uses that the audience as a whole has, a note
# (catalogue: narrowed) says so, so a reader is not puzzled that fewer uses are named.
# Notes (catalogue: notes): prescribed, when --use left out uses (the leaflet is about what
# the prescription is for); dose_narrowed, when a patient's age or weight left out dose
# bands; no_dose, when no dose band fits the patient (the tool never works a dose out).


def _check_prescribed(content: Content, reader: Reader) -> None:
    """--use names uses of this medicine that apply to this reader; else say which do."""
    if reader.uses is None:
        return
    known = content.use_ids()
    shown = ", ".join(f"--use {u}" for u in reader.uses)
    if not known:
        raise LeafletError(f"{shown}: {content.name} lists no uses to choose from")
    for use_id in reader.uses:
        if use_id not in known:
            raise LeafletError(f"--use {use_id}: unknown use of {content.name} (choose from: {', '.join(known)})")
    wide = Reader(reader.audience, reader.age, reader.weight)
    fitting = [use.id for use in content.uses.items if applies_to(use.applies, wide)]
    for use_id in reader.uses:
        if use_id not in fitting:
            who = f"a patient aged {reader.age:g}" if reader.age is not None else f"the {reader.audience.name} audience"
            if reader.weight is not None:
                who += f" weighing {reader.weight:g} kg"
            raise LeafletError(f"--use {use_id}: not a use of {content.name} for {who} "
                               f"(uses that apply: {', '.join(fitting) or 'none'})")


def _narrowed_away(content: Content, reader: Reader, shown: frozenset[str]) -> bool:
    if reader.age is None and reader.weight is None:
        return False
    audience_wide = Reader(reader.audience)
    return any(use.id not in shown and applies_to(use.applies, audience_wide) for use in content.uses.items)


def _sentence(text: str) -> str:
    """text ending in a full stop, unless it ends in one already (or a "?" of a title at its end)."""
    return text if text.rstrip("\u2066\u2067\u2068\u2069").endswith((".", "?", "!")) else text + "."


def _nothing_applies(content: Content, reader: Reader) -> str:
    who = f"a patient aged {reader.age:g}" if reader.age is not None else f"the {reader.audience.name} audience"
    if reader.weight is not None:
        who += f" weighing {reader.weight:g} kg"
    youngest = min((u.applies.min_age_years or 0.0) for u in content.uses.items)
    hint = f" (the youngest age for any use is {youngest:g})" if reader.age is not None and reader.age < youngest else ""
    option = f"--patient-age {reader.age:g}: " if reader.age is not None else ""
    return f"{option}no use of {content.name} applies to {who}{hint}"
