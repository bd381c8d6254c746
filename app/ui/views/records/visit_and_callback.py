"""Cancel a scheduled or started visit with a reason; correct an open callback's log entry."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from app.domain.commands import CancelVisit, UpdateIncident
from app.domain.enums import FaultCategory, KpiExclusion
from app.domain.work import Incident, Visit
from app.services.incidents import update_incident
from app.services.visits import cancel_visit
from app.ui.format import day, label, when
from app.ui.session import Session
from app.ui.views.records.base import Problem, RecordDialog
from app.ui.views.records.fields import blank_to_none, choice, line_edit
from app.ui.widgets.forms import text_box
from app.ui.widgets.when_edit import OptionalWhen


class CancelVisitDialog(RecordDialog):
    """A cancelled visit stays on record with its reason; it no longer counts as work due."""

    def __init__(
        self, session: Session, visit: Visit, title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, f"Cancel a visit to {title}", parent)
        self.setObjectName("cancelVisitForm")
        self.visit, self.title = visit, title
        form = QFormLayout()
        planned = (
            f"scheduled for {day(visit.scheduled_date)}"
            if visit.scheduled_date
            else f"started {when(visit.arrived_at)}"
        )
        self.summary = QLabel(f"{label(visit.type)} visit, {planned}")
        self.summary.setObjectName("visitSummary")
        form.addRow("Visit", self.summary)
        self.reason = text_box()
        self.reason.setObjectName("cancelReason")
        self.reason.setPlaceholderText("Why the visit will not take place")
        self.reason.setMaximumHeight(70)
        self.add_row(form, "Reason", self.reason, "reason")
        self.body.addLayout(form)
        self.save_button.setText("Cancel visit")
        self.buttons.button(self.buttons.StandardButton.Cancel).setText("Keep visit")
        self.finish_layout()
        self.resize(480, self.sizeHint().height())

    def problems(self) -> list[Problem]:
        if not self.reason.toPlainText().strip():
            return [("reason", "Say why the visit is cancelled.")]
        return []

    def submit(self) -> None:
        cmd = CancelVisit(visit_id=self.visit.id, reason=self.reason.toPlainText().strip())
        self.run(lambda ctx: cancel_visit(cmd, ctx=ctx), label="cancel the visit")

    def done_text(self, result: object) -> str:
        return f"{label(self.visit.type)} visit to {self.title} cancelled."


class EditCallbackDialog(RecordDialog):
    """The callback-log fields that can be corrected while the callback is open (the report
    itself, its time and channel, stay as logged)."""

    def __init__(
        self, session: Session, incident: Incident, title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, f"Edit the callback on {title}", parent)
        self.setObjectName("editCallbackForm")
        self.incident, self.title = incident, title
        now = session.now()
        self.reporter = line_edit(incident.reporter, "reporter")
        self.entrapment = QCheckBox("Passengers trapped")
        self.entrapment.setObjectName("entrapment")
        self.entrapment.setChecked(incident.entrapment)
        self.persons = QSpinBox()
        self.persons.setObjectName("personsTrapped")
        self.persons.setRange(0, 99)
        self.persons.setValue(incident.persons_trapped)
        self.release_at = OptionalWhen("Released at", now, "releaseAt")
        self.release_at.set_value(incident.release_at)
        self.injuries = line_edit(incident.injuries, "injuries")
        self.arrived_at = OptionalWhen("Technician arrived", now, "arrivedAt")
        self.arrived_at.set_value(incident.arrived_at)
        self.fault_code = line_edit(incident.fault_code, "faultCode")
        self.fault_category = choice(
            "faultCategory", list(FaultCategory), incident.fault_category, blank="(not known yet)"
        )
        self.root_cause = line_edit(incident.root_cause, "rootCause")
        self.corrective = text_box(incident.corrective_action or "")
        self.corrective.setObjectName("correctiveAction")
        self.corrective.setMaximumHeight(60)
        self.excluded = QCheckBox("Exclude from KPIs")
        self.excluded.setObjectName("excludedFromKpi")
        self.excluded.setChecked(incident.excluded_from_kpi)
        self.exclusion = choice(
            "exclusionReason", list(KpiExclusion), incident.exclusion_reason, blank="(counts)"
        )
        self.entrapment.toggled.connect(self._entrapment_toggled)
        self._entrapment_toggled(incident.entrapment)
        report = QGroupBox(f"Reported {when(incident.reported_at)}: {incident.reported_trouble}")
        left = QFormLayout(report)
        self.add_row(left, "Reporter", self.reporter, "reporter")
        self.add_row(left, "Entrapment", self.entrapment, "entrapment")
        self.add_row(left, "Persons trapped", self.persons, "persons_trapped")
        self.add_row(left, "", self.release_at, "release_at")
        self.add_row(left, "Injuries", self.injuries, "injuries")
        work = QGroupBox("Response and cause")
        right = QFormLayout(work)
        self.add_row(right, "", self.arrived_at, "arrived_at")
        self.add_row(right, "Fault code", self.fault_code, "fault_code")
        self.add_row(right, "Fault category", self.fault_category, "fault_category")
        self.add_row(right, "Root cause", self.root_cause, "root_cause")
        self.add_row(right, "Corrective action", self.corrective, "corrective_action")
        self.add_row(right, "", self.excluded, "excluded_from_kpi")
        self.add_row(right, "Exclusion reason", self.exclusion, "exclusion_reason")
        columns = QHBoxLayout()
        columns.addWidget(report, 1)
        columns.addWidget(work, 1)
        self.body.addLayout(columns)
        self.finish_layout()
        self.resize(900, self.sizeHint().height())

    def _entrapment_toggled(self, on: bool) -> None:
        self.persons.setEnabled(on)
        self.release_at.setEnabled(on)
        if on and self.persons.value() == 0:
            self.persons.setValue(1)
        if not on:
            self.persons.setValue(0)
            self.release_at.set_value(None)

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        reported = self.incident.reported_at
        for key, moment in (
            ("release_at", self.release_at.value()),
            ("arrived_at", self.arrived_at.value()),
        ):
            if moment is not None and moment < reported:
                found.append((key, "This is before the callback was reported."))
        if self.excluded.isChecked() and self.exclusion.currentData() is None:
            found.append(("exclusion_reason", "Choose why the callback is excluded from the KPIs."))
        if self.exclusion.currentData() is not None and not self.excluded.isChecked():
            found.append(
                ("excluded_from_kpi", "An exclusion reason needs 'Exclude from KPIs' ticked.")
            )
        return found

    def values(self) -> dict[str, Any]:
        return {
            "reporter": blank_to_none(self.reporter.text()),
            "entrapment": self.entrapment.isChecked(),
            "persons_trapped": self.persons.value(),
            "release_at": self.release_at.value(),
            "injuries": blank_to_none(self.injuries.text()),
            "arrived_at": self.arrived_at.value(),
            "fault_code": blank_to_none(self.fault_code.text()),
            "fault_category": self.fault_category.currentData(),
            "root_cause": blank_to_none(self.root_cause.text()),
            "corrective_action": blank_to_none(self.corrective.toPlainText()),
            "excluded_from_kpi": self.excluded.isChecked(),
            "exclusion_reason": self.exclusion.currentData(),
        }

    def submit(self) -> None:
        cmd = UpdateIncident(incident_id=self.incident.id, **self.values())
        self.run(lambda ctx: update_incident(cmd, ctx=ctx), label="save the callback")

    def done_text(self, result: object) -> str:
        return f"Callback on {self.title} saved."
