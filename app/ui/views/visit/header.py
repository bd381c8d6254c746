"""The "Visit" part of the visit form: what is recorded (unit, type, checklist) and when."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

from app.domain.entities import ChecklistTemplate
from app.domain.enums import VisitType
from app.domain.work import Visit
from app.services.queries import FleetRow
from app.ui.format import label
from app.ui.session import Session
from app.ui.views.visit.plan import VisitPlan, parse_uuid
from app.ui.widgets.forms import FormErrors, find_data
from app.ui.widgets.when_edit import from_qt, to_qt, when_edit


class VisitHeader(QGroupBox):
    """Unit, visit type, checklist, arrival and departure; owns the units it offers."""

    changed = Signal()
    template_chosen = Signal(object)
    """The checklist to answer (a ChecklistTemplate, or None for no checklist)."""

    def __init__(self, session: Session, errors: FormErrors, parent: QWidget | None = None) -> None:
        super().__init__("Visit", parent)
        self.session = session
        self.units: dict[object, FleetRow] = {}
        form = QFormLayout(self)
        self.subject = QLabel()
        self.subject.setObjectName("visitSubject")
        self.subject.setWordWrap(True)
        self.subject.setStyleSheet("font-weight: 600;")
        self.unit = QComboBox()
        self.unit.setObjectName("unit")
        self.type = QComboBox()
        self.type.setObjectName("visitType")
        for kind in VisitType:
            self.type.addItem(label(kind), kind)
        self.template = QComboBox()
        self.template.setObjectName("template")
        now = session.now()
        self.arrived = when_edit(now - timedelta(hours=1), "arrivedAt")
        self.departed = when_edit(now, "departedAt")
        form.addRow(self.subject)
        errors.add_row(form, "Unit", self.unit, "elevator_id")
        errors.add_row(form, "Type", self.type, "type")
        errors.add_row(form, "Checklist", self.template, "template_id")
        errors.add_row(form, "Arrived", self.arrived, "arrived_at")
        errors.add_row(form, "Departed", self.departed, "departed_at")
        form.addRow(errors.line("incident_id"))
        self.unit.currentIndexChanged.connect(self._unit_changed)
        self.template.currentIndexChanged.connect(self._template_changed)
        self.arrived.dateTimeChanged.connect(self.changed)
        self.departed.dateTimeChanged.connect(self.changed)

    def show_plan(
        self, plan: VisitPlan, units: list[FleetRow], draft: dict[str, Any] | None
    ) -> None:
        """Offer ``units`` and choose the plan's (or the draft's); fix what the plan fixes."""
        self.subject.setText(plan.describe())
        self.subject.setVisible(bool(plan.describe()))
        self.units = {row.elevator_id: row for row in units}
        self.unit.addItem("Choose a unit…", None)
        for row in units:
            self.unit.addItem(f"{row.title} ({row.customer_name})", row.elevator_id)
        if plan.incident is not None:
            self._after_report(plan.incident.reported_at)
        kind = plan.visit_type
        if kind is not None:
            self.type.setCurrentIndex(find_data(self.type, kind))
            self.type.setEnabled(False)
        wanted = plan.unit_id or parse_uuid(draft.get("unit") if draft else None)
        index = find_data(self.unit, wanted) if wanted else -1
        self.unit.setCurrentIndex(max(index, 0))
        # A visit, scheduled or started, and a callback belong to their unit; a new visit does not.
        self.unit.setEnabled(plan.visit is None and plan.incident is None)

    def _after_report(self, reported_at: datetime) -> None:
        """A callback visit arrives after the callback was reported (an hour ago at most)."""
        now = self.session.now()
        first_minute = reported_at.replace(second=0, microsecond=0)
        if first_minute < reported_at:
            first_minute += timedelta(minutes=1)
        arrived = max(now - timedelta(hours=1), first_minute)
        self.arrived.setDateTime(to_qt(arrived))
        self.departed.setDateTime(to_qt(max(now, arrived)))

    def show_stored(self, visit: Visit) -> None:
        """A visit in progress keeps its checklist and arrival."""
        chosen = (visit.template_id, visit.template_version) if visit.template_id else None
        self.template.setCurrentIndex(max(0, find_data(self.template, chosen)))
        self.template.setEnabled(False)
        if visit.arrived_at is not None:
            self.arrived.setDateTime(to_qt(visit.arrived_at))
        self.arrived.setEnabled(False)

    def _unit_changed(self) -> None:
        row = self.units.get(self.unit.currentData())
        self.template.clear()
        self.template.addItem("(no checklist)", None)
        if row is None:
            return
        for template in self.session.templates.for_drive_type(row.drive_type):
            self.template.addItem(
                f"{template.name} (v{template.version})", (template.template_id, template.version)
            )
        # Preventive visits default to the monthly PM checklist, callbacks to none (a callback
        # is a fault to find, not an examination), other visits to the first other checklist.
        if self.type.currentData() == VisitType.CALLBACK:
            self.template.setCurrentIndex(0)
            return
        preventive = self.type.currentData() == VisitType.PREVENTIVE
        wanted = [
            i
            for i in range(1, self.template.count())
            if str(self.template.itemData(i)[0]).startswith("pm-") == preventive
        ]
        self.template.setCurrentIndex(wanted[0] if wanted else min(1, self.template.count() - 1))

    def _template_changed(self) -> None:
        chosen = self.template.currentData()
        template: ChecklistTemplate | None = self.session.templates.get(*chosen) if chosen else None
        self.template_chosen.emit(template)
        self.changed.emit()

    # -- values ------------------------------------------------------------------------------

    def unit_id(self) -> UUID | None:
        chosen = self.unit.currentData()
        return chosen if isinstance(chosen, UUID) else None

    def visit_type(self) -> VisitType:
        return VisitType(self.type.currentData())

    def template_choice(self) -> tuple[str, int] | None:
        chosen = self.template.currentData()
        return (str(chosen[0]), int(chosen[1])) if chosen else None

    def arrived_at(self) -> datetime:
        return from_qt(self.arrived.dateTime())

    def departed_at(self) -> datetime:
        return from_qt(self.departed.dateTime())

    # -- drafts ------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """What a draft keeps of this part."""
        return {
            "title": self.unit.currentText() if self.unit.currentData() else "",
            "unit": str(self.unit.currentData() or ""),
            "type": str(self.type.currentData()),
            "template": list(self.template.currentData() or []),
            "arrived": self.arrived_at().isoformat(),
            "departed": self.departed_at().isoformat(),
        }

    def restore(self, draft: dict[str, Any]) -> None:
        """Fill in from a draft; what the plan or the stored visit fixes stays as it is."""
        if self.type.isEnabled():
            kind = VisitType(draft.get("type", "preventive"))
            self.type.setCurrentIndex(max(0, find_data(self.type, kind)))
        if draft.get("template") and self.template.isEnabled():
            index = find_data(self.template, tuple(draft["template"]))
            self.template.setCurrentIndex(max(0, index))
        if self.arrived.isEnabled():
            self.arrived.setDateTime(to_qt(datetime.fromisoformat(draft["arrived"])))
        self.departed.setDateTime(to_qt(datetime.fromisoformat(draft["departed"])))
