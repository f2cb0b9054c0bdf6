"""Leaflets in the patient's language: content per language, review status, Spanish voice."""

from __future__ import annotations

import csv
import unicodedata
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import DUPIXENT, build_leaflet
from leaflet.build import Request, render_request
from leaflet.check import check_pdf
from leaflet.cli import cli
from leaflet.errors import LeafletError
from leaflet.lint import lint_file
from leaflet.tailor import make_reader, tailor
from leaflet.translation import content_for, source_version
from leaflet.checked import load_content

SPANISH = DUPIXENT.with_name("dupixent.es.yaml")
AUDIENCES = ["caregiver", "adolescent", "adult"]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_spanish_facts_read_back_per_audience(audience):
    content = load_content(SPANISH)
    built = build_leaflet(audience, content=SPANISH)
    leaflet = tailor(content, make_reader(audience))
    assert check_pdf(built.pdf, leaflet, content) == []
    text = built.text
    assert "Página 1 de 2" in text and "Última actualización: 1 de febrero de 2024" in text
    assert "Page 1 of" not in text and "Last updated" not in text
    assert str(built.reader.trailer["/Root"]["/Lang"]) == "es"


def test_spanish_voice_is_su_hijo_o_hija_for_caregivers_and_usted_for_others():
    caregiver = build_leaflet("caregiver", content=SPANISH).text
    adult = build_leaflet("adult", content=SPANISH).text
    assert "Para padres, madres y cuidadores de niños menores de 12 años" in caregiver
    assert "Use siempre Dupixent tal como lo recetó el médico de su hijo o hija." in caregiver
    assert "Use siempre Dupixent tal como lo recetó el médico." in adult
    assert "su hijo o hija" not in adult
    assert "Para adultos de 18 años o más" in adult
    # The caregiver's leaflet never speaks of the reader's own doctor, nor in English.
    assert "your" not in caregiver.lower().replace("yours", "")


def test_an_english_leaflet_prints_no_translation_notice_and_lang_en():
    built = build_leaflet("adult")
    assert "translation" not in built.text.lower()
    assert str(built.reader.trailer["/Root"]["/Lang"]) == "en"


def test_an_unreviewed_translation_says_so_on_every_leaflet():
    for audience in AUDIENCES:
        text = build_leaflet(audience, content=SPANISH).text
        assert "Esta traducción aún no ha sido revisada por un profesional cualificado." in text


def _reviewed_copy(tmp_path: Path) -> Path:
    data = yaml.safe_load(SPANISH.read_text(encoding="utf-8"))
    data["translation"]["review"] = {"status": "reviewed", "reviewer": "A. Pharmacist, PharmD",
                                     "date": "2026-11-20"}
    shutil.copy(DUPIXENT, tmp_path / "dupixent.yaml")
    path = tmp_path / "dupixent.es.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_strict_build_refuses_an_unreviewed_translation_and_accepts_a_reviewed_one(cli_runner, tmp_path):
    out = tmp_path / "es.pdf"
    refused = cli_runner.invoke(cli, ["build", str(DUPIXENT), "-a", "adult", "--language", "es", "--strict",
                                      "-o", str(out)])
    assert refused.exit_code == 2 and not out.exists()  # bad input, as for any LeafletError
    assert "translation into 'es' not yet reviewed by a qualified person" in refused.output
    reviewed = _reviewed_copy(tmp_path)
    accepted = cli_runner.invoke(cli, ["build", str(tmp_path / "dupixent.yaml"), "-a", "adult", "-l", "es",
                                       "--strict", "-o", str(out)])
    assert accepted.exit_code == 0, accepted.output
    assert "no ha sido revisada" not in build_leaflet("adult", content=reviewed).text


def test_a_reviewed_translation_must_name_its_reviewer(tmp_path):
    data = yaml.safe_load(SPANISH.read_text(encoding="utf-8"))
    data["translation"]["review"] = {"status": "reviewed"}
    path = tmp_path / "dupixent.es.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LeafletError, match="names its reviewer"):
        load_content(path)


