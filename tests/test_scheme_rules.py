"""Assessment schemes as data: the rule keys and types, grades as values, every located error."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import gridpoints as gp
from gridpoints.plugins.grades import grade_by_thresholds
from tests.conftest import NOW, xiao_li_month
from tests.test_toml_rules import error_of

RULES = Path(__file__).resolve().parent.parent / "examples" / "rules"
HEAD = 'id = "x"\nversion = "1"\neffective_from = 2026-01-01\n'
RULE = '\n[[rules]]\nkind = "a"\npoints = -2\n'


# -- grades are values ------------------------------------------------------------------------------


def test_a_grade_is_a_value_and_the_builtins_keep_their_names() -> None:
    good = gp.Grade("good", "良好", "good", band=1)
    assert (good.value, good.label("zh"), good.label("en"), good.band) == ("good", "良好", "good", 1)
    assert gp.Grade("basic", "基本合格").label("en") == "basic"  # no English label: the code
    assert gp.Grade("excellent", "优秀", "excellent", 0) == gp.Grade.EXCELLENT
    assert gp.Grade("excellent", "优秀", "excellent", 0).interned() is gp.Grade.EXCELLENT
    assert gp.Grade.builtin("qualified") is gp.Grade.QUALIFIED and len({*gp.Grade, good}) == 4
    with pytest.raises(ValueError, match="code: 'Good' is not a grade code"):
        gp.Grade("Good", "良好")
    with pytest.raises(ValueError, match="label_zh: '' is not a non-empty label"):
        gp.Grade("good", "")
    with pytest.raises(ValueError, match="grade: 'good' is not a built-in grade"):
        gp.Grade.builtin("good")


def test_bands_grade_highest_first_and_the_last_band_takes_the_rest() -> None:
    bands = [gp.GradeBand("excellent", "优秀", label_en="excellent", min=95), gp.GradeBand("good", "良好", min=85),
             gp.GradeBand("basic", "基本合格", label_en="basically qualified", min=60), gp.GradeBand("fail", "不合格")]
    ruleset = gp.RuleSet("x", "1", "2026-01-01", [gp.Rule("a", 1)], grades=bands)
    codes = [grade_by_thresholds(Decimal(s), ruleset).code for s in ("95", "94.99", "85", "60", "59.99", "-5")]
    assert codes == ["excellent", "good", "good", "basic", "fail", "fail"]
    assert [g.band for g in ruleset.scale] == [0, 1, 2, 3]
    # The band named like a built-in, with the built-in's labels and place, is the built-in.
    assert ruleset.scale[0] is gp.Grade.EXCELLENT and ruleset.scale[2].label("en") == "basically qualified"


def test_a_plugin_may_return_any_grade() -> None:
    probation = gp.Grade("probation", "试用期", "on probation", band=3)

    class Probation:
        @gp.hookimpl
        def gridpoints_grade(self, score: Decimal) -> gp.Grade | None:
            return probation if score < 10 else None

    engine = gp.Engine(plugins=[Probation()], load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member("M1", "urban"), gp.Member("M2", "urban")])
    engine.ingest(xiao_li_month("M1"))
    report = engine.report("2026-11")
    assert (report.row("M2").grade, report.row("M1").grade) == (probation, gp.Grade.EXCELLENT)
    assert report.summary().grades[probation] == 1 and report.summary().grades[gp.Grade.UNQUALIFIED] == 0


# -- rule sets without a scheme are unchanged ---------------------------------------------------------


def test_a_rule_set_without_scheme_keys_digests_as_before() -> None:
    standard = gp.standard_ruleset()
    assert not standard.is_scheme and standard.scale == tuple(gp.Grade)
    # The digest document gains scheme keys only when they are given.
    assert standard.digest() == "e9cae5fe6739" + standard.digest()[12:]
    assert gp.Rule("a", 1).key() == {"id": None, "kind": "a", "points": "1", "when": [], "cap": None}


@pytest.mark.parametrize(
    "change",
    [
        {"assessment": {"period": "quarter"}},
        {"assessment": {"base": 60}},
        {"sections": [{"id": "s", "label": "S", "max": 10}]},
        {"tallies": [{"id": "t", "kinds": ["a"], "points": 1}]},
        {"grades": [{"code": "a", "label": "A", "min": 1}, {"code": "b", "label": "B"}]},
    ],
)
def test_every_scheme_key_changes_the_digest(change: dict[str, object]) -> None:
    base = gp.RuleSet("x", "1", "2026-01-01", [gp.Rule("a", 1)])
    changed = gp.RuleSet("x", "1", "2026-01-01", [gp.Rule("a", 1)], **change)  # type: ignore[arg-type]
    assert changed.digest() != base.digest()


@pytest.mark.parametrize(
    "rule", [gp.Rule("a", 1, limit={"day": 2}), gp.Rule("a", 1, quantity={"max": 9}), gp.Rule("a", 1, veto=True)]
)
def test_every_rule_key_changes_the_digest(rule: gp.Rule) -> None:
    base = gp.RuleSet("x", "1", "2026-01-01", [gp.Rule("a", 1)])
    assert attrs.evolve(base, rules=[rule]).digest() != base.digest()


def test_what_makes_a_scheme() -> None:
    plain = gp.RuleSet("x", "1", "2026-01-01", [gp.Rule("a", 1, limit={"day": 2}, quantity={"max": 9})])
    assert not plain.is_scheme  # per-event keys need no derivation
    assert attrs.evolve(plain, rules=[gp.Rule("a", 0, veto=True)]).is_scheme
    assert attrs.evolve(plain, assessment=gp.Assessment(min_months_in_post=3)).is_scheme
    bands = attrs.evolve(plain, grades=[gp.GradeBand("a", "A", min=1), gp.GradeBand("b", "B")])
    assert not bands.is_scheme and bands.scale[1].code == "b"  # bands alone: graded, summed as before


# -- the Python API mirrors the file --------------------------------------------------------------------


def test_the_python_api_builds_what_the_file_says() -> None:
    (from_file,) = gp.load_rules(RULES / "county-halfyear.toml")
    python = gp.RuleSet(
        "county-halfyear", "2026.1", "2026-01-01",
        [gp.Rule("missed_report", -10, label="漏报", label_en="missed report", section="basic"),
         gp.Rule("late_report", -5, label="迟报", label_en="late report", section="basic"),
         gp.Rule("quality_mark", 1, label="服务质量评分", label_en="service quality mark", section="quality",
                 quantity=gp.QuantityBounds(max=100)),
         gp.Rule("survey_mark", 1, label="满意度测评得分", label_en="satisfaction survey mark",
                 section="satisfaction", quantity={"max": 100})],
        assessment=gp.Assessment(period="half", year=["0.4", "0.6"]),
        sections=[gp.Section("basic", "基础工作", label_en="basic work", base=100, min=0, max=100, weight="0.4"),
                  {"id": "quality", "label": "服务质量", "label_en": "service quality", "min": 0, "max": 100,
                   "weight": "0.3"},
                  gp.Section("satisfaction", "群众满意度", label_en="resident satisfaction", min=0, max=100,
                             weight="0.3")],
        grades=[gp.GradeBand("excellent", "优秀", label_en="excellent", min=90),
                gp.GradeBand("good", "良好", label_en="good", min=80),
                gp.GradeBand("qualified", "合格", label_en="qualified", min=60),
                gp.GradeBand("unqualified", "不合格", label_en="unqualified")],
        label="某县网格员半年考核",
    )  # fmt: skip
    assert python == from_file and python.digest() == from_file.digest()


def test_limits_and_bounds_normalise() -> None:
    assert gp.Rule("a", 1, limit={"month": 3}).limit == gp.Limit(3, "month")
    assert gp.Rule("a", 1, limit={"units": "1.5", "per": "period"}).limit == gp.Limit(Decimal("1.5"), "period")
    assert gp.QuantityBounds(min=1).problem(Decimal("0.5")) == "0.5 is below the minimum 1"
    assert gp.QuantityBounds(max=100).problem(100) is None
    with pytest.raises(ValueError, match="limit: unknown scope 'week'"):
        gp.Rule("a", 1, limit={"week": 2})
    with pytest.raises(ValueError, match="quantity: give min, max or both"):
        gp.QuantityBounds()
    with pytest.raises(TypeError, match="veto: 'yes' is not true or false"):
        gp.Rule("a", 1, veto="yes")  # type: ignore[arg-type]


# -- every mistake in a file is located -----------------------------------------------------------------

SECTION = '[[sections]]\nid = "info"\nlabel = "信息"\n'
BANDS = '[[grades]]\ncode = "{a}"\nlabel = "A"\nmin = {m}\n[[grades]]\ncode = "{b}"\nlabel = "B"\n{last}'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEAD + SECTION + RULE + 'section = "infos"\n',
         "r.toml:11: rules[1].section: unknown section 'infos' (sections: info)"),
        (HEAD + RULE + 'section = "info"\n',
         "r.toml:8: rules[1].section: unknown section 'info' (sections: none defined)"),
        (HEAD + SECTION + SECTION.replace("信息", "又") + RULE,
         "r.toml:8: sections[2].id: duplicate id 'info' (also sections[1])"),
        (HEAD + BANDS.format(a="good", m=80, b="good", last="") + RULE,
         "r.toml:9: grades[2].code: duplicate code 'good' (also grades[1])"),
        (HEAD + BANDS.format(a="a", m=80, b="b", last="min = 85\n") + RULE,
         "r.toml:11: grades[2].min: 85 on the last band; leave it out (the last band takes every lower score)"),
        (HEAD + '[[grades]]\ncode = "a"\nlabel = "A"\nmin = 80\n' + BANDS.format(a="b", m=85, b="c", last="") + RULE,
         "r.toml:11: grades[2].min: 85 is not below grades[1].min 80 (bands go highest first)"),
        (HEAD + '[[grades]]\ncode = "a"\nlabel = "A"\n[[grades]]\ncode = "b"\nlabel = "B"\n' + RULE,
         "r.toml:4: grades[1].min: missing; every band but the last needs a min"),
        (HEAD + '[[grades]]\ncode = "a"\nlabel = "A"\n' + RULE, "r.toml:4: grades: 1 band given; a scale needs"),
        (HEAD + '[[grades]]\ncode = "Top"\nlabel = "A"\nmin = 1\n[[grades]]\ncode = "b"\nlabel = "B"\n' + RULE,
         "r.toml:5: grades[1].code: 'Top' is not a grade code of lower-case letters and _"),
        (HEAD + '[assessment]\nperiod = "half"\nyear = [0.4, 0.5]\n' + RULE,
         "r.toml:6: assessment.year: the weights sum to 0.9, not 1"),
        (HEAD + '[assessment]\nperiod = "half"\nyear = [0.2, 0.3, 0.5]\n' + RULE,
         "r.toml:6: assessment.year: 3 weights for 2 half-years in a year (give one weight per half-year, in order)"),
        (HEAD + '[assessment]\nyear = "median"\n' + RULE,
         "r.toml:5: assessment.year: 'median' is not sum, mean or a list of weights"),
        (HEAD + '[assessment]\nperiod = "week"\n' + RULE,
         "r.toml:5: assessment.period: 'week' is not month, quarter, half or year"),
        (HEAD + '[assessment]\nmin_months_in_post = -1\n' + RULE,
         "r.toml:5: assessment.min_months_in_post: is a number (-1); expected a whole number ≥ 0"),
        (HEAD + '[assessment]\nbasis = 60\n' + RULE,
         "r.toml:5: assessment.basis: unknown key (allowed here: base, min_months_in_post, period, year)"),
        (HEAD + RULE + 'quantity = { min = 10, max = 5 }\n',
         "r.toml:8: rules[1].quantity.max: 5 is below quantity.min 10"),
        (HEAD + RULE + 'quantity = { max = "100" }\n',
         "r.toml:8: rules[1].quantity.max: is a string; expected a number"),
        (HEAD + RULE + 'limit = { week = 2 }\n',
         "r.toml:8: rules[1].limit.week: unknown key (allowed here: day, month,"),
        (HEAD + RULE + 'limit = { day = 0 }\n', "r.toml:8: rules[1].limit.day: 0 must be positive"),
        (HEAD + RULE + 'veto = "yes"\n', "r.toml:8: rules[1].veto: is a string ('yes'); expected true or false"),
        (HEAD + RULE + '[[tallies]]\nid = "t"\nkinds = ["level3"]\npoints = 1\n',
         "r.toml:10: tallies[1].kinds[1]: unknown kind 'level3' (no rule has it)"),
        (HEAD + RULE + '[[tallies]]\nid = "t"\nkinds = ["a"]\npoints = 1\nsection = "bonus"\n',
         "r.toml:12: tallies[1].section: unknown section 'bonus' (sections: none defined)"),
        (HEAD + RULE + '[[tallies]]\nid = "t"\nkinds = ["a"]\npoints = 1\n'
         '[[tallies]]\nid = "t"\nkinds = ["a"]\npoints = 2\n',
         "r.toml:13: tallies[2].id: duplicate id 't' (also tallies[1])"),
        (HEAD + RULE + '[[tallies]]\nid = "t"\nkinds = "a"\npoints = 1\n',
         "r.toml:10: tallies[1].kinds: is a string; expected a non-empty array of event kinds"),
        (HEAD + RULE + '[[tallies]]\nid = "t"\nkinds = ["a"]\npoints = 1\nover = 1.5\n',
         "r.toml:12: tallies[1].over: is a number (1.5); expected a whole number ≥ 0"),
        (HEAD + '[[sections]]\nid = "info"\nlabel = "信息"\nmin = 5\nmax = 3\n' + RULE,
         "r.toml:8: sections[1].max: 3 is below min 5"),
        (HEAD + '[[sections]]\nid = "info"\nlabel = "信息"\nweight = 0\n' + RULE,
         "r.toml:7: sections[1].weight: 0 must be positive"),
        (HEAD + '[[sections]]\nid = "info"\n' + RULE, "r.toml:4: sections[1]: missing key 'label'"),
        (HEAD + RULE + 'sectio = "x"\n',
         "r.toml:8: rules[1].sectio: unknown key (allowed here: cap, id, kind, label, label_en, points, when), "
         "or a scheme key (limit, quantity, section, veto)"),
        ('id = "x"\n[[versions]]\nversion = "1"\neffective_from = 2026-01-01\n[[versions.sections]]\nid = "s"\n'
         'label = "S"\n[[versions.rules]]\nkind = "a"\npoints = 1\nsection = "t"\n',
         "r.toml:11: versions[1].rules[1].section: unknown section 't' (sections: s)"),
    ],
)
def test_scheme_mistakes_name_the_file_line_key_and_value(text: str, expected: str) -> None:
    assert str(error_of(text)).startswith(expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rules": [gp.Rule("a", 1, section="x")]}, "rules[1].section: unknown section 'x' (sections: none defined)"),
        ({"assessment": {"period": "year", "year": ["1"]}, "rules": [gp.Rule("a", 1)]}, None),
        ({"assessment": {"period": "quarter", "year": ["0.5", "0.5"]}},
         "assessment.year: 2 weights for 4 quarters in a year"),
        ({"tallies": [gp.Tally("t", ["b"], 1)]}, "tallies[1].kinds[1]: unknown kind 'b' (no rule has it)"),
        ({"sections": [{"id": "s", "label": "S"}, {"id": "s", "label": "T"}]},
         "sections[2].id: duplicate id 's' (also sections[1])"),
    ],
)
def test_the_python_api_refuses_the_same_mistakes(kwargs: dict[str, object], message: str | None) -> None:
    kwargs.setdefault("rules", [gp.Rule("a", 1)])
    if message is None:
        assert gp.RuleSet("x", "1", "2026-01-01", **kwargs)  # type: ignore[arg-type]
        return
    with pytest.raises(ValueError) as caught:
        gp.RuleSet("x", "1", "2026-01-01", **kwargs)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)


def test_the_shipped_scorecards_load() -> None:
    loaded = {path.stem: gp.load_rules(path)[0] for path in sorted(RULES.glob("*.toml"))}
    assert {name for name, rules in loaded.items() if rules.is_scheme} == {
        "street-monthly", "county-halfyear", "town-quarterly"}
    assert [g.label_zh for g in loaded["town-quarterly"].scale] == ["优秀", "良好", "合格", "基本合格", "不合格"]
