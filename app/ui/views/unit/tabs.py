"""The record tabs of the unit page: visits, callbacks, deficiencies, inspections, history."""

from __future__ import annotations

from PySide6.QtWidgets import QTableView, QTabWidget, QVBoxLayout, QWidget

from app.domain.work import Deficiency, Incident, Visit
from app.services.queries import ComplianceRow, UnitDetail
from app.ui.actions import Actions
from app.ui.models.records import (
    CallbackLine,
    CallbackTableModel,
    ComplianceTableModel,
    DeficiencyTableModel,
    HistoryLine,
    HistoryTableModel,
    InspectionTableModel,
    VisitLine,
    VisitTableModel,
)
from app.ui.models.table import RowFilterProxy
from app.ui.views.records.unit_bar import DeficiencyButtons
from app.ui.views.screens.base import fit_columns, make_table, selected_row
from app.ui.views.screens.record_buttons import CallbackButtons, VisitButtons


def _tab(table: QTableView, buttons: QWidget | None = None) -> QWidget:
    page = QWidget()
    column = QVBoxLayout(page)
    column.addWidget(table)
    if buttons is not None:
        column.addWidget(buttons)
    return page


class UnitTabs(QTabWidget):
    """Tabs with one table per kind of record; buttons act on the selected visit or callback."""

    def __init__(self, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.visits = VisitTableModel(with_unit=False)
        self.callbacks = CallbackTableModel(with_unit=False)
        self.deficiencies = DeficiencyTableModel()
        self.inspections = InspectionTableModel()
        self.history = HistoryTableModel()
        self.compliance = ComplianceTableModel()
        self.visit_table, self._visit_proxy = make_table(self.visits, "unitVisits")
        self.visit_buttons = VisitButtons(actions, self.selected_visit)
        self.addendum = self.visit_buttons.addendum
        self.visit_table.selectionModel().currentRowChanged.connect(
            lambda *_: self.visit_buttons.update_state()
        )
        self.callback_table, self._callback_proxy = make_table(self.callbacks, "unitCallbacks")
        self.callback_buttons = CallbackButtons(actions, self.selected_incident)
        self.callback_table.selectionModel().currentRowChanged.connect(
            lambda *_: self.callback_buttons.update_state()
        )
        self.tables: dict[str, tuple[QTableView, RowFilterProxy]] = {}
        self.addTab(_tab(self.visit_table, self.visit_buttons), "Visits")
        self.addTab(_tab(self.callback_table, self.callback_buttons), "Callbacks")
        self.forms = actions
        table, proxy = make_table(self.deficiencies, "unitDeficiencies")
        self.tables["unitDeficiencies"] = (table, proxy)
        self.deficiency_buttons = DeficiencyButtons(actions.records, self.selected_deficiency)
        table.selectionModel().currentRowChanged.connect(
            lambda *_: self.deficiency_buttons.update_state()
        )
        self.addTab(_tab(table, self.deficiency_buttons), "Deficiencies")
        for title, tip, model, name in (  # short titles: every tab in view on a small screen
            ("Tests", "Inspections and tests", self.inspections, "unitInspections"),
            ("Compliance", "", self.compliance, "unitCompliance"),
            ("History", "Status history", self.history, "unitHistory"),
        ):
            table, proxy = make_table(model, name)
            self.tables[name] = (table, proxy)
            self.setTabToolTip(self.addTab(_tab(table), title), tip)

    def show_detail(self, detail: UnitDetail) -> None:
        record = detail.record
        names = detail.names
        zone = detail.site.time_zone
        templates = self.forms.session.templates
        self.visits.set_rows(
            [
                VisitLine(
                    v,
                    technician=names.get(v.technician_id, "") if v.technician_id else "",
                    time_zone=zone,
                    checklist=templates.title(v.template_id, v.template_version),
                )
                for v in reversed(detail.visits)
            ]
        )
        self.callbacks.set_rows(
            [CallbackLine(i, time_zone=zone) for i in reversed(record.incidents)]
        )
        self.deficiencies.set_rows(list(reversed(record.deficiencies)))
        self.inspections.set_rows(list(reversed(record.inspections)))
        self.history.set_rows([HistoryLine(c, zone) for c in reversed(record.history)])
        today, row = detail.health.inputs.today, detail.row
        self.compliance.set_rows(
            [ComplianceRow(i, row, (i.due_on - today).days) for i in detail.compliance]
        )
        fit_columns(self.visit_table)
        fit_columns(self.callback_table)
        for table, _proxy in self.tables.values():
            fit_columns(table)
        self.visit_buttons.update_state()
        self.callback_buttons.update_state()
        self.deficiency_buttons.update_state()

    def selected_visit(self) -> Visit | None:
        line = selected_row(self.visit_table, self._visit_proxy)
        return line.visit if isinstance(line, VisitLine) else None

    def selected_incident(self) -> Incident | None:
        line = selected_row(self.callback_table, self._callback_proxy)
        return line.incident if isinstance(line, CallbackLine) else None

    def selected_deficiency(self) -> tuple[Deficiency, str] | None:
        """The selected deficiency and the unit's title."""
        table, proxy = self.tables["unitDeficiencies"]
        found = selected_row(table, proxy)
        return (found, self.forms.current_title) if isinstance(found, Deficiency) else None
