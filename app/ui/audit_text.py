"""Readable one-line summaries of domain events for the audit view."""

from __future__ import annotations

from typing import Any

from app.domain import payloads as p
from app.domain.events import Event
from app.ui.format import label, when


def _status(pl: p.ElevatorStatusChanged) -> str:
    since = f" (effective {when(pl.effective_at)})" if pl.effective_at else ""
    return f"Status {label(pl.previous).lower()} → {label(pl.new).lower()}{since}: {pl.reason}"


def _item(pl: p.VisitItemRecorded) -> str:
    value = f" ({pl.value})" if pl.value is not None else ""
    return f"Checklist item {pl.key}: {label(pl.outcome).lower()}{value}"


def _signed(pl: p.VisitSigned) -> str:
    who = "Technician" if pl.signer == "technician" else "Customer"
    return f"{who} {pl.name} refused to sign" if pl.refused else f"{who} {pl.name} signed"


def _incident(pl: p.IncidentOpened) -> str:
    trapped = f", ENTRAPMENT ({pl.persons_trapped})" if pl.entrapment else ""
    return f"Callback logged via {label(pl.channel).lower()}: {pl.reported_trouble}{trapped}"


_SUMMARIES: dict[type[Any], Any] = {
    p.OrganizationCreated: lambda pl: f"Organization {pl.name} recorded with its settings",
    p.OrganizationSettingsChanged: lambda pl: (
        f"Settings changed: {', '.join(sorted(pl.changes()))}"
    ),
    p.UserRegistered: lambda pl: f"User {pl.display_name} registered as {pl.role}",
    p.CustomerCreated: lambda pl: f"Customer {pl.name} created",
    p.CustomerUpdated: lambda pl: f"Customer changed: {', '.join(sorted(pl.changes()))}",
    p.SiteCreated: lambda pl: f"Site {pl.name} created at {pl.address}",
    p.SiteUpdated: lambda pl: f"Site changed: {', '.join(sorted(pl.changes()))}",
    p.SiteTechnicianAssigned: lambda pl: (
        "Technician assigned" if pl.assigned else "Technician unassigned"
    ),
    p.ElevatorRegistered: lambda pl: f"Unit {pl.unit_number} registered ({label(pl.manufacturer)})",
    p.ElevatorUpdated: lambda pl: f"Unit changed: {', '.join(sorted(pl.changes()))}",
    p.ElevatorStatusChanged: _status,
    p.VisitScheduled: lambda pl: f"{label(pl.type)} visit scheduled for {pl.scheduled_date}",
    p.VisitStarted: lambda pl: f"{label(pl.type)} visit started, arrived {when(pl.arrived_at)}",
    p.VisitItemRecorded: _item,
    p.VisitPartUsed: lambda pl: f"Part used: {pl.part.quantity} × {pl.part.part_number}",
    p.VisitNoteAdded: lambda pl: f"Note: {pl.text}",
    p.VisitPhotoAttached: lambda pl: f"Photo attached ({pl.sha256[:10]}…)",
    p.VisitSigned: _signed,
    p.VisitCompleted: lambda pl: f"Visit completed, departed {when(pl.departed_at)}",
    p.VisitLocked: lambda pl: "Visit locked",
    p.VisitCancelled: lambda pl: f"Visit cancelled: {pl.reason}",
    p.VisitAddendumAdded: lambda pl: f"Addendum: {pl.text}",
    p.DeficiencyOpened: lambda pl: (
        f"Deficiency opened ({label(pl.severity).lower()}): {pl.description}"
    ),
    p.DeficiencyStatusChanged: lambda pl: f"Deficiency {label(pl.status).lower()}",
    p.IncidentOpened: _incident,
    p.IncidentUpdated: lambda pl: f"Callback updated: {', '.join(sorted(pl.changes()))}",
    p.IncidentClosed: lambda pl: (
        "Callback closed" + (", back in service" if pl.back_in_service_at else "")
    ),
    p.InspectionRecorded: lambda pl: (
        f"{label(pl.type)} on {pl.performed_on}: {label(pl.result).lower()}"
    ),
}


def summarize(event: Event) -> str:
    """One readable line about what ``event`` recorded."""
    describe = _SUMMARIES.get(type(event.payload))
    if describe is None:
        return label(event.type.replace(".", " ").replace("_", " "))
    text: str = describe(event.payload)
    return text if len(text) <= 160 else text[:157] + "…"
