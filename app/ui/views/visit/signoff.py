"""The end of the visit form: both sign-offs, and whether to complete and lock the visit."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.domain.work import SignOff, Visit
from app.ui.session import Session
from app.ui.views.visit.command import SignatureEntry
from app.ui.widgets.forms import FormErrors
from app.ui.widgets.signature_pad import SignaturePad


class SignOffSection(QGroupBox):
    """The technician's signature and the customer's (or their refusal to sign)."""

    changed = Signal()

    def __init__(self, session: Session, errors: FormErrors, parent: QWidget | None = None) -> None:
        super().__init__("Sign-off", parent)
        grid = QGridLayout(self)
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
            grid.addWidget(errors.line(key), 4, col)
        grid.addWidget(self.refused, 5, 1)
        for signal in (
            self.tech_pad.changed,
            self.customer_pad.changed,
            self.customer_name.textChanged,
            self.refused.toggled,
        ):
            signal.connect(self.changed)

    def show_stored(self, visit: Visit, images: dict[str, QImage | None]) -> None:
        """Show the signatures the visit already holds; they are not signed again."""
        signs: tuple[tuple[SignOff | None, QLineEdit, SignaturePad, str, int], ...] = (
            (visit.technician_signature, self.tech_name, self.tech_pad, "technician", 0),
            (visit.customer_signoff, self.customer_name, self.customer_pad, "customer", 1),
        )
        for sign, name, pad, signer, button in signs:
            if sign is None:
                continue
            name.setText(sign.name)
            name.setEnabled(False)
            pad.show_recorded(images.get(signer), "Refused to sign" if sign.refused else "Signed")
            self.clear_buttons[button].setEnabled(False)
            if sign.refused:
                self.refused.setChecked(True)
            if signer == "customer":
                self.refused.setEnabled(False)

    def technician(self) -> SignatureEntry:
        pad = self.tech_pad
        return SignatureEntry(self.tech_name.text(), pad.to_png(), recorded=pad.recorded)

    def customer(self) -> SignatureEntry:
        pad, refused = self.customer_pad, self.refused.isChecked()
        return SignatureEntry(self.customer_name.text(), pad.to_png(), refused, pad.recorded)

    # -- drafts ------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """What a draft keeps of this part."""
        return {
            "technician": [self.tech_name.text(), self.tech_pad.strokes],
            "customer": [self.customer_name.text(), self.customer_pad.strokes],
            "refused": self.refused.isChecked(),
        }

    def restore(self, draft: dict[str, Any]) -> None:
        """Fill in from a draft; signatures already on the visit stay as they are."""
        for name, pad, key in (
            (self.tech_name, self.tech_pad, "technician"),
            (self.customer_name, self.customer_pad, "customer"),
        ):
            if not pad.recorded:
                name.setText(draft[key][0])
                pad.set_strokes(draft[key][1])
        if not self.customer_pad.recorded:
            self.refused.setChecked(bool(draft.get("refused")))


class CompletionRow(QWidget):
    """Complete the visit with this save, and lock it (later corrections are addenda)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.complete = QCheckBox("Complete the visit")
        self.complete.setObjectName("completeVisit")
        self.complete.setChecked(True)
        self.lock = QCheckBox("Lock it now (later corrections are addenda)")
        self.lock.setObjectName("lockVisit")
        self.lock.setChecked(True)
        self.complete.toggled.connect(self.lock.setEnabled)
        self.complete.toggled.connect(self.changed)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.complete)
        row.addWidget(self.lock)
        row.addStretch(1)
