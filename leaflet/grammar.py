"""Grammar for every reader: catch renderings that voice substitution made wrong.

A writer writes a line once and `{you}` becomes "your child" in the caregiver leaflet.
The verb after it must then agree ("{you} {has|have}", see `leaflet.voice.speak`); a
line written for one voice ("you or a caregiver") must not reach the other. This module
tailors the content for each audience and checks every printed text (headings and table
cells too) for the known ways this goes wrong:

- "your child" followed by a base-form verb: "If your child have", "Your child are not
  alone", "even if your child feel better" (after "let", "help", "make", "does", "can"...
  the base form is right: "let your child take it", "Can your child swallow it?");
- "you" followed by a third-person verb in the others' leaflets: "you has", "you feels";
- "you or a caregiver" (or "your child or a caregiver") in the caregiver leaflet, who is
  the caregiver;
- "yourself" in a sentence about "your child" in the caregiver leaflet;
- "take it" / "taking the medicine" said to the caregiver, who gives it (unless someone
  else takes it: "your child can take it", "adults take it");
- a doubled possessive: "{you}'s" reads "you's" for the others, "{your}'s" reads "your child's's".

`leaflet validate` reports these as errors for schema-2 files; `leaflet lint` for every file.
"""

from __future__ import annotations

import re

from .errors import LeafletError
from .load import KeyPath, Loaded
from .model import Content

#: Base-form verbs that cannot follow "your child" as its subject.
_BASE_VERBS = (
    "am are were have do don't haven't aren't weren't feel take need get use go want weigh start stop "
    "keep miss know think become develop notice seem look continue receive react gain lose breathe eat "
    "drink swallow vomit cough sleep forget remember live travel plan agree play walk talk say hear tell "
    "ask give inject wear try visit experience respond run come sit spend work learn begin grow cry bleed "
    "faint improve change return find carry hold put mix shake measure store"
).split()
#: Words after which "your child" + base form is right: "let your child take", "does your child have".
_BASE_FORM_AFTER = frozenset(
    "let lets letting help helps helping make makes making watch watching see seeing have has had having "
    "do does did can could will would shall should may might must".split()
)
_AFTER_CHILD = re.compile(r"\byour child\s+(" + "|".join(map(re.escape, _BASE_VERBS)) + r")(?![\w'])",
                          re.IGNORECASE)
_WORD_BEFORE = re.compile(r"(\w+)\s+$")
_AFTER_YOU = re.compile(r"\b(?<!'\s)you\s+(has|is|was|does|doesn't|feels|takes|needs|gets|weighs|wants|hasn't|isn't|"
                        r"wasn't)\b", re.IGNORECASE)
_CAREGIVER_OR = re.compile(r"\b(you|your child) or a (caregiver|carer|parent)\b", re.IGNORECASE)
#: What a parent gives and a patient takes ("take it", "taking the medicine"); the names are added.
_TAKEN = r"(?:it|them|this medicine|the medicine|each dose|a dose|the dose|the next dose|doses|the tablets?)"
#: Someone other than the reader takes it: "your child can take it", "adults can take it".
_TAKER = re.compile(r"\b(?:your child|child|children|adults?|teens?|people|they|who|he|she|anyone|patients?)\b"
                    r"[^.!?]{0,30}$", re.IGNORECASE)
_POSSESSIVE = re.compile(r"\b(?:you|your)'s\b|'s's\b|\byour child's child\b", re.IGNORECASE)
_YOURSELF = re.compile(r"\byour child\b[^.!?]*\byourself\b|\byourself\b[^.!?]*\byour child\b", re.IGNORECASE)


def problems_in(text: str, to_parent: bool, names: tuple[str, ...] = ()) -> list[str]:
    """What is ungrammatical in one rendered text for a reader of this voice.

    `names` are the medicine's names, for "take Testamol" said to the parent who gives it.
    """
    found = []
    for match in _POSSESSIVE.finditer(text):
        found.append(f"reads \"{match.group(0)}\": a possessive is already in {{your}} (\"your\", "
                     "\"your child's\"); write {your} alone")
    if to_parent:
        for match in _AFTER_CHILD.finditer(text):
            before = _WORD_BEFORE.search(text[:match.start()])
            if before and before.group(1).lower() in _BASE_FORM_AFTER:
                continue
            verb = match.group(1)
            found.append(f"reads \"your child {verb}\" in the caregiver leaflet: make the verb agree, "
                         f"e.g. {{you}} {{{_third_person(verb)}|{verb.lower()}}}")
        for match in _CAREGIVER_OR.finditer(text):
            found.append(f"reads \"{match.group(0)}\" in the caregiver leaflet, whose reader is the caregiver: "
                         "write {You|You or a caregiver} (or a line with applies)")
        taken = "|".join([_TAKEN, *(re.escape(name) for name in names)])
        for match in re.finditer(rf"\b(take|taking)\s+(?:{taken})\b", text, re.IGNORECASE):
            if not _TAKER.search(text[:match.start()]):
                found.append(f"reads \"{match.group(0)}\" in the caregiver leaflet, whose reader gives the "
                             f"medicine: write {{{'give|take' if match.group(1).islower() else 'Give|Take'}}}"
                             if match.group(1).lower() == "take" else
                             f"reads \"{match.group(0)}\" in the caregiver leaflet, whose reader gives the "
                             "medicine: write {giving|taking}")
        if _YOURSELF.search(text):
            found.append("reads \"yourself\" in a sentence about \"your child\" in the caregiver leaflet: "
                         "write {themselves|yourself}")
    else:
        for match in _AFTER_YOU.finditer(text):
            found.append(f"reads \"{match.group(0)}\" in the adolescent and adult leaflets: make the verb "
                         "agree, e.g. {you} {has|have}")
    return found


def _third_person(verb: str) -> str:
    verb = verb.lower()
    irregular = {"am": "is", "are": "is", "were": "was", "have": "has", "do": "does", "don't": "doesn't",
                 "haven't": "hasn't", "aren't": "isn't", "weren't": "wasn't", "go": "goes"}
    if verb in irregular:
        return irregular[verb]
    if verb.endswith(("s", "sh", "ch", "x")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def grammar_problems(content: Content, loaded: Loaded | None = None) -> list[tuple[KeyPath, str]]:
    """(key path, message) for every ungrammatical rendering, each once."""
    from .tailor import AUDIENCES, make_reader, printed, tailor

    seen: dict[tuple[KeyPath, str], None] = {}
    names = (content.medicine.generic, *content.medicine.brands)
    by_text = _texts_by_value(loaded) if loaded else {}
    for audience in AUDIENCES:
        try:
            leaflet = tailor(content, make_reader(audience))
        except LeafletError:
            continue  # no use applies: there is no leaflet for this audience
        for part in printed(leaflet):
            for message in problems_in(" ".join(part.text.split()), leaflet.audience.speaks_to_parent, names):
                origin = part.fact.origin if part.fact and part.fact.origin else by_text.get(part.text, ())
                seen.setdefault((origin, message), None)
    return list(seen)


def _texts_by_value(loaded: Loaded) -> dict[str, KeyPath]:
    """Where a label (a heading, a column) sits in the file, found by its text in either voice."""
    from .voice import speak
    from .validate import walk

    found: dict[str, KeyPath] = {}
    for key_path, value in walk(loaded.data):
        if isinstance(value, str):
            for to_parent in (True, False):
                try:
                    found.setdefault(speak(value, to_parent), key_path)
                except KeyError:
                    pass
    return found

