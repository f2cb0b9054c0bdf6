"""`leaflet lint`: is each audience's leaflet written in plain language?

The text scored is what tailoring gives each audience, in that reader's voice, so a line
that only reaches adults never counts against the caregiver leaflet. Checks:

- Readability, with textstat (pinned to 0.7.8, which needs no download): Flesch-Kincaid
  grade and Flesch reading ease for each section and for the whole leaflet. The prose
  is scored: key points, paragraphs, warnings and the disclaimer. Headings, use and
  device names and table cells are labels, not sentences, and are left out. An error
  above `lint.max_grade` overall or `lint.max_section_grade` in a section (a section of
  fewer than 10 words is too short to judge).
- Long sentences: an error for a sentence of more than `lint.max_sentence_words` words.
- Jargon. A glossary term must be explained where a leaflet first uses it, in one of two
  forms: the term followed by its explanation in brackets,
  "biologic (a medicine made from living cells)", or plain words followed by the term
  in brackets, "under the skin (subcutaneous)". Anything else is an error. Terms from
  the curated list in `leaflet/data/medical-terms.txt` that are not in the glossary are
  reported too: an error when not explained (by the same rule), a warning when they
  are. Terms match whole words in any case, with an optional plural "s" or "es".
- A stale source: a warning when the main source's date is more than
  `lint.max_source_age_months` (12) months before today. `strict` makes every warning
  an error.
- Grammar for every reader (`leaflet.grammar`): an error for a rendering such as
  "your child have" (schema-2 files cannot even validate with one; schema-1 files are
  told here).
- Text agrees with data (`leaflet.agreement`): an error when an age or weight stated in
  a line, a use, a device's ages or a dose band disagrees with its `applies`.

Each finding names `file:line` of the YAML text it comes from (inside a multi-line
text, the line where the sentence or term is).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Callable, Any

import textstat

from .errors import LeafletError
from .load import KeyPath, Loaded, load_yaml
from .agreement import text_data_problems
from .grammar import grammar_problems
from .model import Content, LintSettings, earliest_day
from .tailor import AUDIENCES, DISCLAIMER, Fact, Leaflet, make_reader, printed, tailor
from .validate import validate, walk
from .voice import speak

ERROR = "error"
WARNING = "warning"

#: A section with fewer words is shown but its grade is not judged: on a line or two a
#: grade formula measures one word ("Anyone." alone scores grade 20), not the writing.
MIN_WORDS_TO_GRADE = 10


@dataclass(frozen=True)
class Finding:
    """One problem, at the line of the content file it comes from."""

    path: Path
    line: int
    severity: str  # ERROR or WARNING
    #: reading-grade, section-grade, long-sentence, unexplained-term, medical-term, stale-source,
    #: grammar, text-disagrees-with-data
    code: str
    message: str
    #: The audiences whose leaflet has the problem (empty: the file as a whole).
    audiences: tuple[str, ...] = ()

    def __str__(self) -> str:
        who = f" [{', '.join(self.audiences)}]" if self.audiences else ""
        return f"{self.path}:{self.line}: {self.severity}: {self.message}{who} ({self.code})"


@dataclass(frozen=True)
class Score:
    grade: float  # Flesch-Kincaid grade level (Spanish: Fernandez-Huerta reading ease)
    ease: float  # Flesch reading ease: higher is easier (Spanish: Szigriszt-Pazos)
    words: int
    sentences: int


@dataclass(frozen=True)
class Readability:
    """How one language's prose is scored and judged (textstat 0.7.8 formulas, offline)."""

    textstat_language: str
    #: The two figures shown, as "first / second"; the first is judged.
    names: tuple[str, str]
    first: Callable[[str], float]
    second: Callable[[str], float]
    #: True when a higher first figure is easier (a reading ease), False for a grade.
    higher_is_easier: bool
    #: Targets for the first figure (whole leaflet, one section); None: settings' grades.
    targets: tuple[float, float] | None = None


