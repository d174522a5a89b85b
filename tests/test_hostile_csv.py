"""Hostile input files (issue 14, defects 1, 12 and 13), each test written as the attack, and
a Hypothesis fuzz test of the CSV / JSON Lines reader: every record ends in exactly one outcome
or one located rejection, never a traceback, and the counts add up."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.cli.importing import BadRow, RejectsWriter, import_events
from gridpoints.cli.progress import Progress
from gridpoints.cli.records import REQUIRED_EVENT_FIELDS
from gridpoints.cli.sources import InputError, open_source
from tests.conftest import NOW, Run
from tests.test_cli import write
from tests.test_cli_import import stored_event

MEMBERS = "id,region,name\nM001,urban,小李\n"
#: The documented limits (docs/cli.md): a field, and a record (sixteen fields).
FIELD_LIMIT = 65_536
RECORD_LIMIT = 1_048_576
HEADER = "id,member_id,kind,occurred_at,note\n"


def row(event_id: str, day: int, note: str = "ok") -> str:
    return f"{event_id},M001,patrol,2026-09-{day:02d}T09:00:00+08:00,{note}\n"


def booked(db: Path, *event_ids: str) -> list[str]:
    with gp.Engine(str(db), load_entrypoints=False) as engine:
        return sorted(r[0] for r in engine.store.event_rows(event_ids=list(event_ids)))


def lines_in(text: str) -> int:
    return len(re.findall(r"\r\n|\r|\n", text))


# -- defect 1: a huge quoted field full of line breaks ----------------------------------------


@pytest.mark.parametrize("copies", [5_000, 60_000], ids=["over-csv-field-limit", "over-record-limit"])
def test_a_huge_quoted_field_of_forged_rows_is_one_rejected_row_and_reading_resumes(
    run: Run, tmp_path: Path, copies: int
) -> None:
    """Attack: the text inside one quoted field is a list of rows; none may be booked."""
    write(tmp_path / "members.csv", MEMBERS)
    assert run("members", "members.csv")[0] == 0
    forged = row("forged", 5, "x")
    field = '"' + forged * copies + '"'  # 235 KB: past csv's 128 KB; 2.8 MB: past the record limit
    before = HEADER + row("g1", 1)
    text = before + f"big,M001,patrol,2026-09-02T09:00:00+08:00,{field}\n" + row("g2", 3)
    (tmp_path / "events.csv").write_text(text, encoding="utf-8", newline="")
    code, out, err = run("ingest", "events.csv", "--rejects", "rejects.csv")
    assert code == 1
    assert out == "events.csv: 3 rows: 2 accepted, 0 held, 1 rejected, 0 duplicate\n"
    big_line = lines_in(before) + 1
    assert err.startswith(f"events.csv:{big_line}: ")
    assert booked(tmp_path / "gridpoints.db", "g1", "g2", "forged", "big") == ["g1", "g2"]
    # The rejects file holds that one row (and its reason), not millions of fragments of it.
    from gridpoints.cli.splitting import csv_records  # (imported here: the test must run on old code too)

    with (tmp_path / "rejects.csv").open(encoding="utf-8", newline="") as rejects:
        assert [r.line for r in csv_records(rejects)] == [1, 2]
    assert (tmp_path / "rejects.csv").stat().st_size <= len(text.encode()) + 200
    assert run("verify")[1] == "ledger intact: 2 entries\n"


def test_json_lines_past_the_record_limit_is_rejected_at_its_line(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "members.csv", MEMBERS)
    run("members", "members.csv")
    event = {"id": "j1", "member_id": "M001", "kind": "patrol", "occurred_at": "2026-09-01T09:00:00+08:00"}
    huge = {**event, "id": "j2", "note": "x" * (RECORD_LIMIT + 10)}
    long = {**event, "id": "j3", "note": "y" * 70_000}
    lines = [event, huge, long, {**event, "id": "j4"}]
    (tmp_path / "e.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    _, out, err = run("ingest", "e.jsonl")
    assert out == "e.jsonl: 4 rows: 2 accepted, 0 held, 2 rejected, 0 duplicate\n"
    assert err.splitlines() == [
        f"e.jsonl:2: (line): is {len(json.dumps(huge)) + 1:,} characters long, over the limit of 1,048,576 for a "
        "record; none of it is imported [invalid]",
        "e.jsonl:3: note: is 70,000 characters long; the limit is 65,536 [invalid]",
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"id": "n", "quantity": NaN}', "(line): not valid JSON: NaN is not a JSON number"),
        ('{"id": "n", "quantity": 1' + "0" * 5000 + "}", "(line): not valid JSON: Exceeds the limit (4300 digits)"),
        ("[" * 100_000, "(line): not valid JSON: nested too deeply"),
    ],
    ids=["nan", "5000-digit-integer", "nested"],
)
def test_json_that_python_cannot_hold_is_a_bad_line_not_a_traceback(
    run: Run, tmp_path: Path, line: str, reason: str
) -> None:
    (tmp_path / "e.jsonl").write_text(line + "\n", encoding="utf-8")
    code, out, err = run("ingest", "e.jsonl")
    assert (code, out) == (1, "e.jsonl: 1 rows: 0 accepted, 0 held, 1 rejected, 0 duplicate\n")
    assert err.startswith(f"e.jsonl:1: {reason}")


# -- defect 12: the rejects file keeps what was typed -----------------------------------------


def test_the_rejects_file_keeps_the_raw_text_of_every_rejected_csv_row(run: Run, tmp_path: Path) -> None:
    """Attack: rows the reader cannot split (too many or too few fields, over the size limit)."""
    write(tmp_path / "members.csv", MEMBERS)
    run("members", "members.csv")
    oversized = 'huge,M001,patrol,2026-09-04T09:00:00+08:00,"' + "z" * RECORD_LIMIT + '"'
    bad = [
        "long,M001,patrol,2026-09-01T09:00:00+08:00,a,EXTRA,more",
        "short,M001",
        '"two\nlines",M001,patrol,2026-09-02T09:00:00+08:00',
        oversized,
        "nobody,M404,patrol,2026-09-03T09:00:00+08:00,=HYPERLINK(1)",
    ]
    (tmp_path / "e.csv").write_text(HEADER + "\n".join(bad) + "\n" + row("g1", 5), encoding="utf-8", newline="")
    _, out, _ = run("ingest", "e.csv", "--rejects", "r.csv")
    assert out == "e.csv: 6 rows: 1 accepted, 0 held, 5 rejected, 0 duplicate\n"
    header, *rows = csv.reader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"), newline=""))
    assert header == ["id", "member_id", "kind", "occurred_at", "note", "reject_reason", "reject_raw"]
    assert all(len(r) == len(header) for r in rows)  # the reason is always under its own header
    records = [dict(zip(header, r, strict=True)) for r in rows]
    assert [r["reject_raw"] for r in records[:3]] == bad[:3]
    assert records[3]["reject_raw"] == oversized[:FIELD_LIMIT]  # a record over the limit: its start
    assert [r["reject_reason"].split(": ")[0] for r in records] == [
        "e.csv:2", "e.csv:3", "e.csv:4", "e.csv:6", "e.csv:7"]  # fmt: skip
    assert records[4]["note"] == "=HYPERLINK(1)" and records[4]["reject_raw"] == ""  # its cells are its text
    # Imported again unchanged, every row is rejected again and still carries what was typed.
    run("ingest", "r.csv", "--rejects", "r2.csv")
    again = list(csv.DictReader(io.StringIO((tmp_path / "r2.csv").read_text(encoding="utf-8"), newline="")))
    assert [r["reject_raw"] for r in again] == [r["reject_raw"] for r in records]


def test_the_rejects_file_keeps_json_lines_as_they_were_written(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "members.csv", MEMBERS)
    run("members", "members.csv")
    typed = ['{"id": "a", "member_id": "M404", "kind": "patrol", "occurred_at": "2026-09-01T09:00:00+08:00", '
             '"quantity": 1.50, "size": 2.0}',
             "not json at all",
             '{}']  # fmt: skip
    (tmp_path / "e.jsonl").write_text("\n".join(typed) + "\n", encoding="utf-8")
    run("ingest", "e.jsonl", "--rejects", "r.jsonl")
    written = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    assert written[0].startswith(typed[0][:-1] + ', "reject_reason": "e.jsonl:1: member_id: no member')
    assert json.loads(written[1]) == {"reject_reason": "e.jsonl:2: (line): not valid JSON: Expecting value at "
                                      "column 1 [invalid]", "reject_raw": "not json at all"}  # fmt: skip
    assert written[2] == '{"reject_reason": "e.jsonl:3: id: missing [invalid]"}'
    # The reject columns are never read as attributes.
    run("ingest", "r.jsonl", "--rejects", "r2.jsonl")
    again = [json.loads(line) for line in (tmp_path / "r2.jsonl").read_text(encoding="utf-8").splitlines()]
    assert again[1]["reject_raw"] == "not json at all"


# -- defect 13: encodings ---------------------------------------------------------------------


def test_a_latin1_file_is_refused_not_read_as_gb18030(run: Run, tmp_path: Path) -> None:
    """Attack (or accident): Latin-1 ``Cafés`` decodes as GB18030 ``Caf閟``."""
    write(tmp_path / "members.csv", MEMBERS)
    run("members", "members.csv")
    (tmp_path / "e.csv").write_bytes((HEADER + row("e1", 1, "Cafés")).encode("latin-1"))
    code, out, err = run("ingest", "e.csv")
    assert (code, out) == (2, "")
    assert "e.csv:2: is not UTF-8, and reading it as GB18030 is doubtful" in err
    assert "Caf閟" in err and "--encoding" in err
    assert booked(tmp_path / "gridpoints.db", "e1") == []
    assert run("ingest", "--encoding", "latin-1", "e.csv")[0] == 0
    assert stored_event(tmp_path / "gridpoints.db", "e1").attributes == {"note": "Cafés"}


@pytest.mark.parametrize(
    ("parts", "line", "other"),
    [
        ([("utf-8", 6), ("gb18030", 1), ("utf-8", 1)], 8, 2),  # a UTF-8 file with one GB18030 line
        ([("utf-8", 6), ("latin-1", 1)], 8, 2),
        ([("gb18030", 6), ("utf-8", 2)], 2, 8),  # a GB18030 file with UTF-8 lines appended
    ],
)
def test_a_file_mixing_encodings_is_refused_naming_its_lines(
    run: Run, tmp_path: Path, parts: list[tuple[str, int]], line: int, other: int
) -> None:
    text = HEADER.encode()
    number = 0
    for encoding, count in parts:
        for _ in range(count):
            number += 1
            note = "Crème brûlée" if encoding == "latin-1" else "巡查东区网格"
            text += row(f"e{number}", number, note).encode(encoding)
    (tmp_path / "e.csv").write_bytes(text)
    code, out, err = run("ingest", "e.csv")
    assert (code, out) == (2, "")
    assert f"e.csv:{line}: is not UTF-8" in err and f"but line {other} is: the file mixes encodings" in err


def test_a_bad_byte_after_a_character_split_between_read_chunks_is_on_its_own_line(tmp_path: Path) -> None:
    """The decoder holds a split character's first bytes over; they do not shift the line count."""
    from gridpoints.cli.sources import detect_encoding

    chunk = 1 << 20
    head = b"h\n" + b"a" * (chunk - 4) + "中".encode()[:2]  # the first read ends inside 中
    path = tmp_path / "e.csv"
    path.write_bytes(head + "中".encode()[2:] + b"\xff\nz\n")  # the bad byte is still on line 2
    with pytest.raises(InputError, match=r"e.csv:2: cannot be read as utf-8 "):
        detect_encoding(path, "utf-8")


