"""Record an inspection or test of a unit, with the deficiencies its defects raise."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QWidget

from app.domain.commands import RecordInspection
from app.domain.compliance import INSPECTION_NAMES
from app.domain.enums import DeficiencySeverity, InspectionResult, InspectionType
from app.domain.settings import RULE_SET_NAMES
from app.domain.wording import plural
from app.services.common import Created
from app.services.inspections import record_inspection
from app.services.queries import UnitDetail
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
from app.ui.widgets.forms import text_box

SEVERITY_NAMES = {
    DeficiencySeverity.INOPERABLE: "Inoperable (unit must not run)",
    DeficiencySeverity.DEFICIENT: "Deficient (correct by a date)",
    DeficiencySeverity.ADVISORY: "Advisory",
}


def inspection_types(detail: UnitDetail) -> list[InspectionType]:
    """The types the unit's rule set requires first, then acceptance, then the rest."""
    required = [kind for kind, _months in detail.rules.required_tests(detail.elevator)]
    rest = [t for t in InspectionType if t not in required and t is not InspectionType.ACCEPTANCE]
    return [*required, InspectionType.ACCEPTANCE, *rest]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class InspectionDialog(RecordDialog):
    """Type (from the site's rule set), when, by whom, witnessed by, result, defects (one a
    line), next due as the report states it, and a deficiency for each defect if wanted."""

    def __init__(
        self, session: Session, detail: UnitDetail, title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, f"Record an inspection of {title}", parent)
        self.setObjectName("inspectionForm")
        self.unit, self.title = detail.elevator, title
        today = session.today()
        names = {kind: _capital(name) for kind, name in INSPECTION_NAMES.items()}
        self.type = choice("inspectionType", inspection_types(detail), names=names)
        self.performed_on = date_edit(today, "performedOn")
        self.performed_by = line_edit(None, "performedBy", "Inspector's name")
        self.witnessed_by = line_edit(
            session.actor.name if session.actor else None, "witnessedBy", "Who was there for us"
        )
        self.outcome = choice("result", list(InspectionResult))
        self.defects = text_box()
        self.defects.setObjectName("defects")
        self.defects.setPlaceholderText("One defect a line, as the report lists them")
        self.defects.setMaximumHeight(80)
        self.next_due = OptionalDate("As the report states", None, today, "nextDue")
        self.next_due.setToolTip(
            "Leave unticked to count the next due date from the site's rule set."
        )
        self.severity = choice(
            "deficiencySeverity",
            list(DeficiencySeverity),
            DeficiencySeverity.DEFICIENT,
            blank="(do not open deficiencies)",
            names=SEVERITY_NAMES,
        )
        self.correct_by = OptionalDate("By", None, today, "deficienciesDue")
        form = QFormLayout()
        form.addRow("Rules", QLabel(_rules_text(detail)))
        self.add_row(form, "Type", self.type, "type")
        self.add_row(form, "Performed on", self.performed_on, "performed_on")
        self.add_row(form, "Performed by", self.performed_by, "performed_by")
        self.add_row(form, "Witnessed by", self.witnessed_by, "witnessed_by")
        self.add_row(form, "Result", self.outcome, "result")
        self.add_row(form, "Defects found", self.defects, "defects")
        self.add_row(form, "Next due", self.next_due, "next_due")
        self.body.addLayout(form)
        self.raised = QGroupBox("Deficiencies the defects raise")
        self.raised.setObjectName("raisedDeficiencies")
        lower = QFormLayout(self.raised)
        self.add_row(lower, "Open one per defect", self.severity, "deficiency_severity")
        self.add_row(lower, "Correct by", self.correct_by, "deficiencies_due")
        self.body.addWidget(self.raised)
        self.outcome.currentIndexChanged.connect(self._result_changed)
        self._result_changed()
        self.finish_layout()
        self.resize(620, self.sizeHint().height())

    def _result_changed(self) -> None:
        self.raised.setEnabled(self.outcome.currentData() != InspectionResult.PASSED)

    def defect_lines(self) -> tuple[str, ...]:
        return tuple(
            line.strip() for line in self.defects.toPlainText().splitlines() if line.strip()
        )

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        performed = from_qdate(self.performed_on.date())
        if performed > self.session.today():
            found.append(("performed_on", "The inspection date is in the future."))
        if not self.performed_by.text().strip():
            found.append(("performed_by", "Who performed the inspection?"))
        passed = self.outcome.currentData() == InspectionResult.PASSED
        if passed and self.defect_lines():
            message = "The inspection passed but defects are listed."
            found.append(("result", f"{message} Choose 'passed with defects', or remove them."))
        if not passed and not self.defect_lines():
            found.append(("defects", "List the defects the inspector found, one a line."))
        due = self.next_due.value()
        if due is not None and due <= performed:
            found.append(("next_due", f"The next due date {due} is not after the inspection."))
        return found

    def submit(self) -> None:
        raised = self.raised.isEnabled() and self.severity.currentData() is not None
        cmd = RecordInspection(
            elevator_id=self.unit.id,
            type=self.type.currentData(),
            performed_on=from_qdate(self.performed_on.date()),
            performed_by=self.performed_by.text().strip(),
            witnessed_by=blank_to_none(self.witnessed_by.text()),
            result=self.outcome.currentData(),
            defects=self.defect_lines(),
            next_due=self.next_due.value(),
            deficiency_severity=self.severity.currentData() if raised else None,
            deficiencies_due=self.correct_by.value() if raised else None,
        )
        self.opened = len(cmd.defects) if raised else 0
        self.run(lambda ctx: record_inspection(cmd, ctx=ctx), label="record the inspection")

    def done_text(self, result: object) -> str:
        kind = INSPECTION_NAMES[InspectionType(self.type.currentData())]
        done = f"{_capital(kind)} of {self.title} recorded"
        if isinstance(result, Created) and self.opened:
            return f"{done}; {plural(self.opened, 'deficiency')} opened."
        return f"{done}."


def _rules_text(detail: UnitDetail) -> str:
    return f"{RULE_SET_NAMES[detail.rules.rule_set]} (the site's rules)"
