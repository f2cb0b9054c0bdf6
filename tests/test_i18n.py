"""Interface text per language: catalogues validated like content, whole messages."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from leaflet import i18n
from leaflet.errors import LeafletError


@pytest.mark.parametrize("language", i18n.available())
def test_every_catalogue_loads_with_every_message(language):
    words = i18n.catalogue(language)
    assert set(i18n._messages(words)) == set(i18n._messages(i18n.catalogue("en")))


def test_dates_and_numbers_are_written_for_the_language():
    day = dt.date(2024, 2, 1)
    assert i18n.catalogue("en").date(day) == "1 February 2024"
    assert i18n.catalogue("es").date(day) == "1 de febrero de 2024"
    assert i18n.catalogue("es").number(0.75) == "0,75"
    assert i18n.catalogue("ar").number(12) == "12"  # Western digits, as Arabic pharmacy labels print


def test_a_region_falls_back_to_its_language():
    assert i18n.catalogue("es-MX").language == "es"


def test_an_unknown_language_is_one_clear_error():
    with pytest.raises(LeafletError, match=r"no interface text for language 'fr' \(available: ar, en, es\)"):
        i18n.catalogue("fr")


def test_a_catalogue_with_an_unknown_field_is_refused_with_its_line(tmp_path, monkeypatch):
    for path in i18n.CATALOGUE_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    text = (tmp_path / "es.yaml").read_text(encoding="utf-8")
    (tmp_path / "es.yaml").write_text(text.replace("Página {page} de {total}", "Página {pagina}"), encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOGUE_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    i18n._source_messages.cache_clear()
    try:
        with pytest.raises(LeafletError, match=r"es\.yaml:\d+: .*page_number: unknown field\(s\) pagina"):
            i18n.catalogue("es")
    finally:
        i18n.catalogue.cache_clear()
        i18n._source_messages.cache_clear()
