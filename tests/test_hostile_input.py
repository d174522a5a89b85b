"""Hostile input (issue 14, defects 3, 4, 5, 6, 9, 10, 11), each test written as the attack:
numbers past the bounds, spreadsheet formulas, invisible characters in ids, impossible local
times, rule files built to exhaust the parser, and PostgreSQL URLs that aim at the wrong place."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.rules.toml_file import parse_rules
from gridpoints.stores._pg_connect import parse_url
from tests.conftest import NOW, PG_URL, Run, at
from tests.test_cli import write

Make = Callable[..., gp.Engine]
EVENTS = "id,member_id,kind,occurred_at,quantity\n"
RULES = 'id = "county"\nversion = "1"\neffective_from = 2000-01-01\n'


def patrol(event_id: str, day: int = 3, **fields: Any) -> dict[str, Any]:
    return {"id": event_id, "member_id": "M1", "kind": "patrol", "occurred_at": at(day), **fields}


@pytest.fixture
def engine(make_engine: Make) -> gp.Engine:
    engine = make_engine()
    engine.add_members([gp.Member("M1", "urban")])
    return engine


# -- defect 3: numbers past the bounds ---------------------------------------------------------


@pytest.mark.parametrize("quantity", ["1E+30", 10**30, "1000000.5", "0.0000001", "1e-999999999"])
def test_a_huge_quantity_is_one_rejected_event_not_a_crashed_batch(engine: gp.Engine, quantity: object) -> None:
    result = engine.ingest([patrol("good", 3), patrol("huge", 4, quantity=quantity), patrol("also", 5)])
    assert result.accepted == ("good", "also") and result.held == ()
    ((rejection),) = result.rejected
    assert (rejection.event_id, rejection.code) == ("huge", "invalid")
    assert rejection.message.startswith("quantity: ")


def test_approving_or_correcting_with_a_huge_quantity_does_not_crash(engine: gp.Engine) -> None:
    """Attack: a held event with quantity 1E+30 (over the daily limit) crashed ``review approve``."""
    result = engine.ingest([patrol("p1", 3), patrol("huge", 4, quantity="1E+30")])
    assert "huge" not in result.held  # refused at the door, so never waiting for a reviewer
    for held in engine.review.pending():
        engine.review.approve(held.event.id, by="审核员")
    before = [entry.hash for entry in engine.explain("M1", "2026-11")]
    with pytest.raises(ValueError, match=r"quantity: 1E\+30 is beyond the bound of 1,000,000"):
        engine.correct("p1", patrol("p1b", 3, quantity="1E+30"), by="录入员", reason="typo")
    assert [entry.hash for entry in engine.explain("M1", "2026-11")] == before and engine.ledger.verify()


def test_the_command_line_rejects_the_row_and_keeps_the_batch(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "members.csv", "id,region\nM1,urban\n")
    run("members", "members.csv")
    write(tmp_path / "e.csv", EVENTS + "a,M1,patrol,2026-09-01T09:00:00+08:00,2\n"
          "b,M1,patrol,2026-09-02T09:00:00+08:00,1E+30\nc,M1,patrol,2026-09-03T09:00:00+08:00,\n")
    code, out, err = run("ingest", "e.csv")
    assert (code, out) == (1, "e.csv: 3 rows: 2 accepted, 0 held, 1 rejected, 0 duplicate\n")
    assert err == ("e.csv:3: quantity: 1E+30 is beyond the bound of 1,000,000 (docs/rules.md, numeric bounds) "
                   "[invalid]\n")
    code, _, err = run("correct", "a", "--quantity", "1E+30", "--reason", "typo")
    assert code == 2 and "quantity: 1E+30 is beyond the bound" in err


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: gp.Rule("patrol", "1e400"), "points: 1E+400 is beyond the bound of 1,000,000"),
        (lambda: gp.Rule("patrol", "0.0000001"), "points: 1E-7 has more than 6 decimal places"),
        (lambda: gp.Rule("patrol", 5, cap={"day": "1e40"}), "cap.points: 1E+40 is beyond the bound"),
        (lambda: gp.RuleSet("x", "1", "2000-01-01", [gp.Rule("patrol", 5)], coefficients={"urban": "1e300"}),
         "coefficients.urban: 1E+300 is beyond the bound of 100"),
        (lambda: gp.Engine(coefficients={"urban": "1e300"}, load_entrypoints=False),
         "coefficients.urban: 1E+300 is beyond the bound of 100"),
        (lambda: gp.Award("bonus", "1e300"), "points: 1E+300 is beyond the bound"),
        (lambda: gp.RuleSet("x", "1", "2000-01-01", [gp.Rule("patrol", 5)], grades={"excellent": "1e30"}),
         "grades.excellent: 1E+30 is beyond the bound"),
        (lambda: gp.Rule("service", 5, when={"people": {"gte": "1e-999999"}}),
         "when.people.gte: 1E-999999 has more than 6 decimal places"),
    ],
)
def test_rules_coefficients_and_awards_out_of_bounds_are_refused(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("+", r"\+")):
        build()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (RULES + "[[rules]]\nkind = 'patrol'\npoints = 1e400\n", "r.toml:6: rules[1].points: 1E+400 is beyond"),
        (RULES + "[coefficients]\nurban = 1e300\n[[rules]]\nkind = 'patrol'\npoints = 5\n",
         "r.toml:5: coefficients.urban: 1E+300 is beyond"),
    ],
)
def test_a_rule_file_out_of_bounds_is_a_rule_file_error(text: str, where: str) -> None:
    with pytest.raises(gp.RuleFileError, match=where.replace("+", r"\+").replace("[", r"\[")):
        parse_rules(text, "r.toml")


def test_a_plugin_coefficient_out_of_bounds_names_the_plugin() -> None:
    class Huge:
        @gp.hookimpl
        def gridpoints_coefficient(self) -> Decimal:
            return Decimal("1e300")

    engine = gp.Engine(plugins=[Huge()], checks=False, load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member("M1", "urban")])
    with pytest.raises(gp.PluginError, match=r"coefficient: 1E\+300 is beyond the bound of 100"):
        engine.ingest([patrol("p1")])


_POINTS = st.decimals(min_value=-1_000_000, max_value=1_000_000, places=6)
_QUANTITY = st.decimals(min_value="0.000001", max_value=1_000_000, places=6)
_COEFFICIENT = st.decimals(min_value="0.000001", max_value=100, places=6)


@settings(max_examples=300, deadline=None)
@given(points=_POINTS, quantity=_QUANTITY, coefficient=_COEFFICIENT)
def test_within_the_bounds_an_award_is_exact_then_rounded_once(
    points: Decimal, quantity: Decimal, coefficient: Decimal
) -> None:
    from gridpoints._decimal import award_cents, quantize, to_cents

    with localcontext(prec=200):
        exact = quantize(points * quantity * coefficient)
    assert award_cents(points, quantity, coefficient) == to_cents(exact)


def test_the_largest_award_the_bounds_allow_is_booked_exactly() -> None:
    ruleset = gp.RuleSet("big", "1", "2000-01-01", [gp.Rule("patrol", "999999.999999")],
                         coefficients={"urban": "99.999999"})  # fmt: skip

    class Rules:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            return [ruleset]

    engine = gp.Engine(ruleset="big", plugins=[Rules()], checks=False, load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member("M1", "urban")])
    assert engine.ingest([patrol("p1", quantity="999999.999999")]).accepted == ("p1",)
    # 999999.999999² × 99.999999 = 99999998999800.000002000099999999: 32 digits, past the
    # default context's 28, yet booked exactly to the cent.
    assert engine.score("M1", "2026-11") == Decimal("99999998999800.00")


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"note": "x" * 65_537}, "attributes['note']: is 65,537 characters long; the limit is 65,536"),
        ({"note": "a\ud800"}, "attributes['note']: contains a lone surrogate"),
        ({"k" * 65_537: 1}, "attributes key 'kkkkkkkkkkkkkkkkkkkk': is 65,537 characters long"),
        ({"stars": float("nan")}, "attributes['stars']: NaN is not a finite number"),
        ({"size": Decimal("1e999999999")}, "attributes['size']: the number is longer than 65,536 characters"),
        ({"size": 10**5000}, "attributes['size']: the number has more than 4,000 digits"),
    ],
    ids=["long text", "surrogate", "long key", "nan", "huge exponent", "huge integer"],
)
def test_attributes_past_the_limits_are_rejected_not_stored(
    engine: gp.Engine, attributes: dict[str, object], message: str
) -> None:
    """Attack: a 5,000-digit integer crashed the batch; a surrogate crashed SQLite; 1E+999999999 bloated it."""
    result = engine.ingest([patrol("ok", 3), patrol("bad", 4, attributes=attributes)])
    assert result.accepted == ("ok",)
    ((rejection),) = result.rejected
    assert (rejection.event_id, rejection.code) == ("bad", "invalid") and rejection.message.startswith(message)


def test_member_names_have_the_text_limits_too() -> None:
    with pytest.raises(ValueError, match="name: is 65,537 characters long; the limit is 65,536"):
        gp.Member("M2", "urban", name="张" * 65_537)
    with pytest.raises(ValueError, match="name: contains a lone surrogate"):
        gp.Member("M2", "urban", name="张\udc00")
    assert gp.Member("M2", "urban", name="张" * 65_536).name == "张" * 65_536


@pytest.mark.parametrize(
    ("name", "code"),
    [("张三\u202e", "U+202E"), ("\u2067张三", "U+2067"), ("张\n三", "U+000A"), ("张\t三", "U+0009"),
     ("\x1b[2J张三", "U+001B"), ("张\u2028三", "U+2028")],
)
def test_a_name_that_would_redraw_a_terminal_or_reverse_its_text_is_refused(name: str, code: str) -> None:
    """Attack: a member named with a right-to-left override or an escape sequence displays as
    someone else (or clears the screen) in every listing the CLI prints."""
    with pytest.raises(ValueError, match=f"name: .* contains {re.escape(code)}.*, which a name may not hold"):
        gp.Member("M2", "urban", name=name)


def test_names_in_any_script_keep_their_joiners() -> None:
    for name in ("艾合买提", "ئەخمەت", "क्\u200dष", "Zoë"):
        assert gp.Member("M2", "urban", name=name).name == name


# -- defect 4: spreadsheet formulas in exports -------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil","点我")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-2+3", "\t=1", "\r=1"]


@pytest.fixture
def formula_engine(make_engine: Make) -> gp.Engine:
    engine = make_engine(checks=False)
    # A name cannot start with a tab or CR any more (names are one line): those two are refused
    # before they reach an export (test_a_name_that_would_redraw_a_terminal...).
    names = [name for name in FORMULAS if name[0] not in "\t\r"]
    engine.add_members([gp.Member(f"M{i}", "urban", name=name) for i, name in enumerate(names)])
    engine.add_members([gp.Member("=1+1", "urban", name="正常")])
    engine.ingest([gp.Event("c1", "=1+1", "complaint", at(4)), gp.Event("p1", "M0", "patrol", at(4))])
    return engine


def test_csv_exports_never_start_a_text_cell_with_a_formula(formula_engine: gp.Engine) -> None:
    for masked in (False, True):
        buffer = io.BytesIO()
        formula_engine.export_report(formula_engine.report("2026-11"), buffer, format="csv", mask_names=masked)
        header, *rows = csv.reader(io.StringIO(buffer.getvalue().decode("utf-8-sig"), newline=""))
        for cells in rows:
            for cell in cells:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")) and not cell.startswith("-2")
        names = {r[header.index("编号")]: r[header.index("姓名")] for r in rows}
        if not masked:
            assert names["M0"] == "'" + FORMULAS[0] and names["'=1+1"] == "正常"
        else:
            assert names["M0"] == "*" * len(FORMULAS[0])  # the first character goes too
        scores = [r[header.index("积分")] for r in rows]
        assert "-10.00" in scores  # numbers stay numbers


def test_xlsx_exports_store_formula_like_text_as_text(formula_engine: gp.Engine, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    formula_engine.export_report(formula_engine.report("2026-11"), tmp_path / "r.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    cells = [cell for line in sheet.iter_rows(min_row=2) for cell in line]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    formula_like = [c for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "@", "-2"))]
    assert {c.value for c in formula_like} >= {FORMULAS[0], "=1+1", "-2+3"}
    assert all(c.data_type == "s" and c.quotePrefix for c in formula_like)
    assert any(c.value == -10 and c.data_type == "n" for c in cells)
    formula_engine.export_explanation("=1+1", "2026-11", tmp_path / "x.xlsx")
    explanation = openpyxl.load_workbook(tmp_path / "x.xlsx").active
    assert not [c for line in explanation.iter_rows() for c in line if c.data_type == "f"]


def test_masked_names_never_keep_a_formula_start() -> None:
    names = ("=cmd", "+cmd", "@x", "-2+3", "\t=1", "张三", "-1")
    assert [gp.mask_name(n) for n in names] == ["****", "****", "**", "****", "***", "张*", "-*"]


# -- defects 5 and 6: invisible characters in ids ----------------------------------------------

INVISIBLE = ["\ufeffz1", "z1\u200b", "z\u202e1", "z1\u2028", "z\x001", "z\ud8001"]


def test_invisible_characters_do_not_make_new_event_ids(engine: gp.Engine) -> None:
    """Attack: ``z1``, BOM + ``z1`` and ``z1`` + zero-width space were three events, scored thrice."""
    result = engine.ingest([patrol("z1", 3)] + [patrol(event_id, 3) for event_id in INVISIBLE])
    assert result.accepted == ("z1",) and len(result.rejected) == len(INVISIBLE)
    assert all(r.code == "invalid" and r.message.startswith("id: ") for r in result.rejected)
    assert engine.score("M1", "2026-11") == Decimal("5.00")


def test_ids_are_nfc_so_one_accent_written_two_ways_is_one_event(engine: gp.Engine) -> None:
    composed, decomposed = "café-1", "cafe\u0301-1"
    assert gp.Event(decomposed, "M1", "patrol", at(3)).id == composed
    result = engine.ingest([patrol(composed), patrol(decomposed)])
    assert (result.accepted, result.duplicates) == ((composed,), (composed,))  # ids come back in NFC
    member = gp.Member("Ze\u0301", "ru\u0301ral", grid="g\u0301")
    assert (member.id, member.region, member.grid) == ("Zé", "rúral", "ǵ")


def test_lookups_find_an_id_written_in_another_normal_form(engine: gp.Engine) -> None:
    """Ids are stored in NFC, so a lookup typed decomposed (as some keyboards and files do)
    must find the same member and event, not answer "unknown"."""
    engine.add_members([gp.Member("Zé", "urban")])
    result = engine.ingest([
        {"id": "mé-1", "member_id": "Zé", "kind": "mediation", "occurred_at": at(3)},  # no evidence: held
        {"id": "mé-2", "member_id": "Zé", "kind": "mediation", "occurred_at": at(4)},
        {"id": "pé-1", "member_id": "Zé", "kind": "patrol", "occurred_at": at(5)},
    ])
    assert result.held == ("mé-1", "mé-2") and result.accepted == ("pé-1",)
    decomposed = lambda text: text.replace("é", "e\u0301")  # noqa: E731
    assert engine.member(decomposed("Zé")).id == "Zé"
    assert engine.score(decomposed("Zé"), "2026-11") == Decimal("5.00")  # one patrol
    assert engine.explain(decomposed("Zé"), "2026-11").member_id == "Zé"
    assert engine.review.approve(decomposed("mé-1"), by="审核员") == 1
    assert engine.review.reject(decomposed("mé-2"), by="审核员", reason="无证据").subject == "event:mé-2"
    replacement = {"id": "pé-2", "member_id": "Zé", "kind": "patrol", "occurred_at": at(6)}
    assert engine.correct(decomposed("pé-1"), replacement, by="审核员", reason="更正").subject == "event:pé-1"
    approved = [e for e in engine.explain("Zé", "2026-11").entries if e.event_id == "mé-1"]
    appeal = engine.appeal(approved[0].seq, by="Zé", reason="复核")
    assert [a.id for a in engine.appeals(member=decomposed("Zé"))] == [appeal.id]
    with pytest.raises(ValueError, match="format character"):
        engine.member("Zé\u200b")


@pytest.mark.parametrize(
    "build",
    [
        lambda bad: gp.Member(bad, "urban"),
        lambda bad: gp.Member("M1", bad),
        lambda bad: gp.Member("M1", "urban", grid=bad),
        lambda bad: gp.Event("e1", bad, "patrol", at(3)),
        lambda bad: gp.Event("e1", "M1", bad, at(3)),
        lambda bad: gp.Rule(bad, 5),
        lambda bad: gp.Rule("patrol", 5, id=bad),
        lambda bad: gp.RuleSet(bad, "1", "2000-01-01", [gp.Rule("patrol", 5)]),
        lambda bad: gp.RuleSet("x", bad, "2000-01-01", [gp.Rule("patrol", 5)]),
        lambda bad: gp.RuleSet("x", "1", "2000-01-01", [gp.Rule("patrol", 5)], coefficients={bad: 1}),
        lambda bad: gp.RuleSet("x", "1", "2000-01-01", [gp.Rule("patrol", 5)], reportable=[bad]),
        lambda bad: gp.Award(bad, 5),
    ],
    ids=["member", "region", "grid", "member_id", "kind", "rule kind", "rule id", "rule set", "version",
         "coefficient region", "reportable", "award kind"],
)
@pytest.mark.parametrize("bad", INVISIBLE)
def test_every_id_refuses_control_and_format_characters(build: Callable[[str], object], bad: str) -> None:
    with pytest.raises(ValueError, match=r"contains a (control|format|surrogate|line separator) character"):
        build(bad)


def test_invisible_characters_in_file_ids_are_located_rejections(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "members.csv", "id,region\nM1,urban\nM2\u200b,urban\n")
    code, _, err = run("members", "members.csv")
    assert code == 1 and "members.csv:3: id: 'M2\\u200b' contains a format character (U+200B ZERO WIDTH SPACE)" in err
    write(tmp_path / "members.csv", "id,region\nM1,urban\n")
    run("members", "members.csv")
    write(tmp_path / "e.csv", EVENTS + "z1,M1,patrol,2026-09-01T09:00:00+08:00,\n"
          "z1\u200b,M1,patrol,2026-09-01T09:00:00+08:00,\n\ufeffz1,M1,patrol,2026-09-01T09:00:00+08:00,\n")
    code, out, err = run("ingest", "e.csv")
    assert out == "e.csv: 3 rows: 1 accepted, 0 held, 2 rejected, 0 duplicate\n"
    assert [line.split(": ")[0:2] for line in err.splitlines()] == [["e.csv:3", "id"], ["e.csv:4", "id"]]


@pytest.mark.parametrize("rule_id", ["p\\u0007", "p\\u200b", "p\\u202e", "p\\n"])
def test_a_control_or_format_character_in_a_toml_rule_id_is_a_rule_file_error(rule_id: str) -> None:
    """Attack: a control character in a TOML rule id went into the chain."""
    text = RULES + f'[[rules]]\nkind = "patrol"\nid = "{rule_id}"\npoints = 5\n'
    with pytest.raises(gp.RuleFileError, match=r"r.toml:6: rules\[1\].id: .* contains a (control|format) character"):
        parse_rules(text, "r.toml")


# -- defect 9: local times the clocks skipped or showed twice ----------------------------------


def test_a_time_in_a_dst_gap_or_the_repeated_hour_is_a_located_rejection(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "members.csv", "id,region\nM1,urban\n")
    assert run("--tz", "America/New_York", "members", "members.csv")[0] == 0
    write(tmp_path / "e.csv", EVENTS
          + "gap,M1,service,2026-03-08 02:30,\n"          # spring forward: 02:00 → 03:00
          + "twice,M1,service,2026-11-01 01:30,\n"        # fall back: 01:00–02:00 happens twice
          + "given,M1,service,2026-11-01 01:30-05:00,\n"  # the offset says which
          + "plain,M1,service,2026-07-01 09:00,\n")  # fmt: skip
    _, out, err = run("--tz", "America/New_York", "ingest", "--assume-tz", "e.csv")
    assert out == "e.csv: 4 rows: 2 accepted, 0 held, 2 rejected, 0 duplicate\n"
    assert err.splitlines() == [
        "e.csv:2: occurred_at: 2026-03-08T02:30:00 does not exist in America/New_York: the clocks skipped it "
        "(daylight saving time); write the time with its offset [invalid]",
        "e.csv:3: occurred_at: 2026-11-01T01:30:00 happened twice in America/New_York (the clocks went back); "
        "write it with its offset: 2026-11-01T01:30:00-04:00 or 2026-11-01T01:30:00-05:00 [invalid]",
    ]


# -- defect 10: rule files built to exhaust the parser -----------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (RULES + "x = " + "[" * 100_000 + "]" * 100_000 + "\n", "r.toml:4: not a rule file: a value nests deeper"),
        (RULES + "x = " + "{a = " * 100_000 + "1" + "}" * 100_000 + "\n", "r.toml:4: not a rule file: a value"),
        (RULES + "a" + ".a" * 20_000 + " = 1\n", "r.toml:4: not a rule file: a key nests deeper than 32"),
        (RULES + "[" + "a." * 20_000 + "a]\n", "r.toml:4: not a rule file: a table name nests deeper"),
        (RULES + "report_deadline_hours = 1e30\n[[rules]]\nkind = 'patrol'\npoints = 5\n",
         "r.toml:4: report_deadline_hours: 1E\\+30 is beyond the bound of 100,000 hours"),
        (RULES + "[[rules]]\nkind = 'patrol'\npoints = " + "9" * 5000 + "\n", "r.toml: not a rule file"),
    ],
    ids=["arrays", "inline-tables", "dotted-key", "table-name", "deadline", "5000-digits"],
)
def test_a_rule_file_built_to_exhaust_the_parser_is_a_rule_file_error(text: str, message: str) -> None:
    started = time.perf_counter()
    with pytest.raises(gp.RuleFileError, match=message):
        parse_rules(text, "r.toml")
    assert time.perf_counter() - started < 30  # the dotted key took minutes at 100,000 parts


_TOML_PIECES = st.sampled_from([*"[]{}.=\"'#\n ,ab1", '"""', "'''", "[[rules]]", "kind = 'patrol'", "points = 5",
                                "a.b.c = 1", "x = [[[1]]]", "\\u0007", "1e400", RULES])


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOML_PIECES, max_size=40).map("".join))
def test_any_text_is_read_as_rules_or_refused_with_a_rule_file_error(text: str) -> None:
    """The depth guard scans text tomllib has not checked yet: it must never fail any other way."""
    try:
        parse_rules(text, "r.toml")
    except gp.RuleFileError as error:
        assert str(error).startswith("r.toml")