#: Spanish: Fernandez-Huerta (Flesch's reading ease recalibrated for Spanish): 70 or more
#: overall is "bastante fácil" (fairly easy, the band of Flesch's scale that English
#: grade-6 writing reaches), 60 or more per section ("normal"). Szigriszt-Pazos (the
#: INFLESZ scale; 55 or more is "normal") is shown beside it.
READABILITY = {
    "en": Readability("en_US", ("Flesch-Kincaid grade", "Flesch reading ease"),
                      lambda t: textstat.flesch_kincaid_grade(t), lambda t: textstat.flesch_reading_ease(t),
                      higher_is_easier=False),
    "es": Readability("es", ("Fernández-Huerta", "Szigriszt-Pazos"),
                      lambda t: textstat.fernandez_huerta(t), lambda t: textstat.szigriszt_pazos(t),
                      higher_is_easier=True, targets=(70, 60)),
}


def readability(language: str) -> Readability | None:
    """How a language is scored; None where no formula with a documented target exists."""
    return READABILITY.get(language.split("-")[0])


@dataclass(frozen=True)
class AudienceScores:
    audience: str
    overall: Score
    #: (section name, score) in reading order; a section with no prose is left out.
    sections: tuple[tuple[str, Score], ...]


@dataclass(frozen=True)
class LintReport:
    path: Path
    settings: LintSettings
    findings: tuple[Finding, ...]
    scores: tuple[AudienceScores, ...]
    formulas: Readability | None = None

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def passed(self) -> bool:
        return not self.errors()


# --- Entry points ------------------------------------------------------------------


def lint_file(path: str | Path, audiences: Iterable[str] | None = None,
              today: dt.date | None = None, strict: bool = False) -> LintReport:
    """Lint a content file for some audiences (all by default) as of `today`.

    With `strict`, every warning is reported as an error.
    """
    loaded = load_yaml(path)
    return lint_content(validate(loaded, Content), loaded, audiences, today, strict)


def lint_content(content: Content, loaded: Loaded, audiences: Iterable[str] | None = None,
                 today: dt.date | None = None, strict: bool = False) -> LintReport:
    today = today or dt.date.today()
    settings = content.lint
    where = _Locator(content, loaded)
    findings: list[Finding] = []
    scores: list[AudienceScores] = []
    for audience in list(audiences or AUDIENCES):
        try:
            leaflet = tailor(content, make_reader(audience))
        except LeafletError:
            if audiences:  # asked for by name: say why it cannot be linted
                raise
            continue  # no use applies to this audience: there is no leaflet for it to lint
        parts = _prose(leaflet, where)
        formulas = readability(content.language)
        if formulas is not None:
            scores.append(_score_audience(audience, parts, formulas))
            findings += _grade_findings(audience, scores[-1], settings, where, formulas)
        findings += _long_sentences(audience, parts, settings, where)
        if content.language.split("-")[0] == "en":  # the curated term list is English
            findings += _jargon(audience, leaflet, content, where)
    findings += _stale_source(content, loaded, today)
    findings += _stale_translation(content, loaded)
    findings += [Finding(loaded.path, loaded.line_of(key_path), ERROR, "grammar", message)
                 for key_path, message in grammar_problems(content, loaded)]
    findings += [Finding(loaded.path, loaded.line_of(key_path), ERROR, "text-disagrees-with-data", message)
                 for key_path, message in text_data_problems(content)]
    if strict:
        findings = [dataclasses.replace(f, severity=ERROR) for f in findings]
    return LintReport(loaded.path, settings, tuple(_merge(findings)), tuple(scores),
                      readability(content.language) or READABILITY["en"])


# --- Where each text comes from --------------------------------------------------------


