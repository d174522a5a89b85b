"""appeal, correct, close, checkpoint and review filters through the command line's entry point."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Run
from tests.test_cli import EVENT_HEADER, write, xiao_li_csv


def loaded(run: Run, tmp_path: Path) -> None:
    members, events = xiao_li_csv(tmp_path)
    assert run("members", str(members))[0] == 0
    assert run("ingest", str(events))[0] == 0


def entries(run: Run, member: str = "M001", period: str = "2026-09") -> list[dict[str, object]]:
    code, out, _ = run("explain", member, period, "--format", "json")
    assert code == 0
    result: list[dict[str, object]] = json.loads(out)
    return result


def score(run: Run, member: str = "M001", period: str = "2026-09") -> str:
    return run("explain", member, period)[1].splitlines()[0].rsplit(" ", 1)[1]


def test_appeal_open_list_uphold_dismiss(run: Run, tmp_path: Path) -> None:
    loaded(run, tmp_path)
    mediation = next(e for e in entries(run) if e["kind"] == "mediation")
    patrol = next(e for e in entries(run) if e["kind"] == "patrol")
    code, out, _ = run("--by", "小李", "appeal", "open", str(mediation["seq"]), "--reason", "已调解成功")
    assert code == 0
    appeal_id = out.split()[1]
    assert out == f"appeal {appeal_id} opened against entry {mediation['seq']} of M001 (by 小李)\n"
    code, out, _ = run("--by", "x", "appeal", "open", str(patrol["seq"]), "--reason", "not mine")
    other_id = out.split()[1]
    listing = run("appeal", "list", "--status", "open")[1].splitlines()
    assert [line.split()[:4] for line in listing[2:]] == [
        [appeal_id, str(mediation["seq"]), "M001", "open"], [other_id, str(patrol["seq"]), "M001", "open"]]

    code, out, _ = run("--by", "主任", "appeal", "uphold", appeal_id, "--note", "同意")
    assert code == 0 and out.startswith(f"appeal {appeal_id} upheld (by 主任): reversal entry ")
    assert score(run) == "112.00"  # 127 − the contested mediation's 15
    assert [e["reason"] for e in entries(run)].count("reversal") == 1
    assert run("--by", "主任", "appeal", "dismiss", other_id, "--reason", "巡查记录属实")[1] == (
        f"appeal {other_id} dismissed (by 主任): 巡查记录属实\n")
    assert score(run) == "112.00"
    assert [line.split()[3] for line in run("appeal", "list")[1].splitlines()[2:]] == ["upheld", "dismissed"]

    code, _, err = run("appeal", "uphold", appeal_id)
    assert code == 2 and "error:" in err
    code, _, err = run("appeal", "open", "99999", "--reason", "x")
    assert code == 2 and "99999" in err
    code, _, err = run("appeal", "open", "1")
    assert code == 2 and "the following arguments are required: --reason" in err


def test_appeal_ids_on_the_command_line(run: Run, tmp_path: Path) -> None:
    loaded(run, tmp_path)
    mediation, patrol = (next(e for e in entries(run) if e["kind"] == kind) for kind in ("mediation", "patrol"))
    assert run("--by", "小李", "appeal", "open", str(mediation["seq"]), "--reason", "已调解成功")[1].startswith(
        "appeal A-1 opened against entry ")
    code, out, _ = run("--by", "小李", "appeal", "open", str(patrol["seq"]), "--reason", "不是我")
    assert (code, out.split()[1]) == (0, "A-2")
    code, _, err = run("--by", "主任", "appeal", "uphold", "X-1")
    assert (code, err.splitlines()[-1]) == (
        2, "gridpoints appeal uphold: error: argument appeal_id: appeal_id: 'X-1' is not an appeal id like 'A-12'")
    code, _, err = run("--by", "主任", "appeal", "dismiss", "A-3", "--reason", "x")
    assert (code, err) == (2, "gridpoints appeal: error: appeal_id: no appeal A-3 (the last one opened is A-2)\n")
    assert run("--by", "主任", "appeal", "uphold", "A-1")[1].startswith("appeal A-1 upheld (by 主任): reversal entry ")
    # A plain number is the seq of the decision that opened an appeal, as appeal ids were before.
    seq = next(e["seq"] for e in entries(run) if e["kind"] == "decision" and e["rule"] == "appeal"
               and e["ref"] == f"seq:{patrol['seq']}")
    dismissed = run("--by", "主任", "appeal", "dismiss", str(seq), "--reason", "属实")[1]
    assert dismissed == "appeal A-2 dismissed (by 主任): 属实\n"


def test_correct_replaces_a_booked_event(run: Run, tmp_path: Path) -> None:
    loaded(run, tmp_path)
    code, out, _ = run("--by", "ops", "correct", "p1", "--kind", "service", "--set", "note=上门服务",
                       "--reason", "录入类型错误")
    assert code == 0 and out.startswith("corrected p1 → p1.c1 (by ops, decision ")
    assert score(run) == "132.00"  # a 5-point patrol became a 10-point service
    replacement = next(e for e in entries(run) if e["event_id"] == "p1.c1")
    assert (replacement["kind"], replacement["reason"], replacement["ref"]) == ("service", "correction", "p1")

    code, _, err = run("correct", "p1", "--kind", "service", "--reason", "again")
    assert code == 2 and "p1" in err and "corrected" in err
    code, _, err = run("correct", "nope", "--reason", "x")
    assert (code, err) == (2, "gridpoints correct: error: event_id: no event 'nope'\n")
    code, _, err = run("correct", "p2", "--set", "oops", "--reason", "x")
    assert (code, err) == (2, "gridpoints correct: error: --set: 'oops' is not KEY=VALUE\n")
    code, _, err = run("correct", "p2", "--occurred-at", "2026-09-02 10:00", "--reason", "x")
    assert code == 2 and "--occurred-at: '2026-09-02 10:00' has no time zone" in err
    code, out, _ = run("correct", "p2", "--occurred-at", "2026-09-02 10:00", "--assume-tz", "--new-id", "p2-fixed",
                       "--reason", "时间录错")
    assert code == 0 and "p2 → p2-fixed" in out
    assert score(run) == "132.00"


def test_close_freezes_a_month_once(run: Run, tmp_path: Path) -> None:
    loaded(run, tmp_path)
    before = run("report", "2026-09", "--format", "json")[1]
    code, out, _ = run("--by", "局长", "close", "2026-09", "--note", "九月结账")
    assert code == 0 and out.startswith("closed 2026-09 (by 局长): report frozen at ledger entry ")
    assert run("report", "2026-09", "--format", "json")[1] == before
    code, _, err = run("close", "2026-09")
    assert code == 2 and "was closed by 局长" in err
    assert run("close", "2026-Q3") == (
        2, "", "gridpoints close: error: period: only a month can be closed, not 2026-Q3\n")
    # A late event for the closed month changes nothing in its report.
    late = write(tmp_path / "late.csv", EVENT_HEADER + "late-p,M001,patrol,2026-09-25T09:00:00+08:00,,,\n")
    assert run("ingest", str(late))[0] == 0
    assert run("report", "2026-09", "--format", "json")[1] == before


def test_checkpoints_printed_and_verified(run: Run, tmp_path: Path) -> None:
    loaded(run, tmp_path)
    code, plain, _ = run("checkpoint")
    assert code == 0 and plain.startswith("gpcp2:23:") and plain.split(":")[3] == "1"  # intake 1: the load
    (tmp_path / "key").write_bytes(b"s3cret\n")
    sealed = run("checkpoint", "--key-file", "key")[1].strip()
    more = write(tmp_path / "more.csv", EVENT_HEADER + "x1,M002,patrol,2026-09-03T09:00:00+08:00,,,\n")
    run("ingest", str(more))
    assert run("verify", "--checkpoint", plain.strip()) == (0, "ledger intact: 24 entries (checkpoint matches)\n", "")
    assert run("verify", "--checkpoint", sealed, "--key-file", "key")[0] == 0
    code, _, err = run("verify", "--checkpoint", sealed)
    assert code == 2 and "--checkpoint:" in err and "key" in err
    (tmp_path / "wrong").write_bytes(b"guess")
    assert run("verify", "--checkpoint", sealed, "--key-file", "wrong")[0] == 1
    prefix, seq, head, intake, intake_hash = plain.strip().split(":")
    forged = ":".join([prefix, seq, head[:-4] + "0000", intake, intake_hash])
    code, out, _ = run("verify", "--checkpoint", forged)
    assert code == 1 and out.startswith("ledger BROKEN at seq 23")
    forged = ":".join([prefix, seq, head, intake, intake_hash[:-4] + "0000"])
    code, out, _ = run("verify", "--checkpoint", forged)
    assert code == 1 and out.startswith("ledger BROKEN in table intakes, row seq 1: the intake log differs from")
    code, _, err = run("verify", "--checkpoint", "garbage")
    assert code == 2 and "--checkpoint: " in err
    code, _, err = run("checkpoint", "--key-file", "absent")
    assert (code, err) == (2, "gridpoints checkpoint: error: --key-file: absent: No such file or directory\n")


def test_review_list_filters(run: Run, tmp_path: Path) -> None:
    members, _ = xiao_li_csv(tmp_path)
    run("members", str(members))
    events = write(tmp_path / "events.csv", EVENT_HEADER
                   + "m1,M001,mediation,2026-09-03T09:00:00+08:00,,,\n"
                   + "m2,M002,mediation,2026-09-04T09:00:00+08:00,,,\n"
                   + "m3,M001,mediation,2026-08-04T09:00:00+08:00,,,\n")
    code, out, _ = run("ingest", str(events))
    assert (code, out) == (0, f"{events}: 3 rows: 0 accepted, 3 held, 0 rejected, 0 duplicate\n")

    def held(*filters: str) -> list[str]:
        code, out, _ = run("review", "list", *filters)
        assert code == 0
        return [line.split()[0] for line in out.splitlines()[2:]]

    assert held() == ["m3", "m1", "m2"]
    assert held("--member", "M001") == ["m3", "m1"]
    assert held("--period", "2026-09", "--check", "evidence") == ["m1", "m2"]
    assert run("review", "list", "--kind", "patrol")[1] == "没有待审核的事件\n"
    code, _, err = run("review", "list", "--period", "Sept")
    assert code == 2 and "period: 'Sept'" in err