def test_batch_language_column_and_strict(cli_runner, tmp_path):
    manifest = tmp_path / "night.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["content", "audience", "language", "patient_name", "output"])
        writer.writerow([str(DUPIXENT), "adult", "es", "Lucía Pérez", "es.pdf"])
        writer.writerow([str(DUPIXENT), "adult", "", "Zoë Martin", "en.pdf"])
        writer.writerow([str(DUPIXENT), "adult", "fr", "Jean Dupont", "fr.pdf"])
    out = tmp_path / "out"
    result = cli_runner.invoke(cli, ["batch", str(manifest), "--out-dir", str(out), "--jobs", "1"])
    assert result.exit_code == 1
    assert "row 4: language 'fr'" in result.output and "available: ar, en, es" in result.output
    from pypdf import PdfReader
    spanish = " ".join(page.extract_text() for page in PdfReader(out / "es.pdf").pages)
    assert "Preparado para Lucía Pérez" in spanish
    strict = cli_runner.invoke(cli, ["batch", str(manifest), "--out-dir", str(tmp_path / "strict"), "--jobs", "1",
                                     "--strict"])
    assert "row 2: content: " in strict.output and "not yet reviewed" in strict.output
    assert (tmp_path / "strict" / "en.pdf").exists() and not (tmp_path / "strict" / "es.pdf").exists()


def test_language_picks_the_file_beside_the_content():
    assert content_for(DUPIXENT, "es") == SPANISH
    assert content_for(SPANISH, "en") == DUPIXENT
    assert content_for(DUPIXENT, None) == DUPIXENT
    with pytest.raises(LeafletError, match=r"no content in language 'de': dupixent\.de\.yaml not found"):
        content_for(DUPIXENT, "de")


def test_check_reads_a_spanish_leaflet_back_by_language(cli_runner, tmp_path):
    out = tmp_path / "es-adult.pdf"
    out.write_bytes(render_request(Request(SPANISH, "adult")).pdf)
    result = cli_runner.invoke(cli, ["check", str(out), "-c", str(DUPIXENT), "-l", "es", "-a", "adult"])
    assert result.exit_code == 0, result.output
    wrong = cli_runner.invoke(cli, ["check", str(out), "-c", str(DUPIXENT), "-a", "adult"])
    assert wrong.exit_code == 1  # the English lines are missing from a Spanish leaflet


def test_the_translation_names_the_current_version_of_its_source():
    translation = load_content(SPANISH).translation
    assert translation.source_file == DUPIXENT.name
    assert translation.source_version == source_version(DUPIXENT), "dupixent.yaml changed: update the translation"


def test_spanish_lint_uses_spanish_formulas_and_targets(tmp_path):
    report = lint_file(SPANISH, today=__import__("datetime").date(2024, 6, 1))
    assert report.passed, [str(f) for f in report.findings]
    assert report.formulas.names == ("Fernández-Huerta", "Szigriszt-Pazos")
    assert all(scores.overall.grade >= 70 for scores in report.scores)
    hard = SPANISH.read_text(encoding="utf-8").replace(
        "Regeneron fabrica Dupixent.",
        " ".join(["La administración subcutánea periódica proporciona inmunomodulación terapéutica "
                  "considerablemente prolongada mediante inhibición farmacológica selectiva."] * 4))
    (tmp_path / "dupixent.es.yaml").write_text(hard, encoding="utf-8")
    findings = lint_file(tmp_path / "dupixent.es.yaml", today=__import__("datetime").date(2024, 6, 1)).findings
    assert any(f.code == "section-grade" and "Fernández-Huerta reading ease" in f.message for f in findings)


# --- Arabic: right to left ---------------------------------------------------------------

ARABIC = DUPIXENT.with_name("dupixent.ar.yaml")