def test_chinese_gb18030_files_are_still_recognised(tmp_path: Path) -> None:
    """The other side of refusing doubtful files: real GBK text, rare name characters included."""
    names = ["王玥", "李堃", "张三丰", "赵敏", "钱学森", "孙悟空", "周芷若", "吴承恩", "郑和", "冯梦龙"]
    path = tmp_path / "m.csv"
    path.write_bytes(("id,region,name\n" + "".join(f"M{i},urban,{n}\n" for i, n in enumerate(names))).encode("gb18030"))
    assert open_source(path, ["id", "region"]).encoding == "gb18030"


# -- the fuzz test ----------------------------------------------------------------------------


_CHARS = st.sampled_from([*'",\n\r ab中\x00\t=é', "\r\n", '""'])
_TEXT = st.lists(_CHARS, max_size=12).map("".join)
# Big pieces are built, not drawn: Hypothesis shrinks them away otherwise.
_BIG = st.sampled_from(["", '"' + "f,M001,patrol,2026-09-01T09:00:00+08:00\n" * 2_000 + '"',
                        "q" * 70_000, '"' + ("y" * 300_000 + "\n") * 4 + '"'])  # fmt: skip
_CELL = st.one_of(_TEXT, _TEXT, _BIG, st.sampled_from(["M001", "patrol", "2026-09-01T09:00:00+08:00"]))


