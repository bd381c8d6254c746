"""Schedule a visit (supervisors): unit, type, date and, optionally, the technician."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QFormLayout, QWidget

from app.domain.commands import ScheduleVisit
from app.domain.entities import User
from app.domain.enums import Role, VisitType
from app.domain.errors import ValidationError
from app.services.queries import FleetRow, profiles
from app.services.visits import schedule_visit
from app.ui.backend import Backend
from app.ui.format import label
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.dialogs.base import FormDialog
from app.ui.widgets.forms import find_data


class ScheduleDialog(FormDialog):
    """Plans a visit; it then shows in the Work view for the technician to start."""

    def __init__(
        self, session: Session, elevator_id: UUID | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, "Schedule a visit", parent)
        self.setObjectName("scheduleVisit")
        self.resize(520, 260)
        self.unit = QComboBox()
        self.unit.setObjectName("unit")
        self.type = QComboBox()
        self.type.setObjectName("visitType")
        for kind in VisitType:
            self.type.addItem(label(kind), kind)
        self.day = QDateEdit()
        self.day.setObjectName("scheduledDate")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        tomorrow = session.today() + timedelta(days=1)
        self.day.setDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
        self.technician = QComboBox()
        self.technician.setObjectName("technician")
        self.technician.addItem("(not assigned yet)", None)
        form = QFormLayout()
        self.errors.add_row(form, "Unit", self.unit, "elevator_id")
        self.errors.add_row(form, "Type", self.type, "type")
        self.errors.add_row(form, "Date", self.day, "scheduled_date")
        self.errors.add_row(form, "Technician", self.technician, "technician_id")
        self.body.addLayout(form)
        self.finish_layout()
        self.save_button.setEnabled(False)
        today = session.today()

        async def choices(
            backend: Backend, _progress: Progress
        ) -> tuple[list[FleetRow], list[User]]:
            return await backend.figures.rows(today=today), await profiles(backend.unit_of_work)

        session.work(
            choices,
            lambda found: self._loaded(*found, elevator_id),
            label="load the units",
            parent=self,
        )

    def _loaded(self, rows: list[FleetRow], users: list[User], elevator_id: UUID | None) -> None:
        self.unit.addItem("Choose a unit…", None)
        for row in rows:
            self.unit.addItem(f"{row.title} ({row.customer_name})", row.elevator_id)
        self.unit.setCurrentIndex(max(0, find_data(self.unit, elevator_id)) if elevator_id else 0)
        for user in users:
            if user.role is Role.TECHNICIAN:
                self.technician.addItem(user.display_name, user.id)
        self.save_button.setEnabled(True)

    def submit(self) -> None:
        if self.unit.currentData() is None:
            raise ValidationError("Choose the unit to visit.", field="elevator_id")
        chosen = self.day.date()
        day = date(chosen.year(), chosen.month(), chosen.day())
        if day < self.session.today():
            raise ValidationError(
                "The date is in the past.", field="scheduled_date", hint="Choose today or later."
            )
        cmd = ScheduleVisit(
            elevator_id=self.unit.currentData(),
            type=VisitType(self.type.currentData()),
            scheduled_date=day,
            technician_id=self.technician.currentData(),
        )
        self.run(lambda ctx: schedule_visit(cmd, ctx=ctx), label="schedule the visit")
