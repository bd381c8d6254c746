"""One unit's record, decided from signed event bodies alone (never from columns beside them).

A unit's record is the unit's own events plus the events of the records tied to it by what
the signed payloads say:

- records whose events name the unit (a visit, callback, deficiency or inspection carries
  ``elevator_id``), and
- records the unit's own events name (its site through ``site_id``, a callback through
  ``incident_id``).

The exporter picks a bundle's events with this rule and the verifier checks every bundled
event against it, so a bundle cannot carry events about anything else. The unit's name
(``unit L1 at Harbour View Tower``) is derived the same way: from the newest signed unit number
and site name, never taken on trust.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.audit.canonical import JsonValue
from app.audit.envelope import UUID_PATTERN, EventBody


def named_ids(payload: dict[str, JsonValue]) -> set[str]:
    """The record ids a payload names: its top-level ``..._id`` fields holding a UUID."""
    return {
        value
        for key, value in payload.items()
        if key.endswith("_id") and type(value) is str and UUID_PATTERN.fullmatch(value)
    }


@dataclass(slots=True)
class UnitRecord:
    """Learns, body by body, which records make up the record of ``unit``."""

    unit: str
    named: set[str] = field(default_factory=set)
    """Records the unit's own events name (its site, callbacks)."""
    naming: set[str] = field(default_factory=set)
    """Records with an event that names the unit (visits, callbacks, deficiencies...)."""
    unit_events: int = 0

    def note(self, body: EventBody) -> None:
        """Take in one event body (any order; every body of interest must be noted)."""
        names = named_ids(body.payload)
        if body.entity_id == self.unit:
            self.unit_events += 1
            self.named.update(names)
        elif self.unit in names:
            self.naming.add(body.entity_id)

    def entities(self) -> set[str]:
        """Every record id whose events belong to the unit's record."""
        return {self.unit, *self.named, *self.naming}


@dataclass(slots=True)
class UnitName:
    """Derives the unit's name from bodies fed in the order the store applied them."""

    unit: str
    unit_number: str | None = None
    site_id: str | None = None
    site_names: dict[str, str] = field(default_factory=dict)

    def note(self, body: EventBody) -> None:
        """Take in the next event body of the record."""
        payload = body.payload
        if body.entity_id == self.unit:
            number, site = payload.get("unit_number"), payload.get("site_id")
            if type(number) is str:
                self.unit_number = number
            if type(site) is str:
                self.site_id = site
        name = payload.get("name")
        if body.entity_type == "site" and type(name) is str:
            self.site_names[body.entity_id] = name

    @property
    def name(self) -> str:
        """``unit L1 at Harbour View Tower``, or as much of it as the events tell."""
        unit = f"unit {self.unit_number}" if self.unit_number is not None else f"unit {self.unit}"
        site = self.site_names.get(self.site_id or "")
        return f"{unit} at {site}" if site is not None else unit