def _engine() -> gp.Engine:
    engine = gp.Engine(clock=lambda: NOW, load_entrypoints=False)
    engine.add_members([gp.Member("M001", "urban")])
    return engine


def _import(path: Path, encoding: str | None, tmp: Path) -> tuple[object, list[BadRow], int]:
    """Import ``path``; return its counts, the bad rows reported, and the rejects file's rows."""
    source = open_source(path, REQUIRED_EVENT_FIELDS, encoding)
    bad: list[BadRow] = []
    rejects = RejectsWriter(tmp / f"{path.name}.rejects")

    def report(row: BadRow) -> None:
        bad.append(row)
        rejects.write(row)

    ((_, counts),) = import_events(_engine(), [source], assume=None, report=report,
                                   progress=Progress(io.StringIO()), batch_size=7)  # fmt: skip
    rejects.close()
    return counts, bad, rejects.written


@pytest.mark.slow  # 60 imports of generated files
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(st.booleans(), st.lists(_CELL, min_size=3, max_size=6)), max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_fuzz_rows_written_as_csv_each_end_in_exactly_one_outcome(
    tmp_path: Path, rows: list[tuple[bool, list[str]]], encoding: str
) -> None:
    """Any cells, quotes, line breaks and huge fields: one outcome per record, at its line."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["id", "member_id", "kind", "occurred_at", "note"])
    starts: dict[int, str] = {}  # the line each record starts on → its id if written valid
    for i, (valid, cells) in enumerate(rows):
        starts[lines_in(buffer.getvalue()) + 1] = f"r{i}" if valid else ""
        event = [f"r{i}", "M001", "patrol", f"2026-09-{i + 1:02d}T09:00:00+08:00", cells[0]]
        writer.writerow(event if valid else cells)
    path = tmp_path / f"f{len(list(tmp_path.iterdir()))}.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    counts, bad, written = _import(path, encoding, tmp_path)
    assert counts.rows == len(starts)  # type: ignore[attr-defined]
    assert counts.accepted + counts.held + counts.rejected + counts.duplicate == counts.rows  # type: ignore[attr-defined]
    assert len(bad) == counts.rejected == written  # type: ignore[attr-defined]
    assert {b.record.line for b in bad} <= set(starts) and len({b.record.line for b in bad}) == len(bad)
    big = {line for line, event_id in starts.items() if event_id and len(rows[int(event_id[1:])][1][0]) > FIELD_LIMIT}
    assert big <= {b.record.line for b in bad}


_BYTES = st.one_of(st.binary(max_size=40), _TEXT.map(lambda t: t.encode("utf-8")),
                   _TEXT.map(lambda t: t.encode("gb18030")), _TEXT.map(lambda t: t.encode("latin-1", "replace")),
                   st.sampled_from([b'"', b"\n", b"\r", b",", b"{", b"}", b'{"id": "x"}', b"\xff\xfe", b"\xef\xbb\xbf",
                                    b'"' * 3, b"e1,M001,patrol,2026-09-01T09:00:00+08:00\n"]))  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.lists(_BYTES, max_size=20).map(b"".join),
    suffix=st.sampled_from([".csv", ".jsonl"]),
    encoding=st.sampled_from([None, "utf-8", "gb18030", "latin-1"]),
)
def test_fuzz_random_bytes_never_crash_and_every_record_is_counted(
    tmp_path: Path, body: bytes, suffix: str, encoding: str | None
) -> None:
    head = b"id,member_id,kind,occurred_at\n" if suffix == ".csv" else b""
    path = tmp_path / f"f{len(list(tmp_path.iterdir()))}{suffix}"
    path.write_bytes(head + body)
    try:
        counts, bad, written = _import(path, encoding, tmp_path)
    except InputError as error:  # a usage error (encoding, header): located, before anything is read
        assert str(error).startswith((str(path), "--encoding"))
        return
    total = counts.accepted + counts.held + counts.rejected + counts.duplicate  # type: ignore[attr-defined]
    assert total == counts.rows and len(bad) == counts.rejected == written  # type: ignore[attr-defined]
    last_line = (head + body).count(b"\n") + (head + body).count(b"\r") + 1
    assert all(1 <= b.record.line <= last_line for b in bad)


def test_a_line_break_split_by_the_size_limit_still_ends_one_line(tmp_path: Path) -> None:
    """A size-limited read can stop between \\r and \\n; the next record must keep its line number."""
    from gridpoints.cli.splitting import csv_records

    path = tmp_path / "e.csv"
    path.write_bytes(b"a" * RECORD_LIMIT + b"\r\nb,c\r\n")  # the limit falls right after the \r
    with path.open(encoding="utf-8", newline="") as handle:
        assert [(r.line, r.oversized) for r in csv_records(handle)] == [(1, True), (2, False)]


@settings(max_examples=300, deadline=None)
@given(st.lists(_CHARS, max_size=60).map("".join))
def test_records_split_exactly_where_the_csv_module_splits_them(text: str) -> None:
    """The bounded splitter agrees with ``csv.reader`` on boundaries, fields and line numbers."""
    from gridpoints.cli.splitting import csv_fields, csv_records

    expected = []
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    for fields in reader:
        expected.append((line, fields or [""]))
        line = reader.line_num + 1
    got = [(r.line, csv_fields(r.text) or [""]) for r in csv_records(io.StringIO(text, newline=""))]
    assert got == expected
