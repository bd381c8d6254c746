"""The sections of the visit form: visit, checklist, parts/notes/photos, sign-off, completion."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from app.domain.enums import VisitType
from app.ui.format import label
from app.ui.session import Session
from app.ui.views.visit.checklist import ChecklistPanel
from app.ui.views.visit.parts_and_photos import PartsEditor, PhotoStrip
from app.ui.views.visit.plan import FormData
from app.ui.widgets.forms import FormErrors, find_data, text_box
from app.ui.widgets.signature_pad import SignaturePad
from app.ui.widgets.when_edit import to_qt, when_edit


class VisitSections:
    """Mixed into the visit form: builds its widgets (the form wires and fills them)."""

    errors: FormErrors

    def _visit_box(self, session: Session) -> QGroupBox:
        box = QGroupBox("Visit")
        form = QFormLayout(box)
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
        self.errors.add_row(form, "Unit", self.unit, "elevator_id")
        self.errors.add_row(form, "Type", self.type, "type")
        self.errors.add_row(form, "Checklist", self.template, "template_id")
        self.errors.add_row(form, "Arrived", self.arrived, "arrived_at")
        self.errors.add_row(form, "Departed", self.departed, "departed_at")
        form.addRow(self.errors.line("incident_id"))
        return box

    def _checklist_box(self) -> QGroupBox:
        box = QGroupBox("Checklist (* mandatory)")
        column = QVBoxLayout(box)
        self.checklist = ChecklistPanel()
        column.addWidget(self.errors.line("items"))
        column.addWidget(self.checklist)
        return box

    def _extras_box(self) -> QGroupBox:
        box = QGroupBox("Parts, notes and photos")
        form = QFormLayout(box)
        self.parts = PartsEditor()
        self.recorded_notes = QLabel()
        self.recorded_notes.setObjectName("recordedNotes")
        self.recorded_notes.setWordWrap(True)
        self.recorded_notes.hide()
        self.notes = text_box()
        self.notes.setObjectName("notes")
        self.notes.setMaximumHeight(70)
        self.photos = PhotoStrip()
        self.errors.add_row(form, "Parts used", self.parts, "parts")
        form.addRow("", self.recorded_notes)
        self.errors.add_row(form, "Notes", self.notes, "notes")
        self.errors.add_row(form, "Photos", self.photos, "photos")
        return box

    def _signoff_box(self, session: Session) -> QGroupBox:
        box = QGroupBox("Sign-off")
        grid = QGridLayout(box)
        self.tech_name = QLineEdit(session.actor.name if session.actor else "")
        self.tech_name.setObjectName("technicianName")
        self.tech_pad = SignaturePad()
        self.tech_pad.setObjectName("technicianPad")
        self.customer_name = QLineEdit()
        self.customer_name.setObjectName("customerName")
        self.customer_name.setPlaceholderText("Customer's name")
        self.customer_pad = SignaturePad()
        self.customer_pad.setObjectName("customerPad")
        self.refused = QCheckBox("Customer refused to sign")
        self.refused.setObjectName("refusedToSign")
        self.refused.toggled.connect(
            lambda on: self.customer_pad.setEnabled(not on and not self.customer_pad.recorded)
        )
        self.clear_buttons: list[QPushButton] = []
        for col, (title, name, pad, key) in enumerate(
            (
                ("Technician", self.tech_name, self.tech_pad, "technician_signature"),
                ("Customer", self.customer_name, self.customer_pad, "customer_signoff"),
            )
        ):
            grid.addWidget(QLabel(f"<b>{title}</b>"), 0, col)
            grid.addWidget(name, 1, col)
            grid.addWidget(pad, 2, col)
            clear = QPushButton("Clear signature")
            clear.clicked.connect(pad.clear)
            self.clear_buttons.append(clear)
            grid.addWidget(clear, 3, col)
            grid.addWidget(self.errors.line(key), 4, col)
        grid.addWidget(self.refused, 5, 1)
        return box

    def _completion_row(self) -> QHBoxLayout:
        self.complete = QCheckBox("Complete the visit")
        self.complete.setObjectName("completeVisit")
        self.complete.setChecked(True)
        self.lock = QCheckBox("Lock it now (later corrections are addenda)")
        self.lock.setObjectName("lockVisit")
        self.lock.setChecked(True)
        self.complete.toggled.connect(self.lock.setEnabled)
        row = QHBoxLayout()
        row.addWidget(self.complete)
        row.addWidget(self.lock)
        row.addStretch(1)
        return row

    def show_stored(self, data: FormData) -> None:
        """Show what the visit in progress already holds; only new entries will be recorded."""
        visit = data.visit
        assert visit is not None
        chosen = (visit.template_id, visit.template_version) if visit.template_id else None
        self.template.setCurrentIndex(max(0, find_data(self.template, chosen)))
        self.template.setEnabled(False)
        if visit.arrived_at is not None:
            self.arrived.setDateTime(to_qt(visit.arrived_at))
        self.arrived.setEnabled(False)
        self.checklist.prefill(visit.results)
        self.parts.show_recorded(list(visit.parts))
        if visit.notes:
            lines = "\n".join(f"• {n.text}" for n in visit.notes)
            self.recorded_notes.setText(f"Recorded notes:\n{lines}")
            self.recorded_notes.show()
        self.notes.setPlaceholderText("Add a note")
        self.photos.show_recorded(data.photos)
        signs = (
            (visit.technician_signature, self.tech_name, self.tech_pad, "technician", 0),
            (visit.customer_signoff, self.customer_name, self.customer_pad, "customer", 1),
        )
        for sign, name, pad, signer, button in signs:
            if sign is None:
                continue
            name.setText(sign.name)
            name.setEnabled(False)
            image: QImage | None = data.signatures.get(signer)
            pad.show_recorded(image, "Refused to sign" if sign.refused else "Signed")
            self.clear_buttons[button].setEnabled(False)
            if sign.refused:
                self.refused.setChecked(True)
            if signer == "customer":
                self.refused.setEnabled(False)