def test_a_report_deadline_past_the_bound_is_refused_in_python_too() -> None:
    from datetime import timedelta

    with pytest.raises(ValueError, match=r"report_deadline: .* is beyond 100,000 hours"):
        gp.RuleSet("x", "1", "2000-01-01", [gp.Rule("patrol", 5)], report_deadline=timedelta(days=999_999_999))


# -- defect 11: PostgreSQL URLs ----------------------------------------------------------------

UNREACHABLE = "postgresql://u@127.0.0.1:1/db"  # nothing listens there: any attempt to connect fails


@pytest.mark.parametrize("schema", ["information_schema", "pg_catalog", "pg_toast", "PG_mine", "Information_Schema"])
def test_a_system_schema_is_refused_before_any_connection(schema: str) -> None:
    with pytest.raises(gp.ConfigurationError, match=f"schema: '{schema}' is a PostgreSQL system schema"):
        gp.Engine(f"{UNREACHABLE}?schema={schema}", load_entrypoints=False)


@pytest.mark.parametrize("query", ["schema=a&schema=b", "schema=a&lock_timeout=1&lock_timeout=2", "host=a&host=b"])
def test_a_repeated_url_parameter_is_an_error_not_last_wins(query: str) -> None:
    name = query.split("&")[-1].split("=")[0]
    with pytest.raises(gp.ConfigurationError, match=f"{name}: given 2 times in the URL; give it once"):
        parse_url(f"{UNREACHABLE}?{query}")


