"""Ingest, in stages: parse → dedupe → admit per chunk, then judge → book per event (checks,
rules, coefficients, chained entries) in ``occurred_at`` order, then id.

Judging in time order makes every verdict and every capped entry independent of the order the
events arrived in and of the chunk size: the admitted events of the whole call are gathered
first (when checks or caps make order matter; otherwise each chunk is booked as it comes), and
the checks' running state (``_running.RunningState``) is loaded once for the call.

A ``Pipeline`` is compiled once when an engine is built; ``ingest`` then runs plain Python per
event: dict look-ups, a first-match over the kind's compiled rules, cached coefficients, and
one SHA-256 per entry. Store queries are made once per chunk (ids) or once per call (the
checks' history, cap totals), never per event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from heapq import merge
from itertools import islice
from operator import attrgetter
from typing import Any

from gridpoints._decimal import award_cents, canonical
from gridpoints.checks import Check, Verdict
from gridpoints.errors import PluginError
from gridpoints.ingest._call import Call
from gridpoints.ingest._caps import CapsAndLimits
from gridpoints.ingest._ready import Ready
from gridpoints.ingest._running import RunningState, is_legacy, warn_legacy
from gridpoints.ingest.admission import Admission, Refusal
from gridpoints.ingest.booking import Booking
from gridpoints.ingest.outcomes import IngestResult, Rejection, conflict_message
from gridpoints.ledger.chain import entry_tail
from gridpoints.model import Event, Member, payload_of
from gridpoints.rules.compiled import CompiledRule, CompiledVersion, RuleBook
from gridpoints.schema import EventValues
from gridpoints.stores import Transaction
from gridpoints.timeline import Timeline

__all__ = ["Pipeline"]

_MICROSECOND = timedelta(microseconds=1)
ONE = Decimal(1)
#: How far ahead of the clock an event may claim to have happened (clock skew between devices).
FUTURE_TOLERANCE = timedelta(minutes=5)

CoefficientLookup = Callable[[Member, str, str, CompiledVersion], Decimal]


def _repeat(
    duplicates: list[tuple[int, str]],
    rejected: list[Rejection],
    event: Event,
    payload: str,
    known: tuple[str, str],
    index: int,
) -> None:
    """An id the store or this call already knows (``known``: its payload and status): a
    duplicate, or a conflict if changed."""
    known_payload, status = known
    if known_payload == payload:
        duplicates.append((index, event.id))
        return
    rejected.append(Rejection(event.id, "conflict", conflict_message(event.id, status), index))


def _in_input_order(outcomes: list[tuple[int, str]]) -> tuple[str, ...]:
    """Event ids by input index (judging runs in time order; results read in input order)."""
    outcomes.sort()
    return tuple(event_id for _, event_id in outcomes)


def _event_row(
    event: Event,
    occurred: int,
    month: str,
    status: str,
    payload: str,
    check: str = "",
    reason: str = "",
    ref: str = "",
) -> EventValues:
    """The events-table row of ``event`` in ``EVENT_COLUMNS`` order: ``month`` is its own month
    (even when it is booked in a later one); ``check``/``reason``/``ref`` say why it is held, or
    (``ref`` alone) which event a replacement corrects."""
    return (event.id, event.member_id, event.kind, occurred, month, status, payload, check, reason, ref)


class Pipeline:
    """The compiled ingest path of one engine."""

    def __init__(
        self,
        *,
        tz: tzinfo,
        rulebook: RuleBook,
        checks: Iterable[tuple[Check, str]],
        coefficient: CoefficientLookup,
        members: Mapping[str, Member],
        clock: Callable[[], datetime],
        chunk_size: int = 5000,
    ) -> None:
        self.tz = tz
        self.rulebook = rulebook
        self.coefficient = coefficient
        self.admission = Admission(members, rulebook, tz)
        self.clock = clock
        self.chunk_size = chunk_size
        checks = list(checks)
        self.check_window = max((c.window for c, _ in checks), default=timedelta(0))
        #: The attributes of stored events any check reads (``Check.needs``): all that is parsed.
        self.needs: frozenset[str] = frozenset().union(*(getattr(c, "needs", frozenset()) for c, _ in checks))
        # Per-kind check lists, compiled once: a kind no check names costs one dict miss. The
        # flag marks a check written to the old ``inspect`` interface (run through an adapter).
        self.checks_by_kind: dict[str, tuple[tuple[Check, str, bool], ...]] = {}
        self._legacy = False
        for check, _ in checks:
            if is_legacy(check):
                warn_legacy(check)
                self._legacy = True
        for kind in rulebook.kinds:
            applicable = tuple(
                (c, p, is_legacy(c)) for c, p in checks if c.kinds is None or kind in c.kinds
            )
            if applicable:
                self.checks_by_kind[kind] = applicable
        # (rule id, quantity, coefficient) → (hundredths, coefficient text, quantity text, entry tail).
        self._cents: dict[tuple[int, object, Decimal], tuple[int, str, str, str]] = {}
        self._labels: dict[int, tuple[str, str]] = {}
        # Rule sets without caps or count limits (the standard one) skip the per-chunk bookkeeping.
        self._has_caps = any(
            rule.cap is not None or rule.limit is not None
            for version in rulebook.versions
            for group in version.by_kind.values()
            for rule in group
        )
        self._caps = CapsAndLimits()
        # Checks and caps see a member's earlier events: then the whole call is judged together,
        # member by member, each member's events in time order.
        self._order_matters = bool(self.checks_by_kind) or self._has_caps

    # -- public entry points -------------------------------------------------------------

    def ingest(self, tx: Transaction, items: Iterable[Event | Mapping[str, Any]]) -> IngestResult:
        """Run every item through the pipeline inside ``tx``; return the outcomes."""
        call = Call(tx)
        iterator = iter(items)
        index = 0
        gathered = Ready()
        while chunk := list(islice(iterator, self.chunk_size)):
            ready = self._chunk(call, chunk, index)
            index += len(chunk)
            if self._order_matters:
                gathered.extend(ready)
            else:
                self._judge_and_book(call, ready)
                call.flush_chunks(self.chunk_size)  # nothing waits for later chunks: write now
        if self._order_matters:
            self._judge_and_book(call, gathered)
        call.flush_chunks(self.chunk_size)
        return IngestResult(
            accepted=_in_input_order(call.accepted),
            held=_in_input_order(call.held),
            rejected=tuple(call.rejected),
            duplicates=_in_input_order(call.duplicates),
            entries=call.entry_count,
        )

    def booking(self, tx: Transaction) -> Booking:
        """A Booking on ``tx`` that ``book_event`` can add to (for reviews and corrections)."""
        return Call(tx)

    def book_event(
        self, booking: Booking, event: Event, *, reason: str = "rule", ref: str = "", new: bool = False
    ) -> str:
        """Book ``event`` without checks (a person decided) with the rules in effect at its
        occurred_at; return the month it was booked in. ``reason``/``ref`` mark its main entry
        (``correction`` and the original's id for a replacement); ``new`` also stores the event
        row (status booked, ``ref`` in its ref column) for an event the store has not seen.

        Raises ``ValueError`` naming the problem if the event cannot be booked now.
        """
        if not isinstance(booking, Call):
            raise TypeError("booking: use Pipeline.booking(tx)")
        try:
            member, version, rule = self.admission.admit(event, self.clock() + FUTURE_TOLERANCE)
        except Refusal as error:
            raise ValueError(f"{error.code}: {error.message}") from None
        occurred, payload = payload_of(event)
        self._caps.load(booking, [(event, member, version, rule)], self._day_and_month)
        month = self._book(booking, event, member, version, rule, occurred, reason=reason, ref=ref)
        if new:
            own = self._day_and_month(event.occurred_at)[1]
            booking.events.append(_event_row(event, occurred, own, "booked", payload, ref=ref))
        return month

    # -- stages --------------------------------------------------------------------------

    def _chunk(self, call: Call, chunk: list[Event | Mapping[str, Any]], base: int) -> Ready:
        """One chunk through the first stages, parse → dedupe → admit: return the admitted."""
        indexes, events = self._parse(call, chunk, base)
        conflicts, fresh = self._dedupe(call, indexes, events)
        refused, ready = self._admit(*fresh)
        call.rejected.extend(merge(conflicts, refused, key=attrgetter("index")))
        return ready

    @staticmethod
    def _parse(call: Call, chunk: list[Event | Mapping[str, Any]], base: int) -> tuple[list[int], list[Event]]:
        """Events, and mappings made into events; anything else is an ``invalid`` rejection.

        Parallel lists (input index, event), not tuples per event: see Ready for why.
        """
        indexes: list[int] = []
        events: list[Event] = []
        for offset, item in enumerate(chunk):
            index = base + offset
            if type(item) is Event or isinstance(item, Event):
                indexes.append(index)
                events.append(item)
                continue
            try:
                if not isinstance(item, Mapping):
                    raise TypeError(f"{item!r} is a {type(item).__name__}, not an Event or a mapping")
                event = Event.from_mapping(item)
            except (TypeError, ValueError) as error:
                event_id = item.get("id") if isinstance(item, Mapping) else None
                call.rejected.append(
                    Rejection(event_id if isinstance(event_id, str) else None, "invalid", str(error), index)
                )
                continue
            indexes.append(index)
            events.append(event)
        return indexes, events

    def _dedupe(
        self, call: Call, indexes: list[int], events: list[Event]
    ) -> tuple[list[Rejection], tuple[list[int], list[Event], list[int], list[str]]]:
        """Sort out the ids the store knows, in one look-up per chunk: a duplicate is recorded,
        a changed payload is a conflict (returned). Return the conflicts, and the other events
        (input index, event, instant, canonical payload). Ids repeated within the chunk are judged
        later, against what their first copy became."""
        # Ids repeated within the call are found later, in call.seen, when they are judged.
        ids = list({e.id for e in events})
        stored = call.tx.lookup(ids) if ids else {}
        conflicts: list[Rejection] = []
        fresh_indexes: list[int] = []
        fresh: list[Event] = []
        instants: list[int] = []
        payloads: list[str] = []
        for index, event in zip(indexes, events, strict=True):
            occurred, payload = payload_of(event)
            known = stored.get(event.id)
            if known is not None:
                _repeat(call.duplicates, conflicts, event, payload, known, index)
                continue
            fresh_indexes.append(index)
            fresh.append(event)
            instants.append(occurred)
            payloads.append(payload)
        return conflicts, (fresh_indexes, fresh, instants, payloads)

    def _admit(
        self, indexes: list[int], events: list[Event], instants: list[int], payloads: list[str]
    ) -> tuple[list[Rejection], Ready]:
        """Sort out the events that cannot be scored now (returned as rejections with their
        code) from those that can (Ready, with their member, rule-set version and rule)."""
        deadline = self.clock() + FUTURE_TOLERANCE
        admit = self.admission.admit
        refused: list[Rejection] = []
        ready = Ready()
        for index, event, occurred, payload in zip(indexes, events, instants, payloads, strict=True):
            try:
                member, version, rule = admit(event, deadline)
            except Refusal as error:
                refused.append(Rejection(event.id, error.code, error.message, index))
                continue
            ready.add(index, event, member, version, rule, occurred, payload)
        return refused, ready

    def _judge_and_book(self, call: Call, ready: Ready) -> None:
        """Judge each admitted event by its checks, then hold, reject or book it, member by member
        and each member's in order of ``occurred_at`` then id: a booked or held event is history
        for the member's events after it."""
        if not ready.events:
            return
        state = self._load_state(call, ready) if self.checks_by_kind else None
        if self._has_caps:
            self._caps.load(call, [(e, m, v, r) for _, e, m, v, r, _, _ in ready], self._day_and_month)
        order = ready.judging_order() if self._order_matters else range(len(ready.events))
        checks_by_kind = self.checks_by_kind
        indexes, events, members, versions, rules, instants, payloads = (
            ready.indexes, ready.events, ready.members, ready.versions, ready.rules, ready.occurred, ready.payloads
        )
        if self._order_matters:
            call.defer(indexes[-1] + 1)  # indexes ascend: the last is the call's highest
        # Rejections of this stage (verdicts, repeated ids) follow the earlier stages' in input order.
        earlier, call.rejected = call.rejected, []
        for position in order:
            event, occurred, payload = events[position], instants[position], payloads[position]
            index = indexes[position]
            # An id repeated within the call is judged against what its first copy became.
            known = call.seen.get(event.id)
            if known is not None:
                _repeat(call.duplicates, call.rejected, event, payload, known, index)
                continue
            labels = self._day_and_month(event.occurred_at)
            if state is not None:
                timeline = state.timelines[event.member_id]
                checks = checks_by_kind.get(event.kind)
                if checks:
                    verdict = self._run_checks(checks, event, occurred, labels[1], timeline, state)
                    if verdict is not None:
                        if verdict.action == "reject":
                            message = f"{verdict.check}: {verdict.reason}"
                            call.rejected.append(Rejection(event.id, "gaming", message, index))
                            continue
                        self._hold(call, verdict, event, occurred, labels[1], payload, index)
                        state.record(timeline, event, occurred)
                        continue
                state.record(timeline, event, occurred)
            call.index = index
            self._book(call, event, members[position], versions[position], rules[position], occurred, labels=labels)
            call.accepted.append((index, event.id))
            call.seen[event.id] = (payload, "booked")
            call.events.append(_event_row(event, occurred, labels[1], "booked", payload))
        if call.deferred is not None:
            call.chain_deferred()
        call.rejected.sort(key=attrgetter("index"))
        call.rejected[:0] = earlier

    @staticmethod
    def _hold(call: Call, verdict: Verdict, event: Event, occurred: int, month: str, payload: str, index: int) -> None:
        """Hold an event for review: stored with the check's reason (and history for the
        checks of later events)."""
        call.held.append((index, event.id))
        call.seen[event.id] = (payload, "held")
        call.events.append(
            _event_row(event, occurred, month, "held", payload, verdict.check, verdict.reason, verdict.ref or "")
        )

    def _run_checks(
        self,
        checks: tuple[tuple[Check, str, bool], ...],
        event: Event,
        occurred: int,
        month: str,
        timeline: Timeline,
        state: RunningState,
    ) -> Verdict | None:
        for check, plugin, legacy in checks:
            try:
                if legacy:
                    verdict = state.inspect(check, event, occurred, timeline, month)
                else:
                    verdict = check.judge(event, occurred, timeline)
            except Exception as error:
                raise PluginError(plugin, f"check {check.name!r} raised {error!r} on event {event.id!r}") from error
            if verdict is not None:
                if not isinstance(verdict, Verdict):
                    raise PluginError(plugin, f"check {check.name!r} returned {verdict!r}, not a Verdict")
                return verdict
        return None

    def _load_state(self, call: Call, ready: Ready) -> RunningState:
        """The running state of the events to judge: their members' booked and held events
        from the earliest event − the widest check window to the latest + it, in one query."""
        window = self.check_window // _MICROSECOND
        state = RunningState(self.tz, self.needs, legacy=self._legacy)
        members = {m.id: m for m in ready.members}
        state.load(call.tx, members.values(), min(ready.occurred) - window, max(ready.occurred) + window)
        return state

    def _day_and_month(self, moment: datetime) -> tuple[str, str]:
        """Local day and month labels of an instant in the engine's zone."""
        local = moment.astimezone(self.tz)
        # Labels are cached per local day (a few hundred keys a year): formatting costs more.
        ordinal = local.toordinal()
        labels = self._labels.get(ordinal)
        if labels is None:
            labels = self._labels[ordinal] = (local.date().isoformat(), f"{local.year:04d}-{local.month:02d}")
        return labels

    # -- booking -------------------------------------------------------------------------

    def _book(
        self,
        call: Call,
        event: Event,
        member: Member,
        version: CompiledVersion,
        rule: CompiledRule,
        occurred: int,
        *,
        reason: str = "rule",
        ref: str = "",
        labels: tuple[str, str] | None = None,
    ) -> str:
        """Chain the event's entries; return the month they are booked in (its own, or the
        first open month after it when its month is closed). ``labels`` are the event's local
        day and month when the caller has them already."""
        day, own_month = labels if labels is not None else self._day_and_month(event.occurred_at)
        month = call.open_month(own_month) if call.closed else own_month
        if month != own_month and not ref:
            ref = f"period:{own_month}"  # booked late: name the closed month it belongs to
        coefficient = self.coefficient(member, event.kind, own_month, version) if rule.positive else ONE
        self._append(
            call, event.id, member.id, event.kind, month, day, version, rule, event.quantity, coefficient, reason, ref
        )
        late = version.late_rule
        if (
            late is not None
            and event.reported_at is not None
            and event.kind in version.reportable
            and event.reported_at - event.occurred_at > version.ruleset.report_deadline
        ):
            self._append(
                call, event.id, member.id, late.rule.kind, month, day, version, late, 1, ONE, "derived", event.id
            )
        return month

    def _append(
        self,
        call: Call,
        event_id: str,
        member_id: str,
        kind: str,
        month: str,
        day: str,
        version: CompiledVersion,
        rule: CompiledRule,
        quantity: int | Decimal,
        coefficient: Decimal,
        reason: str,
        ref: str,
    ) -> None:
        if rule.limit is not None:
            # A count limit counts units before the coefficient; the entry records the units
            # it counted, and units beyond the limit book nothing, with reason "limit".
            quantity, limited = self._caps.count_units(call, member_id, version, rule, day, month, quantity)
            if limited:
                reason = "limit"
        # Points, their texts and the hashed fields that follow from (rule, quantity,
        # coefficient) are computed once per combination: no Decimal work per entry.
        key = (id(rule), quantity, coefficient)
        cached = self._cents.get(key)
        if cached is None:
            points = award_cents(rule.points, quantity, coefficient)
            texts = (canonical(coefficient), str(quantity) if type(quantity) is int else canonical(quantity))  # type: ignore[arg-type]
            cached = self._cents[key] = (
                points,
                *texts,
                entry_tail(points, *texts, rule.id, version.ruleset.id, version.ruleset.version, version.digest),
            )
        cents, coefficient_text, quantity_text, cached_tail = cached
        tail: str | None = cached_tail
        if rule.cap is not None:
            cents, clipped = self._caps.clip_to_cap(call, member_id, version, rule, day, month, cents)
            if clipped:
                reason = "cap"
                tail = None  # clipped points: chain encodes this entry's fields itself
        call.chain(
            (
                member_id,
                event_id,
                kind,
                month,
                day,
                cents,
                coefficient_text,
                quantity_text,
                rule.id,
                version.ruleset.id,
                version.ruleset.version,
                version.digest,
                reason,
                ref,
            ),
            tail,
        )
