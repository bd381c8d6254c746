"""The fleet's deficiencies: filter by status and site, move one through its lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox

from app.domain.enums import DeficiencyStatus
from app.domain.work import Deficiency
from app.services.queries import FleetRow
from app.services.queries.directory import deficiency_log
from app.ui.backend import Backend
from app.ui.format import day, label, when
from app.ui.models.table import Column, RowTableModel
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.records.actions import RecordActions
from app.ui.views.records.unit_bar import DeficiencyButtons
from app.ui.views.screens.list_base import ListView


@dataclass(frozen=True, slots=True)
class DeficiencyLine:
    deficiency: Deficiency
    unit: FleetRow


class FleetDeficiencyTableModel(RowTableModel[DeficiencyLine]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column(
                    "Opened",
                    lambda r: when(r.deficiency.opened_at),
                    sort=lambda r: r.deficiency.opened_at,
                ),
                Column("Unit", lambda r: r.unit.title, sort=lambda r: r.unit.sort_key),
                Column("Customer", lambda r: r.unit.customer_name),
                Column("Severity", lambda r: label(r.deficiency.severity)),
                Column("Status", lambda r: label(r.deficiency.status)),
                Column(
                    "Correct by",
                    lambda r: day(r.deficiency.due_date),
                    sort=lambda r: (
                        r.deficiency.due_date.toordinal() if r.deficiency.due_date else 0
                    ),
                ),
                Column(
                    "Description",
                    lambda r: r.deficiency.description,
                    tooltip=lambda r: r.deficiency.description,
                ),
            ],
            parent,
        )


STATUS_FILTERS: dict[str, frozenset[DeficiencyStatus]] = {
    "Open": frozenset({DeficiencyStatus.OPEN}),
    "Fixed, to verify": frozenset({DeficiencyStatus.FIXED}),
    "Open or fixed": frozenset({DeficiencyStatus.OPEN, DeficiencyStatus.FIXED}),
    "Verified": frozenset({DeficiencyStatus.VERIFIED}),
    "Invalid": frozenset({DeficiencyStatus.INVALID}),
    "All statuses": frozenset(DeficiencyStatus),
}


class DeficienciesView(ListView):
    """Every deficiency of the fleet, newest first; activating a row opens its unit."""

    def __init__(self, session: Session, records: RecordActions) -> None:
        super().__init__(
            session,
            "Deficiencies",
            FleetDeficiencyTableModel(),  # type: ignore[arg-type]
            "deficiencyTable",
        )
        self.status = QComboBox()
        self.site = QComboBox()
        self.status.setObjectName("deficiencyStatusFilter")
        self.status.addItems(list(STATUS_FILTERS))
        self.status.setCurrentText("Open or fixed")
        self.status.currentIndexChanged.connect(self.apply_filter)
        self.site.setObjectName("deficiencySiteFilter")
        self.site.addItem("All sites", None)
        self.site.currentIndexChanged.connect(self.apply_filter)
        self.tools.insertWidget(2, self.status)
        self.tools.insertWidget(3, self.site)
        self.leave_out_when_narrow("Customer", "Opened", "Correct by")
        self.buttons = DeficiencyButtons(records, self.selected_deficiency)
        self.column.addWidget(self.buttons)

    def refresh(self) -> None:
        today = self.session.today()

        async def job(
            backend: Backend, _progress: Progress
        ) -> tuple[list[DeficiencyLine], list[tuple[str, UUID]]]:
            units = await backend.figures.every_row(today=today)
            found = await deficiency_log(backend.unit_of_work, units)
            sites = sorted({(u.site_name, u.site_id) for u in units.values()})
            return [DeficiencyLine(d, u) for d, u in found], sites

        self.session.work(
            job, lambda found: self._loaded(*found), label="load the deficiencies", parent=self
        )

    def _loaded(self, rows: list[DeficiencyLine], sites: list[tuple[str, UUID]]) -> None:
        """Show ``rows``; the site filter offers every site of the fleet."""
        chosen = self.site.currentData()
        self.site.blockSignals(True)
        self.site.clear()
        self.site.addItem("All sites", None)
        for name, site_id in sites:
            self.site.addItem(name, site_id)
        found = next((i for i in range(self.site.count()) if self.site.itemData(i) == chosen), 0)
        self.site.setCurrentIndex(found)
        self.site.blockSignals(False)
        self.show_rows(list(rows))

    def extra_filter(self, row: object) -> bool:
        if not isinstance(row, DeficiencyLine):
            return True
        statuses = STATUS_FILTERS.get(self.status.currentText(), frozenset(DeficiencyStatus))
        site = self.site.currentData()
        return row.deficiency.status in statuses and (site is None or row.unit.site_id == site)

    def selected_deficiency(self) -> tuple[Deficiency, str] | None:
        line = self.selected()
        return (line.deficiency, line.unit.title) if isinstance(line, DeficiencyLine) else None

    def selection_changed(self) -> None:
        self.buttons.update_state()

    def unit_of(self, row: object) -> FleetRow | None:
        return row.unit if isinstance(row, DeficiencyLine) else None
