"""Close a callback: corrective action, cause, back in service (and when)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.domain.commands import CloseIncident
from app.domain.enums import FaultCategory
from app.domain.work import Incident
from app.services.incidents import close_incident
from app.ui.format import label, when
from app.ui.session import Session
from app.ui.views.dialogs.base import FormDialog
from app.ui.widgets.forms import find_data, text_box
from app.ui.widgets.when_edit import OptionalWhen


class CloseCallbackDialog(FormDialog):
    """'Back in service' makes the unit operational again, unless another callback keeps it down."""

    def __init__(self, session: Session, incident: Incident, parent: QWidget | None = None) -> None:
        super().__init__(session, "Close the callback", parent)
        self.setObjectName("closeCallback")
        self.incident = incident
        form = QFormLayout()
        form.addRow(
            "Callback", QLabel(f"{when(incident.reported_at)}: {incident.reported_trouble}")
        )
        self.corrective = text_box(incident.corrective_action or "")
        self.corrective.setObjectName("correctiveAction")
        self.corrective.setMaximumHeight(70)
        self.fault_code = QLineEdit(incident.fault_code or "")
        self.fault_code.setObjectName("faultCode")
        self.fault_category = QComboBox()
        self.fault_category.setObjectName("faultCategory")
        self.fault_category.addItem("(not known)", None)
        for category in FaultCategory:
            self.fault_category.addItem(label(category), category)
        if incident.fault_category is not None:
            self.fault_category.setCurrentIndex(
                find_data(self.fault_category, incident.fault_category)
            )
        self.root_cause = QLineEdit(incident.root_cause or "")
        self.root_cause.setObjectName("rootCause")
        self.back = QCheckBox("Unit is back in service")
        self.back.setObjectName("backInService")
        self.back.setChecked(True)
        self.back_at = OptionalWhen(
            "At a given time (default: now)", session.now(), "backInServiceAt"
        )
        self.back.toggled.connect(self.back_at.setEnabled)
        self.errors.add_row(form, "Corrective action", self.corrective, "corrective_action")
        self.errors.add_row(form, "Fault code", self.fault_code, "fault_code")
        self.errors.add_row(form, "Fault category", self.fault_category, "fault_category")
        self.errors.add_row(form, "Root cause", self.root_cause, "root_cause")
        self.errors.add_row(form, "", self.back, "back_in_service")
        self.errors.add_row(form, "Back in service", self.back_at, "back_in_service_at")
        self.body.addLayout(form)
        self.finish_layout()

    def submit(self) -> None:
        back = self.back.isChecked()
        cmd = CloseIncident(
            incident_id=self.incident.id,
            back_in_service=back,
            back_in_service_at=self.back_at.value() if back else None,
            corrective_action=self.corrective.toPlainText(),
            fault_code=self.fault_code.text(),
            fault_category=self.fault_category.currentData(),
            root_cause=self.root_cause.text(),
        )
        self.run(lambda ctx: close_incident(cmd, ctx=ctx), label="close the callback")

    def done_text(self, result: object) -> str:
        back = "; the unit is back in service" if self.back.isChecked() else ""
        return f"Callback closed ({self.incident.reported_trouble}){back}."
