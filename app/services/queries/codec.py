"""A ``FleetSnapshot`` as bytes for the ``SnapshotStore``: JSON, column by column.

Rows and tallies are stored as one list per field rather than one object per unit, which
keeps a 10,000-unit snapshot to a few megabytes and its decoding to a ``json.loads`` plus a
loop. Floats round-trip exactly (``repr``), so a decoded snapshot adds up to the same figures.
Anything unexpected when decoding raises ``SnapshotUnreadable``: the snapshot is then computed
again, as if there were none.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

from app.audit.envelope import format_timestamp
from app.domain.compliance import ComplianceItem
from app.domain.downtime import Period
from app.domain.entities import Customer, Site
from app.domain.enums import DriveType, ElevatorStatus, Manufacturer
from app.domain.figures import MetricTally
from app.domain.health import HealthBand
from app.domain.settings import OrganizationSettings
from app.domain.work import Incident
from app.services.ports import LogMark
from app.services.queries.fleet import FleetRow
from app.services.queries.snapshot import FleetSnapshot, UnitFigures

SNAPSHOT_FORMAT: Final = 3
"""Bump when the layout or the meaning of a stored figure changes: older snapshots are ignored."""

_ROW_FIELDS: Final = tuple(f.name for f in fields(FleetRow))
_TALLY_FIELDS: Final = tuple(f.name for f in fields(MetricTally))


class SnapshotUnreadable(ValueError):
    """The saved bytes are not a snapshot this version can read."""


def _cell(value: object) -> object:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    return getattr(value, "value", value)  # enums by value


def encode_snapshot(snapshot: FleetSnapshot) -> bytes:
    """The snapshot as compact JSON bytes."""
    units = snapshot.units
    document = {
        "format": SNAPSHOT_FORMAT,
        "mark": [snapshot.mark.position, snapshot.mark.hash],
        "today": snapshot.today.isoformat(),
        "at": format_timestamp(snapshot.at),
        "changes_to": _cell(snapshot.changes_to),
        "settings": snapshot.settings.model_dump(mode="json"),
        "customers": [c.model_dump(mode="json") for c in snapshot.customers],
        "sites": [s.model_dump(mode="json") for s in snapshot.sites],
        "rows": {name: [_cell(getattr(u.row, name)) for u in units] for name in _ROW_FIELDS},
        "attention": [
            [n, i.model_dump(mode="json")] for n, u in enumerate(units) for i in u.attention
        ],
        "open": [
            [n, i.model_dump(mode="json")] for n, u in enumerate(units) for i in u.open_callbacks
        ],
        "monthly": [[n, *month] for n, u in enumerate(units) for month in u.monthly],
        "tallies": [
            {
                "start": format_timestamp(period.start),
                "end": format_timestamp(period.end),
                "columns": {name: [getattr(t, name) for t in tallies] for name in _TALLY_FIELDS},
            }
            for period, tallies in snapshot.tallies.items()
        ],
    }
    return json.dumps(document, separators=(",", ":")).encode()


def decode_snapshot(data: bytes) -> FleetSnapshot:
    """The snapshot ``encode_snapshot`` wrote; raises ``SnapshotUnreadable`` otherwise."""
    try:
        document = json.loads(data)
        if document.get("format") != SNAPSHOT_FORMAT:
            raise SnapshotUnreadable(f"snapshot format {document.get('format')!r}")
        return _decode(document)
    except SnapshotUnreadable:
        raise
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise SnapshotUnreadable(f"unreadable snapshot: {exc}") from exc


def _decode(document: dict[str, Any]) -> FleetSnapshot:
    rows = _rows(document["rows"])
    attention: list[list[ComplianceItem]] = [[] for _ in rows]
    for n, item in document["attention"]:
        attention[n].append(ComplianceItem.model_validate(item))
    open_calls: list[list[Incident]] = [[] for _ in rows]
    for n, incident in document["open"]:
        open_calls[n].append(Incident.model_validate(incident))
    monthly: list[list[tuple[int, int, int]]] = [[] for _ in rows]
    for n, month, callbacks, entrapments in document["monthly"]:
        monthly[n].append((month, callbacks, entrapments))
    units = tuple(
        UnitFigures(row, tuple(a), tuple(o), tuple(m))
        for row, a, o, m in zip(rows, attention, open_calls, monthly, strict=True)
    )
    position, head = document["mark"]
    return FleetSnapshot(
        mark=LogMark(int(position), str(head)),
        today=date.fromisoformat(document["today"]),
        at=_utc(document["at"]),
        changes_to=None if document.get("changes_to") is None else _utc(document["changes_to"]),
        settings=OrganizationSettings.model_validate(document["settings"]),
        units=units,
        customers=tuple(Customer.model_validate(c) for c in document["customers"]),
        sites=tuple(Site.model_validate(s) for s in document["sites"]),
        tallies={
            Period(start=t["start"], end=t["end"]): _tallies(t["columns"], len(units))
            for t in document["tallies"]
        },
    )


def _rows(columns: dict[str, list[Any]]) -> list[FleetRow]:
    """Rows from their columns, converted column by column (ids repeat: each parsed once)."""
    ids: dict[str, UUID] = {}

    def uuid(text: str) -> UUID:
        found = ids.get(text)
        if found is None:
            found = ids[text] = UUID(text)
        return found

    parse: dict[str, Callable[[Any], Any]] = {
        "elevator_id": UUID,
        "unit_number": str,
        "site_id": uuid,
        "site_name": str,
        "customer_id": uuid,
        "customer_name": str,
        "manufacturer": Manufacturer,
        "model": _text_or_none,
        "drive_type": DriveType,
        "serial_number": _text_or_none,
        "status": ElevatorStatus,
        "status_since": _utc,
        "health": int,
        "band": HealthBand,
        "time_zone": str,
        "health_caps": str,
    }
    if tuple(parse) != _ROW_FIELDS:
        raise SnapshotUnreadable("the row columns changed: bump SNAPSHOT_FORMAT")
    converted = [list(map(parse[name], columns[name])) for name in _ROW_FIELDS]
    return [FleetRow(*cells) for cells in zip(*converted, strict=True)]


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise SnapshotUnreadable(f"timestamp without a time zone: {text}")
    return moment


def _tallies(columns: dict[str, list[Any]], count: int) -> tuple[MetricTally, ...]:
    parse: dict[str, Callable[[Any], Any]] = dict.fromkeys(_TALLY_FIELDS, int)
    parse.update(operating=float, calendar=float, planned=float, unplanned=float)
    parse.update(release_minutes=_samples, response_minutes=_samples)
    converted = [list(map(parse[name], columns[name])) for name in _TALLY_FIELDS]
    if any(len(column) != count for column in converted):
        raise SnapshotUnreadable("the tallies do not match the units")
    return tuple(MetricTally(*cells) for cells in zip(*converted, strict=True))


def _samples(values: list[Any]) -> tuple[float, ...]:
    return tuple(map(float, values))