@pytest.mark.parametrize("name", ["password", "sslpassword", "SSLPASSWORD", "client_secret", "api_token", "sslkey"])
def test_every_secret_parameter_is_masked_in_messages(name: str) -> None:
    with pytest.raises(gp.StoreError) as caught:  # unreachable, or libpq refusing an unknown parameter
        gp.Engine(f"postgresql://u:pw1234@127.0.0.1:1/db?{name}=hunter2&schema=s", load_entrypoints=False)
    assert "hunter2" not in str(caught.value) and "pw1234" not in str(caught.value)
    assert f"{name}=***" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda url: url.rsplit("/", 1)[0] + "/gp_no_such_database", 'database "gp_no_such_database" does not exist'),
        (lambda url: url.replace("postgres@", "gp_no_such_role@"), 'role "gp_no_such_role" does not exist'),
    ],
)
def test_a_database_or_role_that_does_not_exist_is_a_configuration_error_not_retry(
    postgres_server: str, change: Callable[[str], str], said: str
) -> None:
    with pytest.raises(gp.ConfigurationError, match="retrying will not help") as caught:
        gp.Engine(change(postgres_server) + "?schema=gp_never_made", load_entrypoints=False)
    assert said in str(caught.value) and not isinstance(caught.value, gp.StoreUnavailableError)


