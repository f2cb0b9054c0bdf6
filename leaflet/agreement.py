"""Text agrees with data: ages and weights a line states must match its `applies`.

Tailoring trusts `applies`; a reader trusts the words. When one is edited and the other
is not ("6 years and older" left in a line whose `applies` now says 12), the leaflet
tells the wrong readers the wrong thing, and nothing else notices. `leaflet lint`
reports each disagreement as an error.

What is read from a text (whole numbers or decimals; months become years):
- a lower age: "6 years and older", "ages 2 and over", "6 months or older", "1 year and up";
- an upper age: "under 12", "younger than 12", "less than 18 years";
- an age range: "12 to 17" after ages/aged/teens/children/people, or with years/months
  ("6 months to under 12"); "12 to 17" means 12 up to 18 (the data's maximum is exclusive);
- weights in kg: "at least 15 kg", "15 kg or more", "under 40 kg", "15 to 30 kg".
Pounds are never read (they repeat the kg).

Doses too: a line that names one dose band of the table (its ages and weights, as above)
and states an amount ("0.3 mg", "5 mL") must state that band's dose.

The rule, per bound (lower age, upper age, lower weight, upper weight): when the data
has the bound and the text states bounds of that kind, one of them must equal it. A
text may name other groups too ("Adults can... Teens 12 to 17 can too" under
`min_age_years: 12`), and a bound the data does not have is never a disagreement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .load import KeyPath
from .model import Applies, Content, Line

_NUMBER = r"(\d+(?:\.\d+)?)"
_UNIT = r"(?:\s*(years?|months?)(?:\s+old)?)"
#: A number followed by one of these is not an age ("under 2 hours", "less than 5 mL").
_NOT_MEASURE = (r"(?!\s*(?:kg|lb|pounds?|mg|mcg|ml|g|hours?|days?|weeks?|minutes?|times?|doses?|tablets?|pills?|"
                r"capsules?|puffs?|drops?|units?|cm|inches|percent|%|°)(?![\w]))")

_MIN_AGE = re.compile(_NUMBER + _UNIT + r"?" + _NOT_MEASURE + r"\s+(?:and|or)\s+(?:older|over|up)\b", re.I)
_MAX_AGE = re.compile(r"\b(?:under|younger than|less than|below)\s+(?:the age of\s+|age\s+)?" + _NUMBER + _UNIT
                      + r"?" + _NOT_MEASURE, re.I)
_AGE_RANGE = re.compile(r"(?:\b(?:ages?|aged|teens?|children|people|adolescents|kids)\s+)?" + _NUMBER + _UNIT
                        + r"?\s*(?:to|-|\u2013|through)\s*(under\s+)?" + _NUMBER + _UNIT + r"?" + _NOT_MEASURE,
                        re.I)
_AGE_CONTEXT = re.compile(r"\b(?:ages?|aged|teens?|children|people|adolescents|kids)\s+$", re.I)
_MIN_WEIGHT = [re.compile(r"\bat least\s+" + _NUMBER + r"\s*kg\b", re.I),
               re.compile(_NUMBER + r"\s*kg\b(?:\s*\([^)]*\))?\s+(?:or|and)\s+(?:more|over|above|heavier)\b", re.I)]
_MAX_WEIGHT = re.compile(r"\b(?:under|less than|below|lighter than)\s+" + _NUMBER + r"\s*kg\b", re.I)
_WEIGHT_RANGE = re.compile(_NUMBER + r"\s*(?:kg\s*)?(?:to|-|\u2013)\s*" + _NUMBER + r"\s*kg\b", re.I)


def _years(number: str, unit: str | None) -> float:
    value = float(number)
    return value / 12 if unit and unit.lower().startswith("month") else value


def stated(text: str) -> dict[str, set[float]]:
    """The age and weight bounds a text states."""
    text = " ".join(text.split())
    found: dict[str, set[float]] = {"min_age": set(), "max_age": set(), "min_weight": set(), "max_weight": set()}
    used: list[tuple[int, int]] = []

    for match in _WEIGHT_RANGE.finditer(text):
        found["min_weight"].add(float(match.group(1)))
        found["max_weight"].add(float(match.group(2)))
        used.append(match.span())
    for pattern in _MIN_WEIGHT:
        for match in pattern.finditer(text):
            found["min_weight"].add(float(match.group(1)))
            used.append(match.span())
    for match in _MAX_WEIGHT.finditer(text):
        found["max_weight"].add(float(match.group(1)))
        used.append(match.span())

    def free(span: tuple[int, int]) -> bool:
        return not any(s < span[1] and span[0] < e for s, e in used)

    for match in _AGE_RANGE.finditer(text):
        low, low_unit, to_under, high, high_unit = match.groups()
        has_context = bool(low_unit or high_unit or _AGE_CONTEXT.search(text[:match.start(1)]))
        if not has_context or not free(match.span()):
            continue
        # "6 to 12 months": both in months; "6 months to under 12": the second in years.
        unit = high_unit
        found["min_age"].add(_years(low, low_unit or high_unit))
        top = _years(high, unit)
        found["max_age"].add(top if to_under else top + (1 / 12 if unit and unit.lower().startswith("month") else 1))
        if not to_under:
            found["max_age"].add(top)  # "12 to 17" may mean "up to 17" written as max 17
        used.append(match.span())
    for match in _MIN_AGE.finditer(text):
        if free(match.span()):
            found["min_age"].add(_years(match.group(1), match.group(2)))
    for match in _MAX_AGE.finditer(text):
        if free(match.span()):
            found["max_age"].add(_years(match.group(1), match.group(2)))
    return found


#: Each kind of stated bound and the `applies` field it must agree with.
_BOUNDS = {"min_age": "min_age_years", "max_age": "max_age_years", "min_weight": "min_weight_kg",
           "max_weight": "max_weight_kg"}


def disagreements(text: str, rule: Applies) -> list[str]:
    """How a text's stated ages and weights disagree with its data (empty: they agree)."""
    problems = []
    for kind, values in stated(text).items():
        field = _BOUNDS[kind]
        data = getattr(rule, field)
        if data is None or not values:
            continue
        if not any(abs(value - data) < 1e-6 for value in values):
            said = ", ".join(f"{value:g}" for value in sorted(values))
            problems.append(f"the text states {said} but {field} is {data:g}")
    return problems