def _boxes(pdf: bytes, page: int = 1) -> list[tuple[float, float, str]]:
    """(x, y, word) of each word poppler finds on a page: where it is drawn."""
    import re
    import subprocess
    from html import unescape

    out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), "-", "-"], input=pdf,
                         capture_output=True, check=True).stdout.decode()
    return [(float(x), float(y), unescape(w)) for x, y, w in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', out)]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_arabic_facts_read_back_per_audience(audience):
    content = load_content(ARABIC)
    built = build_leaflet(audience, content=ARABIC)
    assert check_pdf(built.pdf, tailor(content, make_reader(audience)), content) == []
    assert str(built.reader.trailer["/Root"]["/Lang"]) == "ar"


def test_arabic_check_catches_another_audiences_leaflet():
    content = load_content(ARABIC)
    adult_pdf = build_leaflet("adult", content=ARABIC).pdf
    misses = check_pdf(adult_pdf, tailor(content, make_reader("caregiver")), content)
    assert any(m.kind == "missing" and m.name == "audience-label" for m in misses)
    assert any(m.kind == "unexpected" for m in misses)


def test_arabic_text_is_right_aligned_and_shaped():
    built = build_leaflet("adult", content=ARABIC)
    boxes = _boxes(built.pdf)
    # Body lines start at the right margin: the first word of the "What is" section,
    # "تصنع" (drawn right to left, so read back reversed), is the rightmost on its line.
    first = next((x, y) for x, y, w in boxes if unicodedata.normalize("NFKC", w)[::-1] == "تصنع")
    line = [x for x, y, _ in boxes if abs(y - first[1]) < 4]
    assert first[0] == max(line)
    # Joined letters: Arabic presentation forms, not bare letters side by side.
    assert any("\ufe70" <= c <= "\ufeff" for _, _, w in boxes for c in w)
    # Numbers keep their digits in order, Latin brand names read left to right.
    words = [w for _, _, w in boxes]
    assert "Dupixent" in words and any("2017" in w for w in words)


def test_arabic_table_columns_are_mirrored():
    built = build_leaflet("adult", content=ARABIC)
    boxes = _boxes(built.pdf, 2) + _boxes(built.pdf, 1)
    x_of = {unicodedata.normalize("NFKC", w)[::-1]: x for x, _, w in boxes}
    # The columns are Device, Doses, For: on a right-to-left page Device is on the right.
    assert x_of["الجهاز"] > x_of["الجرعات"] > x_of["لمن"]
    english = _boxes(build_leaflet("adult").pdf, 1) + _boxes(build_leaflet("adult").pdf, 2)
    x_en = {w: x for x, _, w in english}
    assert x_en["Device"] < x_en["Doses"] < x_en["For"]


def test_arabic_lists_have_their_bullets_on_the_right():
    boxes = _boxes(build_leaflet("adult", content=ARABIC).pdf)
    bullets = [x for x, _, w in boxes if w == "\u2022"]
    text = [x for x, _, w in boxes if w != "\u2022"]
    assert bullets and min(bullets) > sorted(text)[len(text) // 2]  # right of most of the text


def test_the_arabic_translation_is_marked_not_reviewed_on_the_page():
    from leaflet.check import _words, visible_text
    from leaflet.i18n import catalogue

    assert load_content(ARABIC).translation.review.status == "not-reviewed"
    built = build_leaflet("adult", content=ARABIC)
    assert _words(catalogue("ar").not_reviewed) <= _words(visible_text(built.pdf, "Dupixent (dupilumab)", "ar"))


def test_lint_splits_arabic_and_spanish_sentences():
    from leaflet.lint import sentences

    assert len(sentences("يحجب Dupixent هذا المستقبِل. يحجب إشارات IL-4 عبر المستقبِل.")) == 2
    assert len(sentences("Lea la información. ¿Tiene preguntas? Hable con el médico.")) == 3
    report = lint_file(ARABIC, today=__import__("datetime").date(2024, 6, 1))
    assert report.passed and report.scores == ()  # no Arabic formula with a documented target


def test_notes_the_model_adds_are_in_the_leaflets_language_and_voice():
    adult = render_request(Request(SPANISH, "adult", uses=("asthma",)))
    caregiver = render_request(Request(SPANISH, "caregiver", uses=("asthma",)))
    from conftest import pdf_text

    assert "Este folleto nombra solo los usos para los que se recetó el medicamento." in pdf_text(adult.pdf)
    assert ("Este folleto nombra solo los usos para los que se recetó el medicamento de su hijo o hija."
            in pdf_text(caregiver.pdf))


def test_lint_warns_when_the_translated_file_changed(tmp_path):
    shutil.copy(SPANISH, tmp_path / SPANISH.name)
    (tmp_path / DUPIXENT.name).write_text(DUPIXENT.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    findings = lint_file(tmp_path / SPANISH.name, today=__import__("datetime").date(2024, 6, 1)).findings
    stale = [f for f in findings if f.code == "stale-translation"]
    assert len(stale) == 1 and "dupixent.yaml changed since this translation" in stale[0].message
    assert stale[0].line == SPANISH.read_text(encoding="utf-8").splitlines().index(
        next(l for l in SPANISH.read_text(encoding="utf-8").splitlines() if "source_version:" in l)) + 1


def test_a_latin_name_on_an_arabic_page_keeps_the_line_in_order():
    from leaflet.layout import Personal

    built = build_leaflet("adult", content=ARABIC, personal=Personal("Zoë Martin", "High Street Pharmacy",
                                                                      "01632 960 000"))
    x = {w: x for x, _, w in _boxes(built.pdf)}
    assert x["Zoë"] < x["Martin"]  # left to right, as written, inside the Arabic line


# --- Arabic: English values inside Arabic sentences (Unicode isolates) --------------------

ISOLATE_CHARS = "\u2066\u2067\u2068\u2069"


def _footer_words(pdf: bytes, page: int) -> list[tuple[float, float, str]]:
    """(y, x, word) of the footer's words: those below the page's last rule, lowest lines."""
    boxes = _boxes(pdf, page)
    bottom = max(y for _, y, _ in boxes)
    return sorted((y, x, w) for x, y, w in boxes if y > bottom - 40)


@pytest.mark.parametrize("audience", AUDIENCES)
def test_an_english_source_title_in_the_arabic_footer_keeps_its_own_question_mark(audience):
    """'المصدر: What is Dupixent used for and how does it work?': the "?" is the title's, so
    it stays after "work" (it was drawn "?work", as if it ended the Arabic sentence)."""
    built = build_leaflet(audience, content=ARABIC)
    # pypdf reads the title back whole, its "?" after "work", on every page.
    assert built.text.count("how does it work?") == built.pages and "?work" not in built.text
    for page in range(1, built.pages + 1):
        words = [w for _, _, w in _footer_words(built.pdf, page)]
        assert "work?" in words and "?work" not in words, words
        # The title's words read left to right, as written, inside the Arabic line.
        title = [w for w in words if w in ("What", "is", "Dupixent", "used", "for", "and", "how", "does", "it", "work?")]
        assert " ".join(title) == "What is Dupixent used for and how does it work?"


@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_full_stop_after_an_english_name_ends_the_arabic_sentence_left_of_the_whole_name(audience):
    """'راجعه Leigh Ann Anderson, PharmD.': the stop ends the Arabic sentence, so it is drawn
    left of the English name on its line (".Anderson, PharmD"), not inside it ("Anderson, .PharmD")."""
    built = build_leaflet(audience, content=ARABIC)
    footer = _footer_words(built.pdf, 1)
    name = [(y, x, w) for y, x, w in footer if w.strip(".,") in ("Leigh", "Ann", "Anderson", "PharmD")]
    assert [w for _, _, w in name if "PharmD" in w] == ["PharmD"]
    line_of_pharmd = next(y for y, _, w in name if w == "PharmD")
    on_line = sorted((x, w) for y, x, w in name if abs(y - line_of_pharmd) < 4)
    assert on_line[0][1].startswith(".") and not any(w.startswith(".") for _, w in on_line[1:])


def test_a_stop_after_one_latin_word_still_ends_the_arabic_sentence():
    """Unchanged: "في مارس 2017." is drawn with the stop at the left of 2017."""
    words = [w for _, _, w in _boxes(build_leaflet("adult", content=ARABIC).pdf)]
    assert ".2017" in words and "2017." not in words


def test_isolate_characters_are_never_drawn_nor_read_back():
    from leaflet.layout import Personal

    built = build_leaflet("adult", content=ARABIC, personal=Personal("Zoë Martin", "High Street Pharmacy"))
    assert not any(c in built.text for c in ISOLATE_CHARS)
    assert not any(c in w for _, _, w in _boxes(built.pdf, 2) for c in ISOLATE_CHARS)
    assert not any(c in str(built.reader.metadata.get("/Subject", "")) for c in ISOLATE_CHARS)
    assert "work?" in str(built.reader.metadata.get("/Subject", ""))


BIDI_CASES = [
    "راجعه \u2068Leigh Ann Anderson, PharmD\u2069. آخر تحديث",
    "المصدر: \u2068What is Dupixent used for and how does it work?\u2069 راجعه \u2068Leigh\u2069.",
    "المصدر الرئيسي: \u2068Title: part 2\u2069 - \u2068Drugs.com\u2069, \u2068https://example.org/a\u2069.",
    "Source: \u2068دليل الدواء 2\u2069 from \u2068NHS\u2069.",
    "\u2067RTL isolate\u2069 في \u2066an LTR one: 300 mg\u2069 نعم",
    "Anderson, PharmD\u2069. آخر تحديث: 1 فبراير 2024.",  # a line inside an isolate begun on the line before
]


@pytest.mark.parametrize("text", BIDI_CASES, ids=[f"case{n}" for n in range(len(BIDI_CASES))])
@pytest.mark.parametrize("base", ["RTL", "LTR"])
def test_visual_order_with_isolates_matches_python_bidis_rust_implementation(text, base):
    """rtl.log2vis (python-bidi's Python algorithm, which has no isolates, plus leaflet's
    handling of them) orders text as the Rust unicode-bidi crate python-bidi ships does;
    the positions it reports map each visual character back to its logical one."""
    import bidi

    from leaflet import rtl

    positions: list[int] = []
    shown = rtl.log2vis(text, base, positions_V_to_L=positions)
    if text.startswith("Anderson"):  # the Rust crate sees one line: give it the opener
        expected = rtl.plain(bidi.get_display("\u2068" + text, base_dir=base[0]))
    else:
        expected = rtl.plain(bidi.get_display(text, base_dir=base[0]))
    assert shown == expected
    assert "".join(text[i] for i in positions) == shown


def _lines(pdf: bytes, page: int) -> list[list[str]]:
    """The words of each line poppler finds on a page (pdftotext -bbox-layout)."""
    import re
    import subprocess
    from html import unescape

    out = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), "-", "-"], input=pdf,
                         capture_output=True, check=True).stdout.decode()
    return [[unescape(word) for word in re.findall(r"<word [^>]*>([^<]*)</word>", line)]
            for line in re.findall(r"<line [^>]*>(.*?)</line>", out, re.S)]


