"""Attacks on an assessment scheme's numbers: out-of-bounds values are located rule-file errors,
never a crash when a period is read (a base of 1e400 used to raise decimal.InvalidOperation)."""

from __future__ import annotations

import pytest

import gridpoints as gp
from gridpoints.rules.toml_file import parse_rules

HEAD = '''id = "big"
[[versions]]
version = "1"
effective_from = 2000-01-01
'''
RULE = '''[[versions.rules]]
kind = "patrol"
points = 5
'''
SECTION = '''[[versions.sections]]
id = "a"
label = "A"
'''


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("[versions.assessment]\nbase = 1e400\n" + RULE, "versions[1].assessment.base"),
        (SECTION + "max = 1e400\n" + RULE, "versions[1].sections[1].max"),
        (SECTION + "min = -1e30\n" + RULE, "versions[1].sections[1].min"),
        (SECTION + "base = 1e30\n" + RULE, "versions[1].sections[1].base"),
        (SECTION + "weight = 1e300\n" + RULE, "versions[1].sections[1].weight"),
        (RULE + "limit = { day = 1e400 }\n", "versions[1].rules[1].limit"),
        (RULE + "quantity = { max = 1e400 }\n", "versions[1].rules[1].quantity"),
        (RULE + '[[versions.tallies]]\nid = "t"\nkinds = ["patrol"]\npoints = 1e30\n', "versions[1].tallies[1].points"),
        (RULE + '[[versions.grades]]\ncode = "a"\nlabel = "甲"\nmin = 1e30\n'
         '[[versions.grades]]\ncode = "b"\nlabel = "乙"\n', "versions[1].grades[1].min"),
        ('[versions.assessment]\nperiod = "half"\nyear = [1e300, -1e300]\n' + RULE, "versions[1].assessment"),
    ],
)
def test_a_scheme_number_beyond_its_bound_is_a_located_rule_file_error(body: str, key: str) -> None:
    with pytest.raises(gp.RuleFileError, match="bound") as caught:
        parse_rules(HEAD + body, "r.toml")
    assert str(caught.value).startswith("r.toml:") and key in str(caught.value)


def test_the_python_api_refuses_the_same_numbers() -> None:
    with pytest.raises(ValueError, match="bound"):
        gp.Section("a", "A", max="1e400")
    with pytest.raises(ValueError, match="bound"):
        gp.Assessment(base="1e30")
    with pytest.raises(ValueError, match="bound"):
        gp.Tally("t", ["patrol"], points="1e30")