def _merge(outer: Applies, inner: Applies) -> Applies:
    """A line's own bounds, else the bounds of the item it sits in (a use)."""
    return Applies(**{field: getattr(inner, field) if getattr(inner, field) is not None else getattr(outer, field)
                      for field in ("min_age_years", "max_age_years", "min_weight_kg", "max_weight_kg")})


def checked_texts(content: Content) -> Iterator[tuple[KeyPath, str, Applies]]:
    """Every text that states who it is for, with its key path and the data it must agree with."""
    def lines(items: list[Line], base: KeyPath, outer: Applies = Applies()) -> Iterator[tuple[KeyPath, str, Applies]]:
        for index, line in enumerate(items):
            yield (*base, index), line.text, _merge(outer, line.applies)

    for index, warning in enumerate(content.warnings):
        yield ("warnings", index, "text"), warning.text, warning.applies
    for name in ("key_points", "about", "important", "before", "giving", "missed_dose", "overdose", "avoid",
                 "storage", "contents", "questions"):
        section = getattr(content, name)
        if section:
            yield from lines(section.lines, (name, "lines"))
    if content.uses:
        yield from lines(content.uses.intro, ("uses", "intro"))
        for index, use in enumerate(content.uses.items):
            at = ("uses", "items", index)
            yield (*at, "name"), use.name, use.applies
            yield from lines(use.lines, (*at, "lines"), use.applies)
            if use.warning:
                yield (*at, "warning", "text"), use.warning.text, use.applies
    if content.how_to_use:
        yield from lines(content.how_to_use.lines, ("how_to_use", "lines"))
        if content.how_to_use.doses:
            for index, row in enumerate(content.how_to_use.doses.rows):
                yield ("how_to_use", "doses", "rows", index, "band"), row.band, row.applies
    if content.devices:
        for index, device in enumerate(content.devices.items):
            yield ("devices", "items", index, "ages"), device.ages, device.applies
        yield from lines(content.devices.intro, ("devices", "intro"))
        yield from lines(content.devices.notes, ("devices", "notes"))
    for index, form in enumerate(content.medicine.forms):
        yield ("medicine", "forms", index, "form"), form.form, form.applies
    if content.side_effects:
        for tier in ("intro", "common", "call_doctor", "emergency"):
            yield from lines(getattr(content.side_effects, tier), ("side_effects", tier))


_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(mg|mcg|micrograms?|g|ml|units?)\b", re.I)


def amounts(text: str) -> set[tuple[float, str]]:
    """The doses a text states: (0.15, "mg"), (5, "ml")."""
    return {(float(number), unit.lower().rstrip("s").replace("microgram", "mcg"))
            for number, unit in _AMOUNT.findall(text)}


def dose_problems(content: Content) -> list[tuple[KeyPath, str]]:
    """A line that names a dose table's band (by its ages or weights) and a dose must give
    that band's dose: "Children 15 to 30 kg get 0.3 mg" against a row saying 0.15 mg."""
    doses = content.how_to_use.doses if content.how_to_use else None
    if not doses:
        return []
    found = []
    for key_path, text, _ in checked_texts(content):
        if key_path[:3] == ("how_to_use", "doses", "rows"):
            continue
        said = amounts(text)
        if not said:
            continue
        bounds = stated(text)
        for row in doses.rows:
            rule = row.applies
            pairs = [(bounds["min_age"], rule.min_age_years), (bounds["max_age"], rule.max_age_years),
                     (bounds["min_weight"], rule.min_weight_kg), (bounds["max_weight"], rule.max_weight_kg)]
            given = [(values, data) for values, data in pairs if data is not None]
            if not given or not all(any(abs(v - data) < 1e-6 for v in values) for values, data in given):
                continue  # the text does not name this row's band
            if not said & amounts(row.dose):
                shown = ", ".join(f"{n:g} {u}" for n, u in sorted(said))
                found.append((key_path, f"the text gives {shown} for the band {row.band!r}, whose dose in the "
                                        f"table is {row.dose!r}: make the text and the table say the same"))
    return found


def text_data_problems(content: Content) -> list[tuple[KeyPath, str]]:
    """(key path, message) for every text whose stated ages, weights or doses disagree with its data."""
    found = []
    for key_path, text, rule in checked_texts(content):
        for problem in disagreements(text, rule):
            found.append((key_path, f"{problem}: make the text and the data say the same"))
    return found + dose_problems(content)