class _Locator:
    """Finds where in the content file a tailored text comes from.

    Facts carry their origin from tailoring; other texts (a heading, a table header) are
    found by their value in the YAML data.
    """

    def __init__(self, content: Content, loaded: Loaded) -> None:
        self.loaded = loaded
        self.path = loaded.path
        self.by_text: dict[str, KeyPath] = {}
        for key_path, value in walk(loaded.data):
            if isinstance(value, str):
                self.by_text.setdefault(_fold(value), key_path)
        self.headings: dict[str, KeyPath] = {
            speak(getattr(content, name).heading, to_parent): (name, "heading")
            for name in type(content).model_fields
            for to_parent in (True, False)
            if hasattr(getattr(content, name), "heading")
        }

    def section_name(self, heading: str) -> str:
        """One name for a section in every voice ("Before you take X", not also "Before your
        child takes X"), so the score table has one row per section."""
        key_path = self.headings.get(heading)
        raw = self._raw(key_path) if key_path else None
        return speak(raw, False) if raw else heading

    def key_path(self, text: str, fact: Fact | None) -> KeyPath | None:
        return (fact.origin if fact is not None else ()) or self.by_text.get(_fold(text))

    def line(self, key_path: KeyPath | None, offset: int = 0) -> int:
        """The line of the text at key_path; with an offset, of that character in it."""
        if key_path is None:
            return 1
        start = self.loaded.line_of(key_path)
        raw = self._raw(key_path)
        if not offset or raw is None:
            return start
        return self._line_in_source(start, _fold(raw), offset)

    def raw(self, key_path: KeyPath | None) -> str | None:
        return _fold(self._raw(key_path)) if key_path and self._raw(key_path) is not None else None

    def section_line(self, name: str) -> int:
        if name == DISCLAIMER:
            return self.loaded.line_of(("disclaimer",))
        key_path = self.headings.get(name)
        return self.loaded.line_of(key_path) if key_path else 1

    def _raw(self, key_path: KeyPath) -> str | None:
        node: Any = self.loaded.data
        for part in key_path:
            if isinstance(node, str):
                break
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node if isinstance(node, str) else None

    @cached_property
    def _source_lines(self) -> list[str]:
        try:
            return self.path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            return []

    def _line_in_source(self, start: int, raw: str, offset: int) -> int:
        """The file line holding character `offset` of the value that starts at `start`.

        White space is ignored on both sides, so folded and wrapped YAML texts line up.
        """
        chars: list[str] = []
        owners: list[int] = []
        for number in range(start, min(len(self._source_lines), start + 200) + 1):
            for char in self._source_lines[number - 1]:
                if not char.isspace():
                    chars.append(char)
                    owners.append(number)
        squashed = "".join(chars)
        anchor = squashed.find(_squash(raw)[:24])
        if anchor == -1:
            return start
        index = anchor + len(_squash(raw[:offset]))
        return owners[min(index, len(owners) - 1)] if owners else start


def _fold(text: str) -> str:
    return " ".join(text.split())


def _squash(text: str) -> str:
    return "".join(text.split())


# --- The text a reader sees ------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    """One text of a leaflet, where it sits, and where it comes from."""

    section: str
    text: str
    key_path: KeyPath | None
    prose: bool  # a sentence to score, not a label


def _texts(leaflet: Leaflet, where: _Locator) -> list[_Text]:
    """Every text of a leaflet in reading order, each with its place in the content."""
    return [_Text(where.section_name(p.section), p.text, where.key_path(p.text, p.fact), p.prose)
            for p in printed(leaflet)]


def _prose(leaflet: Leaflet, where: _Locator) -> list[_Text]:
    return [part for part in _texts(leaflet, where) if part.prose]


# --- Readability -------------------------------------------------------------------


def score(texts: Iterable[str], formulas: Readability | None = None) -> Score:
    """The language's two readability figures of some prose, scored as one text.

    English (the default): Flesch-Kincaid grade and Flesch reading ease.
    """
    formulas = formulas or READABILITY["en"]
    prose = " ".join(_as_sentence(text) for text in texts)
    textstat.set_lang(formulas.textstat_language)  # textstat's language is global: set, then restore
    try:
        return Score(
            grade=round(formulas.first(prose), 1),
            ease=round(formulas.second(prose), 1),
            words=textstat.lexicon_count(prose),
            sentences=len(sentences(prose)),
        )
    finally:
        textstat.set_lang("en_US")  # textstat's default


