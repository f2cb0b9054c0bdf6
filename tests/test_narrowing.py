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
