"""Add or edit a unit with every field of the fleet import file; renew its certificate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.domain.commands import RegisterElevator, UpdateElevator
from app.domain.entities import Certificate, Elevator
from app.domain.enums import DriveType, ElevatorStatus, Manufacturer
from app.services.common import Created
from app.services.elevators import register_elevator, update_elevator
from app.services.queries.directory import SiteLine
from app.ui.format import day
from app.ui.session import Session
from app.ui.views.records.base import Problem, RecordDialog
from app.ui.views.records.fields import (
    OptionalDate,
    blank_to_none,
    choice,
    date_edit,
    from_qdate,
    line_edit,
)
from app.ui.widgets.forms import find_data

DRIVE_NAMES = {
    DriveType.TRACTION: "Traction",
    DriveType.HYDRAULIC: "Hydraulic",
    DriveType.MRL_TRACTION: "Machine-room-less traction",
}

_NUMBERS: dict[str, tuple[str, bool]] = {
    "capacity_kg": ("Capacity must be a whole number of kilograms, e.g. 630.", False),
    "rated_speed_mps": ("Rated speed must be a number of metres per second, e.g. 1.6.", True),
    "floors_served": ("Floors served must be a whole number, e.g. 8.", False),
    "design_life_years": ("Design life must be a whole number of years, e.g. 25.", False),
    "maintenance_interval_days": (
        "Maintenance interval must be a whole number of days, e.g. 30 (blank: the "
        "organization's default).",
        False,
    ),
}
"""Number fields: the message when what was typed is not a number, and whether it is decimal."""


def _number(text: str, decimal: bool) -> int | Decimal | None:
    """The number typed (None when blank); raises ValueError when it is not one."""
    text = text.strip().replace(",", ".") if decimal else text.strip()
    if not text:
        return None
    if decimal:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(text) from None
        if not value.is_finite():
            raise ValueError(text)
        return value
    return int(text)


class CertificateFields(QGroupBox):
    """The certificate of operation: number, issued, expires (a tick box turns it on)."""

    def __init__(self, dialog: RecordDialog, current: Certificate | None, today: date) -> None:
        super().__init__("Certificate of operation")
        self.setObjectName("certificate")
        self.setCheckable(True)
        self.setChecked(current is not None)
        self.number = line_edit(current.number if current else None, "certificateNumber")
        self.issued = date_edit(current.issued_on if current else today, "certificateIssued")
        self.expires = date_edit(
            current.expires_on if current else today + timedelta(days=365), "certificateExpires"
        )
        form = QFormLayout(self)
        dialog.add_row(form, "Number", self.number, "certificate.number")
        dialog.add_row(form, "Issued", self.issued, "certificate.issued_on")
        dialog.add_row(form, "Expires", self.expires, "certificate.expires_on")

    @property
    def given(self) -> bool:
        """Whether a certificate is entered (a renewal always gives one)."""
        return self.isChecked() or not self.isCheckable()

    def problems(self) -> list[Problem]:
        if not self.given:
            return []
        found: list[Problem] = []
        if not self.number.text().strip():
            found.append(("certificate.number", "The certificate number is required."))
        issued, expires = from_qdate(self.issued.date()), from_qdate(self.expires.date())
        if expires <= issued:
            found.append(
                (
                    "certificate.expires_on",
                    f"The certificate expires on {expires}, which is not after it was issued "
                    f"({issued}).",
                )
            )
        return found

    def value(self) -> Certificate | None:
        if not self.given:
            return None
        return Certificate(
            number=self.number.text().strip(),
            issued_on=from_qdate(self.issued.date()),
            expires_on=from_qdate(self.expires.date()),
        )


class UnitDialog(RecordDialog):
    """A unit at a site: identity, make and drive, capacity and speed, installation, design
    life, certificate, its own maintenance interval, passengers or goods only."""

    def __init__(
        self,
        session: Session,
        sites: Sequence[SiteLine],
        unit: Elevator | None = None,
        *,
        site_id: UUID | None = None,
        parent: QWidget | None = None,
    ) -> None:
        title = f"Edit unit {unit.unit_number}" if unit else "Add a unit"
        super().__init__(session, title, parent)
        self.setObjectName("unitForm")
        self.unit = unit
        today = session.today()
        self.site = QComboBox()
        self.site.setObjectName("unitSite")
        self.site.addItem("Choose a site…", None)
        for line in sites:
            self.site.addItem(f"{line.site.name} ({line.customer})", line.site.id)
        chosen = unit.site_id if unit else site_id
        if chosen is not None:
            self.site.setCurrentIndex(max(0, find_data(self.site, chosen)))
        if unit is not None:
            self.site.setEnabled(False)
            self.site.setToolTip("A unit stays at its site; decommission it and add a new one.")
        self.unit_number = line_edit(unit.unit_number if unit else None, "unitNumber", "e.g. L1")
        self.serial = line_edit(unit.serial_number if unit else None, "serialNumber")
        self.conveyance = line_edit(
            unit.conveyance_id if unit else None, "conveyanceId", "State or authority number"
        )
        self.manufacturer = choice(
            "manufacturer", list(Manufacturer), unit.manufacturer if unit else Manufacturer.OTHER
        )
        self.model = line_edit(unit.model if unit else None, "model")
        self.drive = choice(
            "driveType", list(DriveType), unit.drive_type if unit else None, names=DRIVE_NAMES
        )
        self.status = choice(
            "initialStatus", [s for s in ElevatorStatus if s is not ElevatorStatus.DECOMMISSIONED]
        )
        self.numbers: dict[str, QLineEdit] = {
            key: line_edit(_shown(getattr(unit, key) if unit else None), _camel(key))
            for key in _NUMBERS
        }
        self.numbers["maintenance_interval_days"].setPlaceholderText("organization's default")
        self.installed = OptionalDate(
            "Known", unit.installation_date if unit else None, today, "installationDate"
        )
        self.passengers = QCheckBox("Carries passengers (untick for a goods-only lift)")
        self.passengers.setObjectName("carriesPassengers")
        self.passengers.setChecked(unit.carries_passengers if unit else True)
        self.certificate = CertificateFields(self, unit.certificate if unit else None, today)
        ident = QGroupBox("Unit")
        left = QFormLayout(ident)
        self.add_row(left, "Site", self.site, "site_id")
        self.add_row(left, "Unit number", self.unit_number, "unit_number")
        self.add_row(left, "Serial number", self.serial, "serial_number")
        self.add_row(left, "Conveyance id", self.conveyance, "conveyance_id")
        self.add_row(left, "Manufacturer", self.manufacturer, "manufacturer")
        self.add_row(left, "Model", self.model, "model")
        self.add_row(left, "Drive", self.drive, "drive_type")
        if unit is None:
            self.add_row(left, "Status", self.status, "status")
        specs = QGroupBox("Specification and maintenance")
        right = QFormLayout(specs)
        for key, text in (
            ("capacity_kg", "Capacity (kg)"),
            ("rated_speed_mps", "Rated speed (m/s)"),
            ("floors_served", "Floors served"),
            ("design_life_years", "Design life (years)"),
            ("maintenance_interval_days", "PM interval (days)"),
        ):
            self.add_row(right, text, self.numbers[key], key)
        self.add_row(right, "Installed on", self.installed, "installation_date")
        self.add_row(right, "", self.passengers, "carries_passengers")
        columns = QHBoxLayout()
        columns.addWidget(ident, 1)
        columns.addWidget(specs, 1)
        self.body.addLayout(columns)
        self.body.addWidget(self.certificate)
        self.finish_layout()
        self.resize(860, self.sizeHint().height())

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        if self.site.currentData() is None:
            found.append(("site_id", "Choose the site the unit is at."))
        if not self.unit_number.text().strip():
            found.append(("unit_number", "A unit number is required, e.g. 'L1'."))
        for key, (message, decimal) in _NUMBERS.items():
            try:
                _number(self.numbers[key].text(), decimal)
            except ValueError:
                found.append((key, message))
        return found + self.certificate.problems()

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "unit_number": self.unit_number.text().strip(),
            "serial_number": blank_to_none(self.serial.text()),
            "conveyance_id": blank_to_none(self.conveyance.text()),
            "manufacturer": self.manufacturer.currentData(),
            "model": blank_to_none(self.model.text()),
            "drive_type": self.drive.currentData(),
            "installation_date": self.installed.value(),
            "certificate": self.certificate.value(),
            "carries_passengers": self.passengers.isChecked(),
        }
        for key, (_message, decimal) in _NUMBERS.items():
            values[key] = _number(self.numbers[key].text(), decimal)
        return values

    def submit(self) -> None:
        values = self.values()
        if self.unit is None:
            register = RegisterElevator(
                site_id=self.site.currentData(), status=self.status.currentData(), **values
            )
            self.run(lambda ctx: register_elevator(register, ctx=ctx), label="add the unit")
        else:
            update = UpdateElevator(elevator_id=self.unit.id, **values)
            self.run(lambda ctx: update_elevator(update, ctx=ctx), label="save the unit")

    def done_text(self, result: object) -> str:
        number = self.unit_number.text().strip()
        site = self.site.currentText().split(" (")[0]
        if isinstance(result, Created):
            return f"Unit {number} added at {site}."
        return f"Unit {number} at {site} saved."


class CertificateDialog(RecordDialog):
    """Record a renewed certificate of operation (it replaces the one on record)."""

    def __init__(
        self, session: Session, unit: Elevator, title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, f"Renew the certificate of {title}", parent)
        self.setObjectName("certificateForm")
        self.unit, self.title = unit, title
        current = unit.certificate
        form = QFormLayout()
        form.addRow(
            "On record",
            QLabel(
                f"{current.number}, issued {day(current.issued_on)}, expires "
                f"{day(current.expires_on)}"
                if current
                else "No certificate of operation on record"
            ),
        )
        self.body.addLayout(form)
        today = session.today()
        renewed = (
            Certificate(number="", issued_on=today, expires_on=today + timedelta(days=365))
            if current is None
            else Certificate(
                number="",
                issued_on=max(today, current.expires_on - timedelta(days=30)),
                expires_on=max(today, current.expires_on) + timedelta(days=365),
            )
        )
        self.certificate = CertificateFields(self, renewed, today)
        self.certificate.setCheckable(False)
        self.certificate.setTitle("New certificate")
        self.body.addWidget(self.certificate)
        self.finish_layout()
        self.resize(480, self.sizeHint().height())

    def problems(self) -> list[Problem]:
        found = self.certificate.problems()
        current = self.unit.certificate
        expires = from_qdate(self.certificate.expires.date())
        if current is not None and expires <= current.expires_on:
            found.append(
                (
                    "certificate.expires_on",
                    f"The new certificate expires on {expires}, not after the one on record "
                    f"({current.expires_on}).",
                )
            )
        return found

    def submit(self) -> None:
        cmd = UpdateElevator(elevator_id=self.unit.id, certificate=self.certificate.value())
        self.run(lambda ctx: update_elevator(cmd, ctx=ctx), label="renew the certificate")

    def done_text(self, result: object) -> str:
        expires = from_qdate(self.certificate.expires.date())
        return f"Certificate of {self.title} renewed: expires {expires}."


def _shown(value: object) -> str | None:
    return None if value is None else str(value)


def _camel(key: str) -> str:
    first, *rest = key.split("_")
    return first + "".join(part.title() for part in rest)