def test_a_search_path_naming_a_system_schema_is_refused_before_anything_is_created(postgres_server: str) -> None:
    import psycopg

    with pytest.raises(gp.ConfigurationError, match="search_path: 'pg_catalog' is a PostgreSQL system schema"):
        gp.Engine(f"{PG_URL}?options=-csearch_path%3Dpg_catalog", load_entrypoints=False)
    with psycopg.connect(PG_URL) as conn:
        assert conn.execute("SELECT to_regclass('pg_catalog.schema_migrations')").fetchone() == (None,)


def test_the_documented_limits_are_the_enforced_ones() -> None:
    from gridpoints._decimal import MAX_COEFFICIENT, MAX_PLACES, MAX_POINTS, MAX_QUANTITY
    from gridpoints._validate import MAX_FIELD_CHARS
    from gridpoints.cli.splitting import MAX_RECORD_CHARS
    from gridpoints.rules._toml_lines import MAX_DEPTH
    from gridpoints.rules._types import MAX_REPORT_DEADLINE_HOURS

    docs = Path(__file__).resolve().parent.parent / "docs"
    fair, cli, rules = ((docs / name).read_text(encoding="utf-8") for name in ("fair-play.md", "cli.md", "rules.md"))
    assert f"**{MAX_FIELD_CHARS:,}** characters (the field-size limit)" in fair
    assert f"at most **{MAX_FIELD_CHARS:,}\ncharacters**" in cli and f"at most **{MAX_RECORD_CHARS:,}**" in cli
    assert f"more than 0, at most {MAX_QUANTITY:,}, at most {MAX_PLACES} decimal places" in rules
    assert f"at most {MAX_POINTS:,} in magnitude, at most {MAX_PLACES} decimal places" in rules
    assert f"more than 0, at most {MAX_COEFFICIENT}, at most {MAX_PLACES} decimal places" in rules
    assert f"at most {MAX_REPORT_DEADLINE_HOURS:,} hours" in rules and f"nested more than {MAX_DEPTH} deep" in rules