@pytest.mark.parametrize("audience, page, last, before_it", [
    ("adult", 1, ".II", "IL-13و"),           # "ويحجب إشارات IL-4 وIL-13 عبر المستقبِل من النوع II."
    ("caregiver", 2, ".ﱃوﻷا", "ﺔﻋﺮﺠﻟا"),      # "... وحقنه قبل الجرعة الأولى."
], ids=["adult-type-II", "caregiver-first-dose"])
def test_a_paragraphs_last_word_stays_on_its_last_line(audience, page, last, before_it):
    """Words are put in visual order after line breaking; the line after is then led by its
    leftmost word, the paragraph's last, which a greedy second breaking once pulled up
    onto the line above when it fitted there ("II." left of line 2, not after "النوع")."""
    lines = _lines(build_leaflet(audience, content=ARABIC).pdf, page)
    holding = [line for line in lines if last in line]
    assert holding and all(before_it in line for line in holding), holding


def _arabic_with_a_second_source(tmp_path):
    """The Arabic leaflet citing a second source, with a publisher and an address: its
    Sources section lists both, English titles inside Arabic sentences."""
    shutil.copy(DUPIXENT, tmp_path / DUPIXENT.name)
    text = ARABIC.read_text(encoding="utf-8")
    text = text.replace("sources:\n  - title: What is", "sources:\n  - id: main\n    title: What is", 1)
    text = text.replace("    date: 2024-02-01\n", "    date: 2024-02-01\n"
                        "  - id: label\n    title: \"Dupixent: prescribing information\"\n"
                        "    publisher: Regeneron Pharmaceuticals\n"
                        "    url: https://www.regeneron.com/downloads/dupixent_fpi.pdf\n    date: 2024-01\n", 1)
    first_line = "      text: Dupixent (دوبيلوماب) حقنة تُعطى تحت الجلد. يخفف التورم الذي قد يسبب الأعراض.\n"
    assert first_line in text
    text = text.replace(first_line, first_line + "      source: label\n", 1)
    path = tmp_path / ARABIC.name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_arabic_sources_section_with_an_address_builds_and_orders_its_punctuation(tmp_path):
    """It used to stop with a traceback (ReportLab could not sort a link's callbacks and the
    full stop after the address). Now: the publisher's brackets and the comma after them
    read as in an Arabic sentence (",(Regeneron Pharmaceuticals)"), and the stop after the
    address ends the sentence, left of it; pdfua and outloud find nothing."""
    import outloud
    import pdfua

    path = _arabic_with_a_second_source(tmp_path)
    pdf = render_request(Request(path, "adult")).pdf
    lines = [line for page in (1, 2) for line in _lines(pdf, page)]
    publisher = next(line for line in lines if any("Pharmaceuticals" in word for word in line))
    start = next(i for i, word in enumerate(publisher) if "Pharmaceuticals" in word) - 1
    assert publisher[start:start + 2] == [",(Regeneron", "Pharmaceuticals)"], publisher
    assert any(word == ".https://www.regeneron.com/downloads/dupixent_fpi.pdf" for line in lines for word in line)
    out = tmp_path / "leaflet.pdf"
    out.write_bytes(pdf)
    assert [(f.rule_id, f.message) for f in pdfua.validate(str(out)).findings] == []
    result = outloud.check(str(out))
    assert [(f.rule, f.message) for f in result.findings if f.severity in ("error", "warning")] == []


