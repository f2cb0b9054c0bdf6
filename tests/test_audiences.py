"""Each audience's leaflet holds what applies to its reader, and nothing that doesn't."""

from __future__ import annotations

import pytest

from conftest import build_leaflet

ALWAYS = [
    "Dupixent",
    "dupilumab",
    "Regeneron",
    "March 2017",
    "steroid-free",
    "monoclonal antibody",
    "IL-4",
    "IL-13",
    "single use",
    "two pens or syringes",
    "under the skin",
    "Instructions for Use",
    "videos",
    "nurse or pharmacist",
    "exactly as",
    "not all the information",
    "Leigh Ann Anderson, PharmD",
    "1 February 2024",
    "Key points",
    "Questions?",
]


@pytest.mark.parametrize("audience", ["caregiver", "adolescent", "adult"])
def test_every_leaflet_has_the_general_facts_and_safety_lines(audience):
    text = build_leaflet(audience).text
    missing = [fact for fact in ALWAYS if fact not in text]
    assert not missing, f"{audience} leaflet lacks {missing}"


@pytest.mark.parametrize("audience", ["caregiver", "adolescent", "adult"])
def test_uses_open_to_children_and_adults_are_named_with_their_limits(audience):
    text = build_leaflet(audience).text
    for fact in ["Eczema", "atopic dermatitis", "6 months", "Asthma", "6 years", "albuterol",
                 "NOT treat an asthma attack", "eosinophilic esophagitis", "15 kg", "33 lb",
                 "200 mg or 300 mg", "100 mg, 200 mg or 300 mg"]:
        assert fact in text, f"{audience}: {fact!r} missing"


@pytest.mark.parametrize("audience", ["caregiver", "adolescent"])
def test_adult_only_uses_never_reach_children(audience):
    text = build_leaflet(audience).text.lower()
    for adult_only in ["prurigo", "nasal polyps", "rhinosinusitis", "nodules"]:
        assert adult_only not in text, f"{audience} leaflet names adult-only use {adult_only!r}"


def test_adult_leaflet_names_all_five_uses():
    text = build_leaflet("adult").text
    for use in ["Eczema", "Asthma", "nasal polyps", "eosinophilic esophagitis", "Prurigo nodularis"]:
        assert use.lower() in text.lower()


def test_caregiver_leaflet_speaks_to_the_parent():
    built = build_leaflet("caregiver")
    assert "For parents and caregivers of children under 12" in built.text
    assert "your child" in built.text.lower()
    assert "adult caregiver" in built.text
    # The source's tension is kept: pen from age 2, yet the syringe for under-12s.
    assert "2 years and older" in built.text and "syringe" in built.text
    assert "which device" in built.text


@pytest.mark.parametrize("audience", ["adolescent", "adult"])
def test_other_leaflets_say_you_not_your_child(audience):
    text = build_leaflet(audience).text.lower()
    assert "your child" not in text
    assert " you " in text


def test_adolescents_inject_under_adult_supervision():
    text = build_leaflet("adolescent").text
    assert "For young people aged 12 to 17" in text
    assert "supervision" in text
    assert "which device" not in text  # the under-12 device question is not theirs


def test_adult_leaflet_is_for_adults():
    text = build_leaflet("adult").text
    assert "For adults aged 18 and over" in text
    assert "supervision" not in text
    assert "caregiver using the" not in text


@pytest.mark.parametrize("audience", ["caregiver", "adolescent", "adult"])
def test_everyone_is_told_to_get_training_first(audience):
    assert "training" in build_leaflet(audience).text


@pytest.mark.parametrize("audience", ["caregiver", "adolescent", "adult"])
def test_every_fact_knows_where_in_the_content_file_it_comes_from(audience):
    from conftest import DUPIXENT
    from leaflet.build import Request, tailored
    from leaflet.load import load_yaml
    from leaflet.i18n import catalogue
    from leaflet.voice import speak
    from leaflet.tailor import reader_voice
    from leaflet.checked import load_content

    data = load_yaml(DUPIXENT).data
    leaflet = tailored(load_content(DUPIXENT), Request(DUPIXENT, audience))
    voice = reader_voice(catalogue(leaflet.language), leaflet.audience.speaks_to_parent)
    for fact in leaflet.facts:
        node = data
        for part in fact.origin:
            node = node[part]
        raw = node["text"] if isinstance(node, dict) else node
        spoken = speak(raw, leaflet.audience.speaks_to_parent, voice)
        assert " ".join(spoken.split()) == " ".join(fact.text.split()), fact.name
