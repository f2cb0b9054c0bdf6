"""--patient-age and --patient-weight narrow a leaflet to one patient."""

from __future__ import annotations

import pytest

from conftest import build_leaflet
from leaflet.errors import LeafletError


def test_a_baby_of_nine_months_gets_only_eczema_and_the_syringe():
    text = build_leaflet("caregiver", patient_age=0.75).text
    assert "Eczema" in text
    assert "Asthma" not in text and "albuterol" not in text
    assert "eosinophilic esophagitis" not in text.lower()
    assert "Pre-filled syringe" in text
    assert "Pre-filled pen" not in text


def test_a_four_year_old_gets_eoe_and_the_pen_but_not_asthma():
    text = build_leaflet("caregiver", patient_age=4).text
    assert "eosinophilic esophagitis" in text.lower()
    assert "Pre-filled pen" in text
    assert "Asthma" not in text


def test_weight_below_a_uses_minimum_removes_that_use():
    light = build_leaflet("caregiver", patient_age=4, patient_weight=12).text
    assert "eosinophilic esophagitis" not in light.lower()
    heavy = build_leaflet("caregiver", patient_age=4, patient_weight=16).text
    assert "eosinophilic esophagitis" in heavy.lower()


def test_a_seven_year_old_gets_asthma_and_its_warning():
    text = build_leaflet("caregiver", patient_age=7).text
    assert "Asthma" in text and "albuterol" in text


@pytest.mark.parametrize(
    ("audience", "age", "message"),
    [
        ("adult", 5, "outside the adult audience"),
        ("caregiver", 12, "outside the caregiver audience"),
        ("adolescent", 18, "outside the adolescent audience"),
        ("caregiver", 0.25, "youngest age for any use is 0.5"),
        ("caregiver", -1, "not a possible age"),
    ],
)
def test_impossible_ages_are_clear_errors(audience, age, message):
    with pytest.raises(LeafletError, match=message):
        build_leaflet(audience, patient_age=age)


@pytest.mark.parametrize("weight", [0, -3, 5000, float("nan")])
def test_impossible_weights_are_clear_errors(weight):
    with pytest.raises(LeafletError, match="not a possible weight"):
        build_leaflet("adult", patient_weight=weight)


@pytest.mark.parametrize(
    ("audience", "age", "weight", "present", "absent"),
    [
        ("caregiver", 0.5, None, ["Eczema", "Pre-filled syringe"], ["Asthma", "esophagitis", "Pre-filled pen"]),
        ("caregiver", 0.99, 20, ["Eczema"], ["esophagitis"]),
        ("caregiver", 1, 15, ["Eczema", "esophagitis"], ["Asthma", "Pre-filled pen"]),
        ("caregiver", 1, 14.9, ["Eczema"], ["esophagitis"]),
        ("caregiver", 1.99, None, ["esophagitis"], ["Pre-filled pen", "which device"]),
        ("caregiver", 2, None, ["Pre-filled pen", "which device"], ["Asthma"]),
        ("caregiver", 5.99, None, ["Pre-filled pen"], ["Asthma"]),
        ("caregiver", 6, None, ["Asthma", "albuterol"], ["prurigo"]),
        ("caregiver", 11.99, None, ["Asthma", "adult caregiver"], ["supervision"]),
        ("adolescent", 12, None, ["supervision", "Asthma"], ["adult caregiver", "which device", "prurigo"]),
        ("adolescent", 17.99, None, ["supervision"], ["Nasal polyps", "prurigo"]),
        ("adult", 18, None, ["Prurigo nodularis", "Nasal polyps", "inject themselves at home"], ["supervision"]),
    ],
)
def test_age_and_weight_limits_at_their_boundaries(audience, age, weight, present, absent):
    text = build_leaflet(audience, patient_age=age, patient_weight=weight).text
    lowered = text.lower()
    for fact in present:
        assert fact.lower() in lowered, f"age {age}: {fact!r} missing"
    for fact in absent:
        assert fact.lower() not in lowered, f"age {age}: {fact!r} should not be there"
