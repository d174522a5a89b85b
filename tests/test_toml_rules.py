"""TOML rule files: schema, exact decimals, located errors, the shipped examples, the plugin."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.demo import demo_events, demo_members
from gridpoints.rules._toml_lines import KeyLines
from tests.conftest import NOW, SHANGHAI, xiao_li_month

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "rules"

JIANGSU = gp.RuleSet(
    "jiangsu", "2026.1", "2000-01-01",
    [gp.Rule("patrol", 5, label="巡查"), gp.Rule("mediation", 10, label="调解纠纷"),
     gp.Rule("complaint", -10, label="有效投诉"), gp.Rule("late_report", -3, label="迟报")],
)


class PythonRules:
    def __init__(self, *rulesets: gp.RuleSet) -> None:
        self.rulesets = list(rulesets)

    @gp.hookimpl
    def gridpoints_rulesets(self) -> list[gp.RuleSet]:
        return self.rulesets


def build(**kwargs: object) -> gp.Engine:
    kwargs.setdefault("load_entrypoints", False)
    kwargs.setdefault("clock", lambda: NOW)
    return gp.Engine(**kwargs)  # type: ignore[arg-type]


def error_of(text: str) -> gp.RuleFileError:
    with pytest.raises(gp.RuleFileError) as caught:
        gp.parse_rules(text, "r.toml")
    return caught.value


MINIMAL = 'id = "x"\nversion = "1"\neffective_from = 2026-01-01\n\n[[rules]]\nkind = "patrol"\npoints = 5\n'


# -- the shipped examples score like the Python rule sets ------------------------------------


def outcome_and_entries(engine: gp.Engine, events: Iterable[gp.Event]) -> tuple[object, ...]:
    result = engine.ingest(events)
    entries = [(e.member_id, e.event_id, e.points, e.coefficient, e.rule, e.reason, e.ref)
               for e in engine.ledger.entries()]
    return result.counts(), [(r.event_id, r.code) for r in result.rejected], entries


def month_of_events() -> tuple[list[gp.Member], list[gp.Event]]:
    members = [*demo_members(60, seed=7), gp.Member(id="M001", region="urban")]
    events = [*demo_events(members[:-1], "2026-11", seed=7), *xiao_li_month()]
    # A late hazard, so the derived late-report deduction is compared too.
    occurred = datetime(2026, 10, 9, 9, tzinfo=SHANGHAI)
    events.append(gp.Event("late-hz", "M001", "hazard", occurred, reported_at=occurred + timedelta(hours=30),
                           attributes={"severity": "major", "evidence": "hz.jpg"}))
    return members, events


def test_standard_toml_scores_exactly_like_the_builtin_standard_rule_set() -> None:
    builtin = gp.standard_ruleset()
    (loaded,) = gp.load_rules(EXAMPLES / "standard.toml")
    assert [r.key() for r in loaded.rules] == [r.key() for r in builtin.rules]
    assert [(r.label, r.label_en) for r in loaded.rules] == [(r.label, r.label_en) for r in builtin.rules]
    assert (loaded.version, loaded.effective_from, loaded.grades, loaded.reportable, loaded.report_deadline) == (
        builtin.version, builtin.effective_from, builtin.grades, builtin.reportable, builtin.report_deadline)

    members, events = month_of_events()
    python = build()
    toml = build(rules_files=[EXAMPLES / "standard.toml"], ruleset="standard-toml")
    for engine in (python, toml):
        engine.add_members(members)
    assert outcome_and_entries(python, events) == outcome_and_entries(toml, events)
    assert toml.score("M001", "2026-11") == 127
    assert [e.points for e in toml.explain("M001", "2026-10")] == [20, -3]
    assert [(r.member_id, r.score, r.grade, r.rank) for r in python.report("2026-11")] == [
        (r.member_id, r.score, r.grade, r.rank) for r in toml.report("2026-11")]


def test_jiangsu_toml_scores_exactly_like_the_python_jiangsu_rule_set() -> None:
    (loaded,) = gp.load_rules(EXAMPLES / "jiangsu.toml")
    assert loaded.digest() == JIANGSU.digest()
    members, events = month_of_events()
    python = build(ruleset="jiangsu", plugins=[PythonRules(JIANGSU)])
    toml = build(ruleset="jiangsu", rules_files=[EXAMPLES / "jiangsu.toml"])
    for engine in (python, toml):
        engine.add_members(members)
    python_outcome = outcome_and_entries(python, events)
    assert python_outcome == outcome_and_entries(toml, events)
    assert toml.score("M001", "2026-11") == 100 + 20 - 3


# -- the schema ------------------------------------------------------------------------------


def test_every_key_of_a_version_is_read_exactly() -> None:
    text = """
        id = "county"
        label = "某县积分规则"

        [[versions]]
        version = "2026.1"
        effective_from = 2026-01-01
        label = "2026 版"
        reportable = ["hazard"]
        report_deadline_hours = 12.5
        coefficients = { rural = 1.15, "山区" = 1.3 }
        grades = { excellent = 85.5, qualified = 60 }

        [[versions.rules]]
        kind = "hazard"
        id = "hazard-big"
        points = 20.05
        label = "重大隐患"
        label_en = "major hazard"
        cap = { day = 40.1 }
        [versions.rules.when]
        severity = { in = ["major", "critical"] }
        people = { gte = 10, lt = 100.5 }
        verified = true

        [[versions.rules]]
        kind = "hazard"
        points = 0.1
        cap.month = 100

        [[versions.rules]]
        kind = "late_report"
        points = -3
    """
    (version,) = gp.parse_rules(text)
    assert (version.id, version.version, version.effective_from, version.label) == (
        "county", "2026.1", date(2026, 1, 1), "2026 版")
    assert version.report_deadline == timedelta(hours=12, minutes=30)
    assert version.reportable == ("hazard",)
    assert dict(version.coefficients) == {"rural": Decimal("1.15"), "山区": Decimal("1.3")}
    assert version.grades == gp.GradeThresholds(Decimal("85.5"), 60)
    big, small, late = version.rules
    assert big == gp.Rule("hazard", Decimal("20.05"), id="hazard-big", label="重大隐患", label_en="major hazard",
                          cap=gp.Cap(Decimal("40.1"), "day"),
                          when={"severity": {"in": ["major", "critical"]}, "people": {"gte": 10, "lt": "100.5"},
                                "verified": True})
    assert str(small.points) == "0.1" and isinstance(small.points, Decimal)
    assert small.cap == gp.Cap(100, "month")
    assert late.id == "late_report.1"


def test_several_versions_score_each_event_by_the_version_in_effect() -> None:
    text = """
        id = "county"
        [[versions]]
        version = "1"
        effective_from = "2000-01-01"
        rules = [{ kind = "patrol", points = 5 }]
        [[versions]]
        version = "2"
        effective_from = 2026-11-15
        rules = [{ kind = "patrol", points = 6 }]
    """
    first, second = gp.parse_rules(text)
    engine = build(ruleset="county", plugins=[PythonRules(first, second)])
    engine.add_members([gp.Member(id="A", region="urban")])
    engine.ingest([gp.Event("p1", "A", "patrol", "2026-11-14T23:59:00+08:00"),
                   gp.Event("p2", "A", "patrol", "2026-11-15T00:00:00+08:00")])
    assert [(e.version, e.points) for e in engine.explain("A", "2026-11")] == [("1", 5), ("2", 6)]


def test_a_file_that_looks_like_code_is_refused_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    file = tmp_path / "evil.toml"
    file.write_text(f'__import__("pathlib").Path("{marker}").touch()\n', encoding="utf-8")
    with pytest.raises(gp.RuleFileError, match=r"evil.toml:1: not valid TOML"):
        gp.load_rules(file)
    assert not marker.exists()
    file.write_text(MINIMAL + 'label = "__import__(\'os\').system(\'touch x\')"\n', encoding="utf-8")
    assert gp.load_rules(file)[0].rules[0].label == "__import__('os').system('touch x')"


# -- located errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("colour = 1\n" + MINIMAL, "r.toml:1: colour: unknown key (allowed here: checks, coefficients, effective_from"),
        (MINIMAL + "bonus = 2\n",
         "r.toml:8: rules[1].bonus: unknown key (allowed here: cap, id, kind, label, label_en, points, when)"),
        (MINIMAL.replace("points = 5", 'points = "5"'),
         'r.toml:7: rules[1].points: is a string; expected a number (write it without quotes)'),
        (MINIMAL.replace('version = "1"', "version = 2026.1"),
         'r.toml:2: version: is a number; expected a string (write it in quotes: "2026.1")'),
        (MINIMAL.replace("effective_from = 2026-01-01", "effective_from = 2026-01-01T08:00:00"),
         "r.toml:3: effective_from: 2026-01-01T08:00:00 is a date-time"),
        (MINIMAL.replace('kind = "patrol"\n', ""), "r.toml:5: rules[1]: missing key 'kind'"),
        (MINIMAL.replace('id = "x"\n', ""), "r.toml: (file): missing key 'id'"),
        (MINIMAL + 'when = { stars = { between = [1, 2] } }\n',
         "r.toml:8: rules[1].when.stars.between: unknown operator"),
        (MINIMAL + 'when = { stars = { gte = "4" } }\n',
         "r.toml:8: rules[1].when.stars.gte: is a string; expected a number"),
        (MINIMAL + 'when = { stars = { in = 4 } }\n',
         "r.toml:8: rules[1].when.stars.in: is a number; expected a non-empty array"),
        (MINIMAL + 'cap = { week = 4 }\n', "r.toml:8: rules[1].cap.week: unknown key"),
        (MINIMAL + 'cap = { day = -4 }\n', "r.toml:8: rules[1].cap.day: -4 must not be negative"),
        (MINIMAL + '\n[[rules]]\nkind = "patrol"\npoints = 6\n',
         "r.toml:9: rules[2]: duplicate rule: rules[1] already matches every 'patrol' event"),
        (MINIMAL + 'when = { a = "1" }\n[[rules]]\nkind = "patrol"\npoints = 6\nwhen.a = "1"\n',
         "r.toml:9: rules[2]: duplicate rule: same kind 'patrol' and conditions as rules[1]"),
        (MINIMAL + 'id = "p"\nwhen.a = "1"\n[[rules]]\nkind = "patrol"\npoints = 6\nid = "p"\n',
         "r.toml:13: rules[2].id: duplicate rule id 'p' (also rules[1])"),
        (MINIMAL + "[coefficients]\nrural = 0\n", "r.toml:9: coefficients.rural: 0 must be positive"),
        (MINIMAL + "[grades]\nexcellent = 50\n", "r.toml:8: grades.qualified: 60 is above grades.excellent 50"),
        (MINIMAL + "[grades]\ngood = 50\n", "r.toml:9: grades.good: unknown key"),
        (MINIMAL + "report_deadline_hours = -1\n", "r.toml:8: rules[1].report_deadline_hours: unknown key"),
        ('report_deadline_hours = -1\n' + MINIMAL, "r.toml:1: report_deadline_hours: -1 must not be negative"),
        ('reportable = "hazard"\n' + MINIMAL, "r.toml:1: reportable: is a string; expected an array"),
        ('id = "x"\n[[versions]]\nversion = "1"\neffective_from = 2026-01-01\nrules = [{kind = "a", points = 1}]\n'
         '[[versions]]\nversion = "1"\neffective_from = 2026-02-01\nrules = [{kind = "a", points = 1}]\n',
         "r.toml:7: versions[2].version: duplicate version '1' (also versions[1])"),
        ('id = "x"\nversion = "1"\n[[versions]]\n',
         "r.toml:2: version: unknown key (allowed here: id, label, versions)"),
        ('id = "x"\nversion = "1"\neffective_from = 2026-01-01\nrules = []\n',
         "r.toml:4: rules: is an array; expected [[rules]] tables"),
        (MINIMAL + "points = 6\n", "r.toml:8: not valid TOML: Cannot overwrite a value"),
        ('id = "x"\nversion = "1\n', "r.toml:2: not valid TOML"),
    ],
)
def test_errors_name_the_file_line_and_key(text: str, expected: str) -> None:
    assert str(error_of(text)).startswith(expected)


def test_lines_are_found_past_comments_strings_and_multiline_values() -> None:
    text = '''# [[rules]] in a comment
id = "x"   # id = "y"
label = """
[[rules]]
kind = "fake"
"""
version = "1"
effective_from = 2026-01-01
reportable = [
  "hazard",   # ]
  'group_incident',
]

[[rules]]
kind = "patrol"
points = 5

[[rules]]  # second
"kind" = 'hazard'
points = 10
[rules.when]
"sever.ity" = { in = ["major"] }

[[ rules ]]
kind = "hazard"
points = "x"
'''
    error = error_of(text)
    assert (error.line, error.key) == (26, "rules[3].points")
    lines = KeyLines(text)
    assert lines.line_of(("label",)) == 3
    assert lines.line_of(("version",)) == 7
    assert lines.line_of(("reportable", 1)) == 9
    assert lines.line_of(("rules", 0, "kind")) == 15
    assert lines.line_of(("rules", 1)) == 18
    assert lines.line_of(("rules", 1, "kind")) == 19
    assert lines.line_of(("rules", 1, "when", "sever.ity", "in")) == 22
    assert lines.line_of(("rules", 2, "points")) == 26
    assert lines.line_of(("nothing",)) is None


def test_nested_arrays_of_tables_are_counted_per_parent() -> None:
    text = """id = "x"