def _as_sentence(text: str) -> str:
    text = _fold(text)
    return text if text.endswith((".", "?", "!", ":")) else text + "."


def _score_audience(audience: str, parts: list[_Text], formulas: Readability | None = None) -> AudienceScores:
    sections: dict[str, list[str]] = {}
    for part in parts:
        sections.setdefault(part.section, []).append(part.text)
    return AudienceScores(
        audience=audience,
        overall=score((part.text for part in parts), formulas),
        sections=tuple((name, score(texts, formulas)) for name, texts in sections.items()),
    )


def _grade_findings(audience: str, scores: AudienceScores, settings: LintSettings,
                    where: _Locator, formulas: Readability | None = None) -> list[Finding]:
    if formulas is not None and formulas.higher_is_easier:
        return _ease_findings(audience, scores, where, formulas)
    findings = []
    if scores.overall.grade > settings.max_grade:
        findings.append(Finding(
            where.path, where.loaded.line_of(("lint", "max_grade")), ERROR, "reading-grade",
            f"the leaflet reads at grade {scores.overall.grade:g}; the target is {settings.max_grade:g} "
            "or lower: use shorter sentences and shorter words", (audience,)))
    for name, section in scores.sections:
        if section.grade > settings.max_section_grade and section.words >= MIN_WORDS_TO_GRADE:
            findings.append(Finding(
                where.path, where.section_line(name), ERROR, "section-grade",
                f"section {name!r} reads at grade {section.grade:g}; the target for a section is "
                f"{settings.max_section_grade:g} or lower", (audience,)))
    return findings


def _ease_findings(audience: str, scores: AudienceScores, where: _Locator,
                   formulas: Readability) -> list[Finding]:
    """A reading ease (higher is easier) below the language's documented targets."""
    whole, section_target = formulas.targets
    name = formulas.names[0]
    findings = []
    if scores.overall.grade < whole:
        findings.append(Finding(
            where.path, where.loaded.line_of(("language",)), ERROR, "reading-grade",
            f"the leaflet's {name} reading ease is {scores.overall.grade:g}; the target is {whole:g} "
            "or higher: use shorter sentences and shorter words", (audience,)))
    for section_name, section in scores.sections:
        if section.grade < section_target and section.words >= MIN_WORDS_TO_GRADE:
            findings.append(Finding(
                where.path, where.section_line(section_name), ERROR, "section-grade",
                f"section {section_name!r} has {name} reading ease {section.grade:g}; the target for a "
                f"section is {section_target:g} or higher", (audience,)))
    return findings


# --- Sentences ---------------------------------------------------------------------

#: A sentence ends at . ! ? (Arabic ؟) before one that starts with a capital, a digit, a
#: Spanish ¿ or ¡, or a letter of a script without capitals (Hebrew, Arabic).
_SENTENCE_END = re.compile(r"(?<=[.!?\u061f])[\"')\]]*\s+(?=[\"'(\[¿¡]*[A-Z0-9\u00c0-\u00de\u0590-\u08ff])")


def sentences(text: str) -> list[str]:
    """Split prose into sentences: after . ! or ? and before a capital letter or a digit."""
    text = _fold(text)
    return [s for s in _SENTENCE_END.split(text) if s] if text else []


def _sentence_starts(text: str) -> list[int]:
    return [0] + [match.end() for match in _SENTENCE_END.finditer(text)]


def _long_sentences(audience: str, parts: list[_Text], settings: LintSettings,
                    where: _Locator) -> list[Finding]:
    findings = []
    for part in parts:
        raw = where.raw(part.key_path)
        for index, sentence in enumerate(sentences(part.text)):
            words = textstat.lexicon_count(sentence)
            if words <= settings.max_sentence_words:
                continue
            starts = _sentence_starts(raw) if raw else []
            offset = starts[index] if index < len(starts) else 0
            findings.append(Finding(
                where.path, where.line(part.key_path, offset), ERROR, "long-sentence",
                f"sentence of {words} words (the limit is {settings.max_sentence_words}): {_quote(sentence)}",
                (audience,)))
    return findings


