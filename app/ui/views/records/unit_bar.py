"""The record buttons of the unit page (edit, certificate, inspection, deficiency) and the
button that moves the selected deficiency through its lifecycle."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from app.domain.enums import DeficiencyStatus
from app.domain.work import Deficiency
from app.services.queries import UnitDetail
from app.ui.views.records.actions import RecordActions

CLOSED_RECORD = "The unit is decommissioned: its record no longer changes."


def _button(text: str, name: str, slot: Callable[[], object]) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setEnabled(False)
    button.clicked.connect(lambda: slot())
    return button


class UnitRecordBar(QWidget):
    """Edit the unit, renew its certificate, record an inspection, open a deficiency."""

    def __init__(self, records: RecordActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records = records
        self.detail: UnitDetail | None = None
        self.title = ""
        self.edit = _button("Edit &unit…", "editUnit", self._edit)
        self.certificate = _button("Renew certificate…", "renewCertificate", self._certificate)
        self.inspection = _button("Record i&nspection…", "recordInspection", self._inspection)
        self.deficiency = _button("Open &deficiency…", "openDeficiency", self._deficiency)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for button in self.buttons():
            row.addWidget(button)
        row.addStretch(1)

    def buttons(self) -> tuple[QPushButton, ...]:
        return (self.edit, self.certificate, self.inspection, self.deficiency)

    def show_detail(self, detail: UnitDetail, title: str) -> None:
        """Act on this unit from now on (the buttons are off for a decommissioned one)."""
        self.detail, self.title = detail, title
        active = detail.elevator.active
        for button in self.buttons():
            button.setEnabled(active)
            button.setToolTip("" if active else CLOSED_RECORD)

    def clear(self) -> None:
        """Act on no unit until the next one is shown."""
        self.detail, self.title = None, ""
        for button in self.buttons():
            button.setEnabled(False)

    def _edit(self) -> None:
        if self.detail is not None:
            self.records.edit_unit(self.detail.elevator)

    def _certificate(self) -> None:
        if self.detail is not None:
            self.records.renew_certificate(self.detail.elevator, self.title)

    def _inspection(self) -> None:
        if self.detail is not None:
            self.records.record_inspection(self.detail, self.title)

    def _deficiency(self) -> None:
        if self.detail is not None:
            self.records.open_deficiency(self.detail.elevator, self.title)


class DeficiencyButtons(QWidget):
    """Change the status of the selected deficiency (a verified one is final)."""

    def __init__(
        self,
        records: RecordActions,
        selected: Callable[[], tuple[Deficiency, str] | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.records, self.selected = records, selected
        self.change = _button("Change deficiency st&atus…", "changeDeficiency", self._change)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        row.addWidget(self.change)

    def update_state(self) -> None:
        found = self.selected()
        final = found is not None and found[0].status is DeficiencyStatus.VERIFIED
        self.change.setEnabled(found is not None and not final)
        self.change.setToolTip("A verified deficiency is final." if final else "")

    def _change(self) -> None:
        found = self.selected()
        if found is not None:
            self.records.change_deficiency(*found)
