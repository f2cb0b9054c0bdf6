"""Grammar for every reader: {caregiver|others} choices, and validate refusing bad renderings."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, build_leaflet

from leaflet.cli import cli
from leaflet.errors import LeafletError
from leaflet.grammar import problems_in
from leaflet.voice import speak
from leaflet.checked import load_content

GRAMMAR = FIXTURES / "grammar"

#: Each failing fixture, the line it fails at, and what the message quotes.
FAILING = {
    "child-have.yaml": (9, 'reads "your child have" in the caregiver leaflet', "{you} {has|have}"),
    "child-are.yaml": (9, 'reads "your child are"', "{you} {is|are}"),
    "child-feel.yaml": (9, 'reads "your child feel"', "{you} {feels|feel}"),
    "you-or-a-caregiver.yaml": (9, 'reads "you or a caregiver" in the caregiver leaflet', "{You|You or a caregiver}"),
    "yourself.yaml": (9, 'reads "yourself" in a sentence about "your child"', "{themselves|yourself}"),
    "you-has.yaml": (9, 'reads "you has" in the adolescent and adult leaflets', "{you} {has|have}"),
    "heading-child-take.yaml": (7, 'before.heading: reads "your child take"', "{you} {takes|take}"),
    "parent-takes.yaml": (9, 'reads "Take it" in the caregiver leaflet, whose reader gives the medicine',
                          "{Give|Take}"),
}


@pytest.mark.parametrize("name", sorted(FAILING))
def test_validate_refuses_each_ungrammatical_rendering_at_its_line(name, cli_runner):
    line, quoted, fix = FAILING[name]
    result = cli_runner.invoke(cli, ["validate", str(GRAMMAR / name)])
    assert result.exit_code == 2  # bad input, as for every validate problem
    assert result.output.startswith(f"{GRAMMAR / name}:{line}: ")
    assert quoted in result.output and fix in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_every_failing_fixture_is_tested():
    assert sorted(p.name for p in GRAMMAR.glob("*.yaml")) == sorted(FAILING)


@pytest.mark.parametrize("name, bad, good", [
    ("child-have.yaml", "If {you} have", "If {you} {has|have}"),
    ("child-are.yaml", '"{You} are not alone."', '"{You} {is|are} not alone."'),
    ("child-feel.yaml", "if {you} feel better", "if {you} {feels|feel} better"),
    ("you-or-a-caregiver.yaml", "that you or a caregiver can", "that {you|you or a caregiver} can"),
    ("yourself.yaml", "inject yourself", "inject {themselves|yourself}"),
    ("you-has.yaml", "{you} has", "{you} {has|have}"),
    ("heading-child-take.yaml", "{take|give}", "{takes|take}"),
    ("parent-takes.yaml", "Take it with food.", '"{Give|Take} it with food."'),
])
def test_the_suggested_choice_fixes_each(name, bad, good, tmp_path):
    fixed = tmp_path / name
    text = (GRAMMAR / name).read_text()
    assert bad in text
    fixed.write_text(text.replace(bad, good))
    load_content(fixed)  # no LeafletError


@pytest.mark.parametrize("text, parent, others", [
    ("If {you} {has|have} a rash", "If your child has a rash", "If you have a rash"),
    ("How to {give|take} it", "How to give it", "How to take it"),
    ("{Your} doctor", "Your child's doctor", "Your doctor"),
    ("A brace {{like this}} and take{s|}", "A brace {like this} and takes", "A brace {like this} and take"),
])
def test_choices_and_placeholders_speak_in_each_voice(text, parent, others):
    assert speak(text, True) == parent
    assert speak(text, False) == others


@pytest.mark.parametrize("text, parent, fragment", [
    ("Ask you's doctor.", False, "you's"), ("Ask your child's's doctor.", True, "'s's"),
])
def test_a_doubled_possessive_is_flagged(text, parent, fragment):
    assert [f'reads "{fragment}"' in problem for problem in problems_in(text, parent)] == [True]


@pytest.mark.parametrize("text", [
    "Let your child take it.", "Help your child feel calm.", "Does your child have a rash?",
    "Should your child stop?", "Your child has a rash.", "Your child's doctor knows.", "Your child doesn't need it.",
])
def test_right_base_forms_after_your_child_are_not_flagged(text):
    assert problems_in(text, True) == []


@pytest.mark.parametrize("bad", ["{you} {has|have|had}", "{has|}x{", "{what}"])
def test_a_malformed_choice_is_a_validate_error(bad, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text((GRAMMAR / "child-have.yaml").read_text().replace("If {you} have", f"If {bad}"))
    with pytest.raises(LeafletError, match=r"bad.yaml:9: questions.lines.0: "):
        load_content(path)


def test_the_caregiver_gives_and_the_others_take():
    testamol = FIXTURES / "schema2" / "testamol.yaml"
    assert "How to give Testamol Give it with food." in build_leaflet("caregiver", testamol).text
    assert "How to take Testamol Take it with food." in build_leaflet("adolescent", testamol).text
    assert "If your child misses a dose" in build_leaflet("caregiver", testamol).text
    assert "If you miss a dose" in build_leaflet("adult", testamol).text