def _quote(text: str, limit: int = 70) -> str:
    return '"' + (text if len(text) <= limit else text[: limit - 3].rstrip() + "...") + '"'


# --- Jargon --------------------------------------------------------------------------


@cache
def medical_terms() -> tuple[str, ...]:
    """The curated list of medical terms a leaflet must explain (leaflet/data)."""
    text = resources.files("leaflet").joinpath("data/medical-terms.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def term_pattern(term: str) -> re.Pattern[str]:
    """A whole-word, any-case match for a term, with an optional plural "s" or "es"."""
    words = r"[\s-]+".join(re.escape(word) for word in term.split())
    return re.compile(rf"(?<![\w-]){words}(?:e?s)?(?![\w-])", re.IGNORECASE)


def explained(text: str, start: int, end: int) -> bool:
    """The rule for "explained": "term (explanation)" or "plain words (term)".

    The term at text[start:end] is explained when a bracket of words opens right after it
    ("(2017)" or "(see below)" explain nothing), or when it sits inside brackets that
    follow other words.
    """
    after = text[end:].lstrip()
    if after.startswith("("):
        inside = after[1:].split(")", 1)[0]
        return bool(re.search(r"[^\W\d_]{3,}", inside)) and not re.match(r"\s*see\b", inside, re.I)
    opening = text.rfind("(", 0, start)
    return opening > 0 and ")" not in text[opening:start] and text[:opening].strip() != ""


def _mask(text: str, patterns: Iterable[re.Pattern[str]]) -> str:
    """Blank out every match (keeping the length), so the same words are not matched twice."""
    for pattern in patterns:
        text = pattern.sub(lambda m: "\u2592" * len(m.group(0)), text)
    return text


def _jargon(audience: str, leaflet: Leaflet, content: Content, where: _Locator) -> list[Finding]:
    texts = _texts(leaflet, where)
    findings = []

    def first_use(pattern: re.Pattern[str], masked_by: tuple[re.Pattern[str], ...] = ()):
        for part in texts:
            shown = _mask(_fold(part.text), masked_by)
            match = pattern.search(shown)
            if match:
                raw = where.raw(part.key_path)
                in_raw = pattern.search(_mask(raw, masked_by)) if raw else None
                line = where.line(part.key_path, in_raw.start() if in_raw else 0)
                return match, explained(shown, *match.span()), line
        return None

    for term, meaning in content.glossary.items():
        found = first_use(term_pattern(term))
        if found and not found[1]:
            match, _, line = found
            findings.append(Finding(
                where.path, line, ERROR, "unexplained-term",
                f"{match.group(0)!r} is first used here without an explanation: write "
                f"\"{match.group(0)} ({_lower_first(meaning).rstrip('.')})\", or put it in brackets after "
                "plain words", (audience,)))

    glossary = tuple(term_pattern(term) for term in content.glossary)
    known = {term.lower() for term in content.glossary}
    for term in medical_terms():
        if term.lower() in known:
            continue
        found = first_use(term_pattern(term), glossary)
        if not found:
            continue
        match, is_explained, line = found
        if is_explained:
            findings.append(Finding(where.path, line, WARNING, "medical-term",
                                    f"medical term {match.group(0)!r} is not in the glossary: add it",
                                    (audience,)))
        else:
            findings.append(Finding(where.path, line, ERROR, "medical-term",
                                    f"medical term {match.group(0)!r} is not explained and not in the "
                                    "glossary: use plain words, or explain it and add it to the glossary",
                                    (audience,)))
    return findings


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


# --- The source's age ------------------------------------------------------------------


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole months from earlier to later (1 Feb 2024 to 25 Nov 2026 is 33)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def _stale_translation(content: Content, loaded: Loaded) -> list[Finding]:
    """A translation whose source file changed since it was translated (or is missing)."""
    from .translation import source_version

    if content.translation is None:
        return []
    source = Path(loaded.path).with_name(content.translation.source_file)
    line = loaded.line_of(("translation", "source_version"))
    if not source.is_file():
        return [Finding(loaded.path, line, WARNING, "stale-translation",
                        f"the translated file {content.translation.source_file} is not beside this one")]
    now = source_version(source)
    if now == content.translation.source_version:
        return []
    return [Finding(loaded.path, line, WARNING, "stale-translation",
                    f"{source.name} changed since this translation (version {content.translation.source_version}, "
                    f"now {now}): update the translation, then source_version")]


def _stale_source(content: Content, loaded: Loaded, today: dt.date) -> list[Finding]:
    """Judged from the first day the main source's date can mean ("2013-11": 1 November 2013)."""
    source = content.source
    limit = content.lint.max_source_age_months
    key_path = ("source", "last_updated") if "source" in loaded.data else ("sources", 0, "date")
    if source.date is None:
        return [Finding(loaded.path, loaded.line_of(("sources", 0)), WARNING, "stale-source",
                        "the main source gives no date, so its age is unknown: check it for changes")]
    age = months_between(earliest_day(source.date), today)
    if age <= limit:
        return []
    return [Finding(
        loaded.path, loaded.line_of(key_path), WARNING, "stale-source",
        f"the source was last updated {source.date}, {age} months before {today.isoformat()} "
        f"(the limit is {limit}): check it for changes, then update the content and this date")]


# --- Findings ------------------------------------------------------------------------


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding for the same problem in several audiences, sorted by line."""
    merged: dict[tuple, Finding] = {}
    for finding in findings:
        key = (finding.line, finding.severity, finding.code, finding.message)
        if key in merged:
            before = merged[key]
            merged[key] = dataclasses.replace(before, audiences=(*before.audiences, *finding.audiences))
        else:
            merged[key] = finding
    return sorted(merged.values(), key=lambda f: (f.line, f.severity != ERROR, f.code))


# --- The summary table -------------------------------------------------------------------


def table(report: LintReport) -> list[str]:
    """Grade / reading ease per section (rows) and audience (columns); "!" marks a miss."""
    settings = report.settings
    names: list[str] = []
    for audience in report.scores:
        for name, _ in audience.sections:
            if name not in names:
                names.append(name)
    width = max([len(name) for name in names] + [len("Overall")]) + 2
    column = 16
    if not report.scores:
        return ["Readability: no formula with a documented target for this language; "
                "sentence length is checked"]
    formulas = report.formulas or READABILITY["en"]
    easy = formulas.higher_is_easier
    whole_limit, section_limit = formulas.targets if easy else (settings.max_grade, settings.max_section_grade)
    if formulas.higher_is_easier:
        whole, per_section = formulas.targets
        heading = (f"{formulas.names[0]} / {formulas.names[1]} (targets: {formulas.names[0]} >= {whole:g} "
                   f"overall, >= {per_section:g} per section)")
    else:
        heading = (f"Flesch-Kincaid grade / Flesch reading ease (targets: grade <= {settings.max_grade:g} overall, "
                   f"<= {settings.max_section_grade:g} per section)")
    lines = [
        heading,
        "section".ljust(width) + "".join(a.audience.rjust(column) for a in report.scores),
    ]
    for name in names:
        cells = []
        for audience in report.scores:
            found = dict(audience.sections).get(name)
            cells.append(_cell(found, section_limit, higher_is_easier=easy) if found else "-  ")
        lines.append(name.ljust(width) + "".join(cell.rjust(column) for cell in cells))
    lines.append("Overall".ljust(width)
                 + "".join(_cell(a.overall, whole_limit, whole=True, higher_is_easier=easy).rjust(column)
                           for a in report.scores))
    lines.append("Words".ljust(width) + "".join(f"{a.overall.words}  ".rjust(column) for a in report.scores))
    return lines


def _cell(found: Score, limit: float, whole: bool = False, higher_is_easier: bool = False) -> str:
    missed = found.grade < limit if higher_is_easier else found.grade > limit
    mark = "!" if missed and (whole or found.words >= MIN_WORDS_TO_GRADE) else " "
    return f"{found.grade:4.1f} / {found.ease:5.1f}{mark}"
