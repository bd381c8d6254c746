"""The fleet's figures, kept per store and recomputed only when the log or the day moves on.

``FleetFigures`` is built once per open store by the composition root. It answers the
dashboard and the unit list from the newest ``FleetSnapshot`` it knows (in memory, else the one
saved in the store's ``SnapshotStore``), at once, marked stale when events were recorded since;
and it recomputes one on request. After a few changes on the same day (a visit saved, a callback
logged), only the units they touch are computed again (``changes.changed_units``); otherwise
every unit's record is read on the loop (one query per kind), the calculations run on the
``ComputeRunner`` the composition root hands in (``app.compute.BackgroundCompute``: a background
thread, so the loop keeps serving other work), and callers asking for the same recompute share
it. A filter of units is then a re-aggregation of the snapshot (``dashboard.board``), never a
recompute.

Figures of a period that includes today end at the moment they are computed; after
``snapshot.FRESH_FOR`` they are computed again. The organization's settings and the sites'
rule sets are read from the store with the records: changing them records events, which moves
the log's mark, so figures computed under the old settings are never shown as current.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Final
from uuid import UUID

from app.domain.compliance import (
    ComplianceItem,
    ComplianceStatus,
    due_order,
    fleet_compliance_items,
)
from app.domain.downtime import Period
from app.domain.entities import Elevator
from app.domain.errors import SiteSyncError
from app.domain.figures import MetricTally
from app.domain.health import health_score
from app.services.organization import organization_settings, rules_book
from app.services.ports import (
    Clock,
    ComputeRunner,
    LogMark,
    SnapshotStore,
    UnitOfWork,
    UnitOfWorkFactory,
    UnitSpan,
)
from app.services.queries.changes import changed_units
from app.services.queries.codec import SnapshotUnreadable, decode_snapshot, encode_snapshot
from app.services.queries.dashboard import Dashboard, DashboardFilter, board
from app.services.queries.fleet import (
    FleetData,
    FleetRow,
    fleet_row,
    load_unit_record,
    read_records,
)
from app.services.queries.lists import ComplianceRow
from app.services.queries.snapshot import (
    FleetPart,
    FleetSnapshot,
    assemble,
    compute_part,
    moment_in,
    snapshot_of,
    update_snapshot,
)

SNAPSHOT_NAME: Final = "fleet-figures"

type _Key = tuple[LogMark, date, frozenset[Period]]


@dataclass(frozen=True, slots=True)
class FleetList:
    """The unit list in the fleet order; ``stale`` while newer figures are being computed."""

    rows: tuple[FleetRow, ...]
    stale: bool = False


class FleetFigures:
    """The fleet's figures for one store: from memory, from the saved copy, or computed."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        saved: SnapshotStore | None = None,
        *,
        runner: ComputeRunner | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._uow = uow_factory
        self._saved = saved
        self._runner: ComputeRunner = runner or InlineCompute()
        """Where the calculations run: the composition root hands in a background runner."""
        self._clock: Clock = clock or SystemClock()
        """What "now" is when a caller names only the day."""
        self._memo: FleetSnapshot | None = None
        self._whole: LogMark | None = None
        """The mark of the newest figures computed whole: every unit up to their ``at``.
        Figures brought up to date since (``_update``) computed the units changed at later
        moments, so another period's tallies are never added to them as of their ``at``: that
        would leave out what was recorded since (a callback logged a minute ago)."""
        self._loading: asyncio.Task[None] | None = None
        self._saved_at: tuple[LogMark, date] | None = None
        self._running: dict[_Key, asyncio.Task[FleetSnapshot]] = {}
        self.computed = 0
        """How many times the figures were computed (tests and benchmarks read it)."""
        self.updated = 0
        """How many of those only computed the units changed since the figures at hand."""
        self.load_error: SiteSyncError | SnapshotUnreadable | None = None
        self.save_error: SiteSyncError | None = None
        """The last failure to read or save the copy in the store: not the user's action, so
        kept for diagnostics; the figures are computed (or kept in memory) all the same."""

    # -- what the screens ask ---------------------------------------------------------------

    async def dashboard(
        self, chosen: DashboardFilter, *, now: datetime, wait: bool = True, lowest: int = 10
    ) -> Dashboard | None:
        """The dashboard for ``chosen``.

        With ``wait`` it is current, computed first if need be. Without, it comes at once from
        the figures at hand (brought up to date first if only a few units changed: that takes
        milliseconds), ``stale`` if the log or the day has moved on since (then with the
        tallies of an equally long period if the chosen one was not computed), or is None
        when there is nothing to show yet.
        """
        today = now.date()
        if wait:
            current = await self.current(today=today, periods=[chosen.period], now=now)
            return board(current, chosen, now=now, lowest=lowest)
        snapshot = await self.cached()
        if snapshot is None:
            return None
        fresh = snapshot.matches(await self.mark(), today, now)
        if not fresh and not self._running:
            updated = await self._update(today, frozenset({chosen.period}), now)
            if updated is not None:
                snapshot, fresh = updated, True
        tallies = snapshot.tallies.get(chosen.period)
        if tallies is None and not fresh:
            tallies = _stand_in(snapshot.tallies, chosen.period)
        if tallies is None:
            return None
        return board(snapshot, chosen, now=now, lowest=lowest, tallies=tallies, stale=not fresh)

    async def fleet_list(self, *, today: date, wait: bool = True) -> FleetList | None:
        """Every active unit's row with its health; ``wait`` as for ``dashboard``."""
        if wait:
            return FleetList(tuple((await self.current(today=today)).rows()))
        snapshot = await self.cached()
        if snapshot is None:
            return None
        fresh = snapshot.matches(await self.mark(), today)
        return FleetList(tuple(snapshot.rows()), stale=not fresh)

    async def rows(self, *, today: date) -> list[FleetRow]:
        """Every active unit's current row (the unit pickers): usually at once from the
        figures at hand, updated for the units changed since."""
        return list((await self.current(today=today)).rows())

    async def every_row(self, *, today: date) -> dict[UUID, FleetRow]:
        """Every unit's row by id, decommissioned ones too (the work and callback logs name
        them); those are few, and scored from their records."""
        rows = {r.elevator_id: r for r in await self.rows(today=today)}
        now = moment_in(today, self._clock.now())
        async with self._uow() as uow:
            gone = [u for u in await uow.elevators.decommissioned() if u.id not in rows]
            names = await _names(uow) if gone else FleetData((), {}, {})
            book = names.rules()
            for unit in gone:
                record = await load_unit_record(uow, unit)
                rules = book.for_unit(unit)
                health = health_score(record, today=today, rules=rules, now=now)
                rows[unit.id] = fleet_row(names, record, health)
        return rows

    async def compliance(self, *, today: date, everything: bool = True) -> list[ComplianceRow]:
        """Every active unit's compliance items (or only those not ``OK`` without
        ``everything``), earliest due first, with the unit's row (the Compliance screen); the
        records are read ``FLEET_PART`` units at a time."""
        rows = {r.elevator_id: r for r in await self.rows(today=today)}
        async with self._uow() as uow:
            units = [u for u in await uow.elevators.list_all() if u.active]
            book = await rules_book(uow)
        items: list[ComplianceItem] = []
        with self._runner.bulk():
            for span, chosen in fleet_parts(units, FLEET_PART):
                async with self._uow() as uow:
                    records = await read_records(uow, chosen, span, full=False)
                work = partial(fleet_compliance_items, records, today=today, rules=book.for_unit)
                del records
                found = await self._runner.run(work)
                items += (i for i in found if everything or i.status is not ComplianceStatus.OK)
        items.sort(key=due_order)
        return [
            ComplianceRow(i, rows[i.elevator_id], (i.due_on - today).days)
            for i in items
            if i.elevator_id in rows
        ]

    # -- the snapshot -----------------------------------------------------------------------

    async def mark(self) -> LogMark:
        """Where the store's log ends now."""
        async with self._uow() as uow:
            return await uow.events.mark()

    async def cached(self) -> FleetSnapshot | None:
        """The newest snapshot known without computing (perhaps stale), or None."""
        if self._memo is None and self._saved is not None:
            if self._loading is None:
                self._loading = asyncio.get_running_loop().create_task(self._load(self._saved))
            await asyncio.shield(self._loading)
        return self._memo

    async def current(
        self, *, today: date, periods: Iterable[Period] = (), now: datetime | None = None
    ) -> FleetSnapshot:
        """The snapshot of the log as it is now on ``today`` with tallies for ``periods``,
        taken within ``FRESH_FOR`` of ``now`` if given (the dashboard), else at any time of
        ``today`` (lists: a health score hardly moves within a day). A snapshot computed here
        is taken at ``now``, else at this object's clock.

        One computation at a time: a request meanwhile shares the running one if that answers
        it, else waits for it to end (its result may do) and looks again.
        """
        wanted = frozenset(periods)
        while True:
            mark = await self.mark()
            snapshot = await self.cached()
            if (
                snapshot is not None
                and snapshot.matches(mark, today, now)
                and wanted <= snapshot.tallies.keys()
            ):
                return snapshot
            for (m, day, more), running in self._running.items():
                if m == mark and day == today and wanted <= more:
                    return await asyncio.shield(running)
            if not self._running:
                break
            await asyncio.wait(list(self._running.values()))
        key = (mark, today, wanted)
        task = asyncio.get_running_loop().create_task(self._compute(today, wanted, now))
        self._running[key] = task
        task.add_done_callback(lambda _done: self._running.pop(key, None))
        return await asyncio.shield(task)

    async def _compute(
        self, today: date, wanted: frozenset[Period], now: datetime | None
    ) -> FleetSnapshot:
        updated = await self._update(today, wanted, now)
        if updated is not None:
            return updated
        with self._runner.bulk():
            snapshot = await self._derive(today, wanted, now)  # the records are gone on return
        self.computed += 1
        if self._keep(snapshot) is snapshot:
            await self._save(snapshot)
        return snapshot

    async def flush(self) -> None:
        """Save the figures at hand if they are newer than the saved ones (before closing)."""
        memo = self._memo
        if memo is not None and (memo.mark, memo.today) != self._saved_at:
            await self._save(memo)

    async def _update(
        self, today: date, wanted: frozenset[Period], now: datetime | None
    ) -> FleetSnapshot | None:
        """The figures at hand with the units changed since computed again, kept, if that will
        do (else None).

        A few units' worth of objects: computed on the loop, and no pause of the collector
        (whose catching up afterwards would walk the whole heap and stall the window). Not
        saved: ``flush`` does that at close, as encoding the snapshot holds the interpreter for
        tens of milliseconds, too long to do after every change.
        """
        base = self._memo
        if (
            base is None
            or not base.matches(base.mark, today, now)  # another day, or taken too long ago
            or not wanted <= base.tallies.keys()
        ):
            return None
        async with self._uow() as uow:
            mark = await uow.events.mark()
            changed = None if mark == base.mark else await changed_units(uow, base, mark)
        if changed is None:
            return None
        self.computed += 1
        self.updated += 1
        return self._keep(update_snapshot(base, changed, mark, now or self._clock.now()))

    async def _derive(
        self, today: date, wanted: frozenset[Period], now: datetime | None
    ) -> FleetSnapshot:
        """Every unit's figures, read and computed ``FLEET_PART`` units at a time.

        Each part is read in a unit of work of its own (none is held open while computing)
        and the snapshot is marked with where the log ended before the first read: a change
        recorded meanwhile is in some parts already and is computed again by the next update.
        """
        async with self._uow() as uow:
            mark = await uow.events.mark()
            units = [u for u in await uow.elevators.list_all() if u.active]
            names = await _names(uow)
        base = self._memo
        if base is not None and base.mark == self._whole and base.matches(mark, today, now):
            keep: FleetSnapshot | None = base  # its figures are current: add the periods missing
            periods = [p for p in wanted if p not in base.tallies]
            at = base.at
        else:
            keep, periods, at = None, list(wanted), moment_in(today, now or self._clock.now())
        work = partial(compute_part, today=today, at=at, periods=periods, figures=keep is None)
        parts: list[FleetPart] = []
        for span, chosen in fleet_parts(units, FLEET_PART):
            async with self._uow() as uow:
                records = await read_records(uow, chosen, span)
            fleet = [FleetData(records, names.sites, names.customers, names.settings)]
            del records  # handed over whole: the thread frees it a unit at a time
            parts.append(await self._runner.run(partial(_consume, fleet, work)))
        order = [u.id for u in units]
        self._whole = mark
        if keep is not None:
            return keep.with_tallies(assemble(parts, order, periods)[1])
        return snapshot_of(parts, order, names, mark, today, at, periods=periods)

    def _keep(self, snapshot: FleetSnapshot) -> FleetSnapshot:
        """Remember ``snapshot`` unless a newer one is known; returns the one kept."""
        memo = self._memo
        if memo is not None and memo.matches(snapshot.mark, snapshot.today, snapshot.at):
            snapshot = snapshot.with_tallies({**memo.tallies, **snapshot.tallies})
        elif memo is not None and (memo.today, memo.mark.position, memo.at) > (
            snapshot.today,
            snapshot.mark.position,
            snapshot.at,
        ):
            return memo
        self._memo = snapshot
        return snapshot

    async def _load(self, saved: SnapshotStore) -> None:
        try:
            data = await saved.load_snapshot(SNAPSHOT_NAME)
            if data is None:
                return
            # a small fleet's figures decode into few objects: no pause, no catching up after
            pause = self._runner.bulk() if len(data) > LARGE_SNAPSHOT else nullcontext()
            with pause:
                snapshot = await self._runner.run(partial(decode_snapshot, data))
        except (SiteSyncError, SnapshotUnreadable) as exc:
            self.load_error = exc
            return
        self._saved_at = (snapshot.mark, snapshot.today)
        if self._memo is None:
            self._memo = snapshot

    async def _save(self, snapshot: FleetSnapshot) -> None:
        if self._saved is None:
            return
        try:
            data = await self._runner.run(partial(encode_snapshot, snapshot))
            await self._saved.save_snapshot(SNAPSHOT_NAME, data)
            self._saved_at = (snapshot.mark, snapshot.today)
        except SiteSyncError as exc:
            self.save_error = exc


