"""Log a callback or incident with every field of the ASME A17.1 callback log."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from app.domain.commands import OpenIncident, check_callback
from app.domain.enums import ElevatorStatus, FaultCategory, IncidentChannel, KpiExclusion
from app.services.incidents import open_incident
from app.services.queries import FleetRow
from app.ui.backend import Backend
from app.ui.format import label
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.dialogs.base import FormDialog
from app.ui.widgets.forms import find_data, text_box
from app.ui.widgets.when_edit import OptionalWhen, from_qt, when_edit


def _combo[E](name: str, values: list[E], *, blank: str | None = None) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    if blank is not None:
        combo.addItem(blank, None)
    for value in values:
        combo.addItem(label(str(value)), value)
    return combo


class CallbackForm(FormDialog):
    """The callback-log entry; the unit goes out of service when ticked."""

    def __init__(
        self, session: Session, elevator_id: UUID | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, "Log a callback", parent)
        self.setObjectName("callbackForm")
        self.resize(920, 440)
        now = session.now()
        self.unit = QComboBox()
        self.unit.setObjectName("unit")
        self.reported_at = when_edit(now, "reportedAt")
        self.channel = _combo("channel", list(IncidentChannel))
        self.reporter = QLineEdit()
        self.reporter.setObjectName("reporter")
        self.trouble = text_box()
        self.trouble.setObjectName("reportedTrouble")
        self.trouble.setMaximumHeight(60)
        self.status_at_report = _combo(
            "unitStatusAtReport",
            [s for s in ElevatorStatus if s is not ElevatorStatus.DECOMMISSIONED],
            blank="(as recorded now)",
        )
        self.out_of_service = QCheckBox("Unit taken out of service")
        self.out_of_service.setObjectName("outOfService")
        self.entrapment = QCheckBox("Passengers trapped")
        self.entrapment.setObjectName("entrapment")
        self.persons = QSpinBox()
        self.persons.setObjectName("personsTrapped")
        self.persons.setRange(0, 99)
        self.release_at = OptionalWhen("Released at", now, "releaseAt")
        self.injuries = QLineEdit()
        self.injuries.setObjectName("injuries")
        self.arrived_at = OptionalWhen("Technician arrived", now, "arrivedAt")
        self.fault_code = QLineEdit()
        self.fault_code.setObjectName("faultCode")
        self.fault_category = _combo("faultCategory", list(FaultCategory), blank="(not known yet)")
        self.root_cause = QLineEdit()
        self.root_cause.setObjectName("rootCause")
        self.corrective = text_box()
        self.corrective.setObjectName("correctiveAction")
        self.corrective.setMaximumHeight(60)
        self.excluded = QCheckBox("Exclude from KPIs")
        self.excluded.setObjectName("excludedFromKpi")
        self.exclusion = _combo("exclusionReason", list(KpiExclusion), blank="(counts)")
        self.entrapment.toggled.connect(self._entrapment_toggled)
        self._entrapment_toggled(False)
        report = QGroupBox("Report")
        left = QFormLayout(report)
        self.errors.add_row(left, "Unit", self.unit, "elevator_id")
        self.errors.add_row(left, "Reported at", self.reported_at, "reported_at")
        self.errors.add_row(left, "Channel", self.channel, "channel")
        self.errors.add_row(left, "Reporter", self.reporter, "reporter")
        self.errors.add_row(left, "Reported trouble", self.trouble, "reported_trouble")
        self.errors.add_row(
            left, "Unit status at report", self.status_at_report, "unit_status_at_report"
        )
        self.errors.add_row(left, "", self.out_of_service, "out_of_service")
        self.errors.add_row(left, "Entrapment", self.entrapment, "entrapment")
        self.errors.add_row(left, "Persons trapped", self.persons, "persons_trapped")
        self.errors.add_row(left, "", self.release_at, "release_at")
        self.errors.add_row(left, "Injuries", self.injuries, "injuries")
        work = QGroupBox("Response and cause (may be completed later)")
        right = QFormLayout(work)
        self.errors.add_row(right, "", self.arrived_at, "arrived_at")
        self.errors.add_row(right, "Fault code", self.fault_code, "fault_code")
        self.errors.add_row(right, "Fault category", self.fault_category, "fault_category")
        self.errors.add_row(right, "Root cause", self.root_cause, "root_cause")
        self.errors.add_row(right, "Corrective action", self.corrective, "corrective_action")
        self.errors.add_row(right, "", self.excluded, "excluded_from_kpi")
        self.errors.add_row(right, "Exclusion reason", self.exclusion, "exclusion_reason")
        columns = QHBoxLayout()
        columns.addWidget(report, 1)
        columns.addWidget(work, 1)
        self.body.addLayout(columns, 1)
        self.finish_layout()
        today = session.today()

        async def units(backend: Backend, _progress: Progress) -> list[FleetRow]:
            return await backend.figures.rows(today=today)

        session.work(
            units,
            lambda rows: self._units_loaded(rows, elevator_id),
            label="load the units",
            parent=self,
        )

    def _entrapment_toggled(self, on: bool) -> None:
        self.persons.setEnabled(on)
        self.release_at.setEnabled(on)
        if on and self.persons.value() == 0:
            self.persons.setValue(1)
        if not on:
            self.persons.setValue(0)
            self.release_at.set_value(None)

    def _units_loaded(self, rows: list[FleetRow], elevator_id: UUID | None) -> None:
        self.unit.addItem("Choose a unit…", None)
        for row in rows:
            self.unit.addItem(f"{row.title} ({row.customer_name})", row.elevator_id)
        self.unit.setCurrentIndex(max(0, find_data(self.unit, elevator_id)) if elevator_id else 0)

    def submit(self) -> None:
        reported = from_qt(self.reported_at.dateTime())
        release, arrived = self.release_at.value(), self.arrived_at.value()
        problems: list[tuple[str, str]] = []
        if self.unit.currentData() is None:
            problems.append(("elevator_id", "Choose the unit the callback is about."))
        if not self.trouble.toPlainText().strip():
            problems.append(("reported_trouble", "Describe the reported trouble."))
        if reported > self.session.now() + timedelta(minutes=5):
            problems.append(("reported_at", "The report time is in the future."))
        for name, moment in (("release_at", release), ("arrived_at", arrived)):
            if moment is not None and moment < reported:
                problems.append((name, "This is before the callback was reported."))
        for field, message in problems:
            self.errors.set(field, message)
        if problems:
            return
        check_callback(
            entrapment=self.entrapment.isChecked(),
            persons_trapped=self.persons.value(),
            release_at=release,
            excluded_from_kpi=self.excluded.isChecked(),
            exclusion_reason=self.exclusion.currentData(),
        )
        cmd = OpenIncident(
            elevator_id=self.unit.currentData(),
            reported_at=reported,
            channel=self.channel.currentData(),
            reporter=self.reporter.text(),
            reported_trouble=self.trouble.toPlainText(),
            unit_status_at_report=self.status_at_report.currentData(),
            out_of_service=self.out_of_service.isChecked(),
            entrapment=self.entrapment.isChecked(),
            persons_trapped=self.persons.value(),
            release_at=release,
            injuries=self.injuries.text(),
            arrived_at=arrived,
            fault_code=self.fault_code.text(),
            fault_category=self.fault_category.currentData(),
            root_cause=self.root_cause.text(),
            corrective_action=self.corrective.toPlainText(),
            excluded_from_kpi=self.excluded.isChecked(),
            exclusion_reason=self.exclusion.currentData(),
        )
        self.run(lambda ctx: open_incident(cmd, ctx=ctx), label="log the callback")
