"""The unit page: identity, status, certificate, health with breakdown, and every record."""

from __future__ import annotations

from uuid import UUID

from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.settings import RULE_SET_NAMES
from app.domain.wording import plural
from app.services.context import Changes
from app.services.queries import FleetRow, UnitDetail, unit_detail
from app.ui.actions import Actions
from app.ui.format import STATUS_COLORS, at_site, day, label
from app.ui.session import Session
from app.ui.views.records.unit_bar import UnitRecordBar
from app.ui.views.screens.base import heading
from app.ui.views.unit.health import HealthPanel
from app.ui.views.unit.tabs import UnitTabs
from app.ui.views.unit.unit_id import UnitIdLine


class UnitPage(QWidget):
    """Shows one unit; reloads itself when a change touches it."""

    def __init__(self, session: Session, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.forms = session, actions
        self.elevator_id: UUID | None = None
        self.detail: UnitDetail | None = None
        self.row: FleetRow | None = None
        self.title = heading("Choose a unit")
        self.title.setObjectName("unitTitle")
        self.subtitle = QLabel("Search by unit number, site, customer or serial number.")
        self.subtitle.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("unitStatus")
        self.facts = QLabel()
        self.facts.setObjectName("unitFacts")
        self.facts.setWordWrap(True)
        self.unit_id = UnitIdLine()
        self.health = HealthPanel()
        self.tabs = UnitTabs(actions)
        self.record_visit = QPushButton("&Record visit…")
        self.record_visit.setObjectName("recordVisit")
        self.log_callback = QPushButton("&Log callback…")
        self.log_callback.setObjectName("logCallback")
        self.change_status = QPushButton("Change &status…")
        self.change_status.setObjectName("changeStatus")
        self.record_visit.clicked.connect(lambda: self._with_unit(actions.record_visit))
        self.log_callback.clicked.connect(lambda: self._with_unit(actions.log_callback))
        self.change_status.clicked.connect(self._change_status)
        self.schedule = QPushButton("Sc&hedule visit…")
        self.schedule.setObjectName("scheduleVisit")
        self.schedule.clicked.connect(lambda: self._with_unit(actions.schedule_visit))
        self.schedule.setVisible(session.is_supervisor)
        session.profile_changed.connect(
            lambda _actor: self.schedule.setVisible(session.is_supervisor)
        )
        self.export = QPushButton("&Export")
        self.export.setObjectName("exportUnit")
        self.export.setMenu(actions.exports.menu(self._unit, self.export))
        buttons = QHBoxLayout()
        for button in (self.record_visit, self.log_callback, self.change_status, self.schedule):
            buttons.addWidget(button)
            button.setEnabled(False)
        buttons.addStretch(1)
        buttons.addWidget(self.export)
        self.export.setEnabled(False)
        top = QGridLayout()
        top.addWidget(self.title, 0, 0)
        top.addWidget(self.status, 0, 1)
        top.addWidget(self.subtitle, 1, 0, 1, 2)
        top.addWidget(self.facts, 2, 0, 1, 2)
        top.addWidget(self.unit_id, 3, 0, 1, 2)
        top.setColumnStretch(0, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(buttons)
        self.records = UnitRecordBar(actions.records)
        layout.addWidget(self.records)
        layout.addWidget(self.health)
        layout.addWidget(self.tabs, 1)
        session.changed.connect(self._on_changed)

    def show_unit(self, elevator_id: UUID, row: FleetRow | None = None) -> None:
        """Load and show the unit."""
        if self.detail is not None and self.detail.elevator.id != elevator_id:
            self._loading()
        self.elevator_id, self.row = elevator_id, row or self.row
        self.forms.current_unit = elevator_id
        today, now = self.session.today(), self.session.now()
        self.session.read(
            lambda uow: unit_detail(uow, elevator_id, today=today, now=now),
            self._show,
            label="open the unit",
            parent=self,
        )

    def _on_changed(self, changes: Changes) -> None:
        if self.elevator_id is not None:
            self.show_unit(self.elevator_id)

    def _show(self, detail: UnitDetail) -> None:
        if detail.elevator.id != self.elevator_id:
            return  # an older answer for a unit no longer shown
        self.detail = detail
        unit, site = detail.elevator, detail.site
        self.title.setText(f"{site.name} / {unit.unit_number}")
        self.unit_id.show_id(unit.id)
        self.forms.current_title = self.title.text()
        customer = detail.customer.name if detail.customer else ""
        self.subtitle.setText(f"{customer} — {site.address}")
        color = STATUS_COLORS[unit.status].name()
        self.status.setText(
            f"{label(unit.status)} since {at_site(unit.status_since, site.time_zone)}"
        )
        self.status.setStyleSheet(f"font-weight: 600; color: {color};")
        self.status.setToolTip(unit.status_reason or "")
        rules = detail.rules
        cert = unit.certificate
        cert_text = (
            f"certificate {cert.number}, expires {day(cert.expires_on)}"
            if cert
            else "no certificate of operation on record"
            if rules.certificate_required
            else "no certificate of operation (none under UK LOLER)"
        )
        interval = rules.pm_interval_days(unit)
        own = "" if unit.maintenance_interval_days else " (organization default)"
        carries = "passenger lift" if unit.carries_passengers else "goods-only lift"
        rule_set = RULE_SET_NAMES[rules.rule_set]
        where = "site's own" if site.rule_set else "organization's"
        self.facts.setText(
            f"{label(unit.manufacturer)} {unit.model or ''} · {label(unit.drive_type)} · "
            f"{carries} · serial {unit.serial_number or '—'} · "
            f"installed {day(unit.installation_date) or '—'} · "
            f"PM every {plural(interval, 'day')}{own} · "
            f"{cert_text} · rules: {rule_set} ({where})"
        )
        self.health.show_score(detail.health)
        self.tabs.show_detail(detail)
        self.records.show_detail(detail, self.title.text())
        active = unit.active
        for button in (self.record_visit, self.log_callback, self.change_status, self.schedule):
            button.setEnabled(active)
        self.schedule.setVisible(self.session.is_supervisor)
        self.export.setEnabled(True)

    def _loading(self) -> None:
        """Another unit is on its way: nothing acts on the one still shown until it comes."""
        self.detail = None
        self.forms.current_title = ""
        for button in (self.record_visit, self.log_callback, self.change_status, self.schedule):
            button.setEnabled(False)
        self.export.setEnabled(False)
        self.records.clear()

    def _unit(self) -> tuple[UUID, str] | None:
        if self.detail is None:
            return None
        return self.detail.elevator.id, self.title.text()

    def _with_unit(self, action: object) -> None:
        if self.elevator_id is not None and callable(action):
            action(self.elevator_id)

    def _change_status(self) -> None:
        if self.detail is not None:
            self.forms.change_status(self.detail.elevator)
