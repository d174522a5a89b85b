"""The PostgreSQL store's schema, as numbered migrations recorded in table ``schema_migrations``.

Each migration runs once, in its own transaction, under an advisory lock keyed on the schema
name, so several servers opening a fresh schema at the same moment create it exactly once.
A migration is never edited after release: a change is a new, higher-numbered migration.
"""

from __future__ import annotations

import attrs

from gridpoints.schema import GENESIS

__all__ = ["MIGRATIONS", "Migration"]


@attrs.frozen
class Migration:
    """One schema step: its number, what it does, and the SQL statements that do it."""

    version: int
    description: str
    statements: tuple[str, ...]


_INITIAL = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # The chain head: one row, locked FOR UPDATE by every write (see docs/stores.md).
    "CREATE TABLE chain_head (id SMALLINT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL)",
    f"INSERT INTO chain_head VALUES (1, 0, '{GENESIS}')",
    """CREATE TABLE entries (
        seq BIGINT PRIMARY KEY CHECK (seq > 0), member_id TEXT NOT NULL, event_id TEXT NOT NULL,
        kind TEXT NOT NULL, period TEXT NOT NULL, day TEXT NOT NULL,
        points_cents BIGINT NOT NULL, coefficient TEXT NOT NULL, quantity TEXT NOT NULL,
        rule TEXT NOT NULL, ruleset TEXT NOT NULL, version TEXT NOT NULL, digest TEXT NOT NULL,
        reason TEXT NOT NULL, ref TEXT NOT NULL,
        prev_hash TEXT NOT NULL UNIQUE, hash TEXT NOT NULL UNIQUE)""",
    "CREATE INDEX entries_period_member ON entries (period, member_id) INCLUDE (points_cents)",
    "CREATE INDEX entries_member_period ON entries (member_id, period)",
    """CREATE FUNCTION gridpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'ledger entries are append-only'; END $$""",
    """CREATE TRIGGER entries_no_update BEFORE UPDATE OR DELETE ON entries
        FOR EACH ROW EXECUTE FUNCTION gridpoints_append_only()""",
    """CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
        FOR EACH STATEMENT EXECUTE FUNCTION gridpoints_append_only()""",
    """CREATE TABLE events (
        event_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, kind TEXT NOT NULL,
        occurred_us BIGINT NOT NULL, period TEXT NOT NULL, status TEXT NOT NULL,
        payload TEXT NOT NULL, hold_check TEXT NOT NULL, hold_reason TEXT NOT NULL,
        hold_ref TEXT NOT NULL)""",
    "CREATE INDEX events_member_time ON events (member_id, occurred_us)",
    "CREATE INDEX events_held ON events (occurred_us, event_id) WHERE status = 'held'",
    """CREATE TABLE members (
        id TEXT PRIMARY KEY, region TEXT NOT NULL, grid TEXT, name TEXT,
        joined DATE, left_on DATE, attributes TEXT NOT NULL)""",
    """CREATE TABLE ruleset_versions (
        ruleset TEXT NOT NULL, version TEXT NOT NULL, digest TEXT NOT NULL,
        PRIMARY KEY (ruleset, version))""",
)

_DECISIONS_AND_CLOSES = (
    "CREATE INDEX entries_event ON entries (event_id)",
    "CREATE INDEX entries_ref ON entries (ref) WHERE ref <> ''",
    # One trigger function for every append-only table; the message is the trigger's argument.
    """CREATE FUNCTION gridpoints_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END $$""",
    """CREATE TABLE decisions (
        seq BIGINT PRIMARY KEY, action TEXT NOT NULL, subject TEXT NOT NULL, actor TEXT NOT NULL,
        at TEXT NOT NULL, note TEXT NOT NULL, detail TEXT NOT NULL)""",
    "CREATE INDEX decisions_subject ON decisions (subject)",
    """CREATE TRIGGER decisions_no_update BEFORE UPDATE OR DELETE ON decisions
        FOR EACH ROW EXECUTE FUNCTION gridpoints_refuse('decisions are append-only')""",
    """CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
        FOR EACH STATEMENT EXECUTE FUNCTION gridpoints_refuse('decisions are append-only')""",
    """CREATE TABLE period_closes (
        period TEXT PRIMARY KEY, decision_seq BIGINT NOT NULL, head_seq BIGINT NOT NULL,
        head_hash TEXT NOT NULL, report TEXT NOT NULL)""",
    """CREATE TRIGGER period_closes_no_update BEFORE UPDATE OR DELETE ON period_closes
        FOR EACH ROW EXECUTE FUNCTION gridpoints_refuse('a closed period cannot be reopened')""",
    """CREATE TRIGGER period_closes_no_truncate BEFORE TRUNCATE ON period_closes
        FOR EACH STATEMENT EXECUTE FUNCTION gridpoints_refuse('a closed period cannot be reopened')""",
)

_SETTLEMENTS = (
    """CREATE TABLE settlements (
        period TEXT PRIMARY KEY, head_seq BIGINT NOT NULL, settled_at TIMESTAMPTZ NOT NULL DEFAULT now())""",
)

_REPORT_INDEX = (
    "CREATE INDEX entries_period_member_kind ON entries (period, member_id, kind) INCLUDE (points_cents)",
    "DROP INDEX entries_period_member",
)

# Each entry's hash is unique already: seq is the primary key and prev_hash (the hash before it)
# is unique, so the second unique B-tree over random 64-hex keys only cost every append.
_NO_HASH_INDEX = ("ALTER TABLE entries DROP CONSTRAINT IF EXISTS entries_hash_key",)
_INTAKE_LOG = (
    """CREATE TABLE intakes (
        seq BIGINT PRIMARY KEY CHECK (seq > 0), events INTEGER NOT NULL, digest TEXT NOT NULL,
        prev_hash TEXT NOT NULL UNIQUE, hash TEXT NOT NULL UNIQUE)""",
    """CREATE TRIGGER intakes_no_update BEFORE UPDATE OR DELETE ON intakes
        FOR EACH ROW EXECUTE FUNCTION gridpoints_refuse('the intake log is append-only')""",
    """CREATE TRIGGER intakes_no_truncate BEFORE TRUNCATE ON intakes
        FOR EACH STATEMENT EXECUTE FUNCTION gridpoints_refuse('the intake log is append-only')""",
    # 0: written before the intake log (a note in verify, not a failure).
    "ALTER TABLE events ADD COLUMN intake_seq BIGINT NOT NULL DEFAULT 0",
)

#: Every migration, in order. ``stores.SCHEMA_VERSION`` is the last one's number.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "ledger, events, members, rule-set versions", _INITIAL),
    Migration(2, "review and appeal decisions, closed periods", _DECISIONS_AND_CLOSES),
    Migration(3, "settled months", _SETTLEMENTS),
    Migration(4, "report sums read one covering index (period, member, kind)", _REPORT_INDEX),
    Migration(5, "no second unique index on entries.hash (prev_hash and seq make the chain)", _NO_HASH_INDEX),
    Migration(6, "the intake log: one hashed row per write of event rows", _INTAKE_LOG),
)