FLEET_PART: Final = 500
"""Units read and computed at a time when the whole fleet is: bounds the memory it takes."""

LARGE_SNAPSHOT: Final = 1_000_000
"""Bytes of saved figures (about 2,000 units) above which decoding them pauses the collector."""


def _consume[T](fleet: list[FleetData], work: Callable[[FleetData], T]) -> T:
    """``work`` on the fleet, which is then freed a unit at a time.

    Freed at once, a million objects go in one deallocation that holds the GIL for half a
    second; unit by unit, the Qt thread gets its turns in between.
    """
    data = fleet.pop()
    result = work(data)
    records = list(data.records)
    del data
    while records:
        del records[-1]
    return result


async def _names(uow: UnitOfWork) -> FleetData:
    """The sites and customers units are shown under, and the settings (no records)."""
    sites = {s.id: s for s in await uow.sites.list_all()}
    customers = {c.id: c for c in await uow.customers.list_all()}
    return FleetData((), sites, customers, await organization_settings(uow))


def fleet_parts(units: list[Elevator], size: int) -> Iterator[tuple[UnitSpan, list[Elevator]]]:
    """The units ``size`` at a time in id order, each part with the span of ids it covers."""
    ordered = sorted(units, key=lambda u: str(u.id))
    for start in range(0, len(ordered), size):
        chosen = ordered[start : start + size]
        yield UnitSpan(chosen[0].id, chosen[-1].id), chosen


def _stand_in(
    tallies: Mapping[Period, tuple[MetricTally, ...]], period: Period
) -> tuple[MetricTally, ...] | None:
    """The tallies of the latest period as long as ``period`` (a stale day's, say)."""
    same = [p for p in tallies if p.end - p.start == period.end - period.start]
    return tallies[max(same, key=lambda p: p.end)] if same else None


class SystemClock:
    """The computer's clock (``ports.Clock``), for a ``FleetFigures`` given none."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class InlineCompute:
    """A ``ComputeRunner`` that runs the work in place, on the caller's loop (no threads, the
    collector left alone): enough for a small store, and for tests of what is computed."""

    async def run[T](self, work: Callable[[], T]) -> T:
        return work()

    def bulk(self) -> AbstractContextManager[None]:
        return nullcontext()
