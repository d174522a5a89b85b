"""Issue 14, defect 8, as the attacks: a member deciding their own case.

A member approved their own held event and upheld their own appeal (also as the final level of
two-level review), and ``R1`` and ``r1`` counted as two people. Each test below is one attack;
each decided the case before the fix. Who decides is now compared with the event's member (id
and name) and the appellant after trimming, NFKC and case folding, and refused with a located
``ReviewError`` that changes nothing.
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.desk.parties import same_person
from tests.conftest import NOW, Run, at
from tests.test_cli import EVENT_HEADER, write

#: One person written as people write it: another case, full width, padded, an ideographic space.
R1_VARIANTS = ("R1", "r1", " r1 ", "Ｒ１", "ｒ1", "\u3000R1\t")


def engine_with_held_mediation(**kwargs: object) -> gp.Engine:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW, **kwargs)  # type: ignore[arg-type]
    engine.add_members([gp.Member("R1", "urban", name="小李"), gp.Member("M2", "urban", name="老王")])
    assert engine.ingest([gp.Event("m1", "R1", "mediation", at(3))]).held == ("m1",)  # no evidence: held
    return engine


def complaint_appeal(engine: gp.Engine, *, by: str = "R1") -> gp.Appeal:
    engine.ingest([gp.Event("c1", "R1", "complaint", at(4))])
    (complaint,) = [e for e in engine.explain("R1", "2026-11") if e.kind == "complaint"]
    return engine.appeal(complaint.seq, by=by, reason="the complaint was about another grid")


@pytest.mark.parametrize("by", [*R1_VARIANTS, "小李", " 小李 "])
def test_a_member_cannot_approve_or_reject_their_own_held_event(by: str) -> None:
    engine = engine_with_held_mediation()
    head = engine.ledger.head()
    with pytest.raises(gp.ReviewError, match=r"^by: .* a party to event 'm1'; nobody may decide their own case"):
        engine.review.approve("m1", by=by)
    with pytest.raises(gp.ReviewError, match="nobody may decide their own case"):
        engine.review.reject("m1", by=by, reason="withdrawn")
    assert engine.ledger.head() == head and [h.event.id for h in engine.review.pending()] == ["m1"]
    assert engine.review.approve("m1", by="审核员") == 1  # someone else may


def test_the_refusal_says_who_is_who() -> None:
    engine = engine_with_held_mediation()
    with pytest.raises(gp.ReviewError) as refused:
        engine.review.approve("m1", by="ｒ1")
    assert str(refused.value) == (
        "by: 'ｒ1' is member 'R1', a party to event 'm1'; nobody may decide their own case — another person must")
    with pytest.raises(gp.ReviewError, match=r"^by: '小李' is the name of member 'R1', a party to event 'm1'"):
        engine.review.approve("m1", by="小李")


@pytest.mark.parametrize("by", R1_VARIANTS)
def test_a_member_cannot_uphold_or_dismiss_their_own_appeal(by: str) -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member("R1", "urban")])
    appeal = complaint_appeal(engine)
    head = engine.ledger.head()
    with pytest.raises(gp.ReviewError, match=r"^by: .* a party to appeal A-1; nobody may decide their own case"):
        appeal.uphold(by=by)
    with pytest.raises(gp.ReviewError, match="nobody may decide their own case"):
        appeal.dismiss(by=by, reason="I withdraw")
    assert engine.ledger.head() == head and engine.get_appeal("A-1").status == "open"
    assert engine.score("R1", "2026-11") == -10


def test_the_appellant_cannot_decide_an_appeal_opened_for_someone_else() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member("R1", "urban")])
    appeal = complaint_appeal(engine, by="组长张")  # a team leader appeals on the member's behalf
    with pytest.raises(gp.ReviewError, match=r"^by: '组长张' is the appellant, a party to appeal A-1"):
        appeal.uphold(by="组长张")
    assert appeal.uphold(by="考核办").status == "upheld"


@pytest.mark.parametrize("levels_by", [("审核员", "r1"), ("r1", "审核员"), ("Ｒ１", "主任")])
def test_a_member_cannot_decide_their_own_appeal_at_either_level_of_two_level_review(
    levels_by: tuple[str, str],
) -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW, appeal_levels=2)
    engine.add_members([gp.Member("R1", "urban")])
    appeal = complaint_appeal(engine)
    first, final = levels_by
    if same_person(first, "R1"):
        with pytest.raises(gp.ReviewError, match="nobody may decide their own case"):
            appeal.uphold(by=first)
        return
    reviewed = appeal.uphold(by=first)
    with pytest.raises(gp.ReviewError, match="nobody may decide their own case"):
        reviewed.uphold(by=final)
    assert engine.get_appeal("A-1").status == "reviewed" and engine.score("R1", "2026-11") == -10


@pytest.mark.parametrize("approver", ["li", "LI", " Li ", "Ｌｉ"])
def test_the_reviewer_and_the_approver_are_two_people_whatever_the_case_or_width(approver: str) -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW, appeal_levels=2)
    engine.add_members([gp.Member("R1", "urban")])
    reviewed = complaint_appeal(engine).uphold(by="Li")
    with pytest.raises(gp.ReviewError, match="reviewed appeal A-1; a different person must take the final decision"):
        reviewed.uphold(by=approver)
    assert reviewed.uphold(by="Wang").status == "upheld"


def test_a_member_cannot_correct_their_own_event_nor_move_an_event_onto_themselves() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member("R1", "urban"), gp.Member("M2", "urban", name="老王")])
    engine.ingest([gp.Event("p1", "R1", "patrol", at(3))])
    head = engine.ledger.head()
    with pytest.raises(gp.ReviewError, match=r"^by: 'r1' is member 'R1', a party to event 'p1'"):
        engine.correct("p1", gp.Event("p1b", "R1", "mediation", at(3), attributes={"evidence": "x"}),
                       by="r1", reason="it was a mediation")
    with pytest.raises(gp.ReviewError, match=r"^by: '老王' is the name of member 'M2', a party to event 'p1'"):
        engine.correct("p1", gp.Event("p1b", "M2", "patrol", at(3)), by="老王", reason="it was mine")
    assert engine.ledger.head() == head


def test_a_member_cannot_approve_their_own_event_on_the_command_line(run: Run, tmp_path: Path) -> None:
    members = write(tmp_path / "members.csv", "id,region,name\nM001,urban,小李\n")
    events = write(tmp_path / "events.csv", EVENT_HEADER + "m1,M001,mediation,2026-09-06T15:00:00+08:00,,,\n")
    assert run("members", str(members))[0] == 0
    assert run("ingest", str(events))[1].endswith("1 held, 0 rejected, 0 duplicate\n")
    code, _, err = run("--by", "m001", "review", "approve", "m1")
    assert (code, err) == (2, "gridpoints review: error: by: 'm001' is member 'M001', a party to event 'm1'; "
                              "nobody may decide their own case — another person must\n")
    assert run("--by", "审核员", "review", "approve", "m1")[0] == 0


def test_tests_may_switch_the_rule_off() -> None:
    engine = engine_with_held_mediation(allow_self_decisions=True)
    assert engine.review.approve("m1", by="R1") == 1
    assert complaint_appeal(engine).uphold(by="r1").status == "upheld"


_ALNUM = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=12)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


@given(name=_ALNUM, pad=st.sampled_from(["", " ", "\t", "\u3000"]), upper=st.booleans(), wide=st.booleans())
def test_a_name_in_another_case_width_or_padding_is_the_same_person(
    name: str, pad: str, upper: bool, wide: bool
) -> None:
    variant = name.upper() if upper else name.lower()
    variant = pad + (_full_width(variant) if wide else variant) + pad
    assert same_person(name, variant)


@given(a=_ALNUM, b=_ALNUM)
def test_names_that_differ_beyond_case_are_two_people(a: str, b: str) -> None:
    assert same_person(a, b) == (a.lower() == b.lower())