[[versions]]
version = "1"
[[versions.rules]]
kind = "a"
[[versions.rules]]
kind = "b"
[[versions]]
version = "2"
[[versions.rules]]
kind = "c"
"""
    lines = KeyLines(text)
    assert lines.line_of(("versions", 0, "rules", 1, "kind")) == 7
    assert lines.line_of(("versions", 1, "version")) == 9
    assert lines.line_of(("versions", 1, "rules", 0, "kind")) == 11


@settings(max_examples=40, deadline=None)
@given(
    points=st.lists(st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False), min_size=1, max_size=8),
    bad=st.data(),
)
def test_generated_files_load_exactly_and_errors_point_at_the_broken_rule(
    points: list[Decimal], bad: st.DataObject
) -> None:
    blocks = [f'[[rules]]\nkind = "k{i}"\n# rule {i}\npoints = {p}\nlabel = "规则{i}"\n' for i, p in enumerate(points)]
    text = 'id = "gen"\nversion = "1"\neffective_from = 2026-01-01\n\n' + "\n".join(blocks)
    (version,) = gp.parse_rules(text)
    assert [r.points for r in version.rules] == points
    assert [str(r.points) for r in version.rules] == [str(p) for p in points]
    broken = bad.draw(st.integers(0, len(points) - 1))
    blocks[broken] = blocks[broken].replace("points = ", "points = true or ")
    blocks[broken] = blocks[broken].replace(f"points = true or {points[broken]}", "points = true")
    error = error_of('id = "gen"\nversion = "1"\neffective_from = 2026-01-01\n\n' + "\n".join(blocks))
    assert error.key == f"rules[{broken + 1}].points"
    assert error.line == 4 + 6 * broken + 4
    assert "is a boolean; expected a number" in str(error)


# -- the plugin ------------------------------------------------------------------------------


def test_engine_rules_files_register_through_the_builtin_plugin(tmp_path: Path) -> None:
    engine = build(rules_files=[EXAMPLES / "jiangsu.toml"])
    contributed = {(r.id, r.version): p for r, p in engine.plugins.rulesets()}
    assert contributed[("jiangsu", "2026.1")] == "gridpoints.builtin.TomlRuleFiles"
    assert engine.rule_files.origin(next(r for r, _ in engine.plugins.rulesets() if r.id == "jiangsu")) == str(
        EXAMPLES / "jiangsu.toml")
    assert engine.rulebook.id == "jiangsu"  # the one rule set the files define (a store records it)
    assert build(rules_files=[EXAMPLES / "jiangsu.toml"], ruleset="standard").rulebook.id == "standard"


def test_the_same_version_in_two_files_names_both(tmp_path: Path) -> None:
    one, two = tmp_path / "one.toml", tmp_path / "two.toml"
    one.write_text(MINIMAL, encoding="utf-8")
    two.write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(gp.ConfigurationError, match=r"rule set x version 1 is in both .*one.toml and .*two.toml"):
        build(rules_files=[one, two])


def test_a_bad_rule_file_fails_the_engine_build_and_a_missing_one_says_so(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL.replace("points = 5", "points = five"), encoding="utf-8")
    with pytest.raises(gp.RuleFileError, match=r"bad.toml:7: not valid TOML"):
        build(rules_files=[bad])
    with pytest.raises(FileNotFoundError):
        build(rules_files=[tmp_path / "absent.toml"])
    bad.write_bytes(MINIMAL.encode("utf-8") + 'label = "巡查"\n'.encode("gb18030"))
    with pytest.raises(gp.RuleFileError, match=r"bad.toml:8: is not UTF-8"):
        gp.load_rules(bad)


_FILLER = st.sampled_from(["", "# a comment with [[rules]] and key = 1", "   ", "# 注释 = \"x\""])
_LABEL = st.sampled_from(['"巡查"', "'literal [x]'", '"""\n[[rules]]\nkind = "fake"\n"""', "'''\nid = 'x'\n'''",
                          '"escaped \\" quote # not a comment"'])


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_key_lines_match_where_each_key_was_written(data: st.DataObject) -> None:
    """Render a random rule file keeping every key's line, then ask the scanner for each."""
    lines: list[str] = ['id = "gen"', 'version = "1"', "effective_from = 2026-01-01"]
    expected: dict[tuple[str | int, ...], int] = {("id",): 1, ("version",): 2, ("effective_from",): 3}
    reportable = data.draw(st.booleans())
    if reportable:
        lines.append("reportable = [")
        expected[("reportable",)] = len(lines)
        lines += ['  "hazard",  # ] not the end', "  'group_incident',", "]"]
    for index in range(data.draw(st.integers(1, 5))):
        lines += [data.draw(_FILLER) for _ in range(data.draw(st.integers(0, 2)))]
        lines.append(data.draw(st.sampled_from(["[[rules]]", "[[ rules ]]  # next", '[["rules"]]'])))
        expected[("rules", index)] = len(lines)
        keys = data.draw(st.permutations(["kind", "points", "label", "when"]))
        for key in keys:
            lines += [data.draw(_FILLER) for _ in range(data.draw(st.integers(0, 1)))]
            start = len(lines) + 1
            if key == "kind":
                # Reportable kinds need a late_report rule (else a RuleFileError): the first rule is one.
                lines.append('kind = "late_report"' if reportable and index == 0 else f'kind = "k{index}"')
            elif key == "points":
                lines.append(data.draw(st.sampled_from(["points = 5", "points=-1.25", '"points" = 0'])))
            elif key == "label":
                lines += f"label = {data.draw(_LABEL)}".split("\n")
            else:
                lines.append(data.draw(st.sampled_from(['when = { severity = "major" }', 'when.severity = "major"'])))
            expected[("rules", index, key)] = start
    text = "\n".join(lines) + "\n"
    found = KeyLines(text)
    assert {path: found.line_of(path) for path in expected} == expected
    assert len(gp.parse_rules(text)[0].rules) == len([p for p in expected if len(p) == 2 and p[0] == "rules"])