@pytest.mark.parametrize("pharmacy", ["High Street Pharmacy", "صيدلية النور"], ids=["latin-pharmacy", "arabic-pharmacy"])
def test_a_pharmacy_phone_number_on_an_arabic_page_keeps_its_groups_in_order(pharmacy):
    """"صيدليتك: High Street Pharmacy, 01632 960 000": each field is an isolate, so the
    phone number is not read as three numbers in a right-to-left sentence (it printed
    "000 960 01632"), and a name keeps its own full stops ("Dr. Zoë M.", not ".Dr")."""
    from leaflet.layout import Personal

    built = build_leaflet("adult", content=ARABIC, personal=Personal("Dr. Zoë M.", pharmacy, "01632 960 000"))
    footer = _footer_words(built.pdf, 1)
    phone = [w for _, w in sorted((x, w) for _, x, w in footer if w in ("01632", "960", "000"))]
    assert phone == ["01632", "960", "000"]
    # The phone number, the last field, is drawn left of the pharmacy's name.
    x = {w: x for _, x, w in footer}
    assert x["000"] < min(x[w] for w in x if "Pharmacy" in w or "ﺔﻴﻟﺪﻴﺻ" in w or "رﻮﻨﻟا" in w)
    name = [w for x, _, w in sorted(_boxes(built.pdf)) if w.strip(".") in ("Dr", "Zoë", "M")]
    assert name == ["Dr.", "Zoë", "M."]
