"""The Compliance screen: every unit's compliance items, earliest due first."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from app.services.queries import ComplianceRow, FleetRow
from app.ui.backend import Backend
from app.ui.models.records import ComplianceTableModel
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.screens.list_base import ListView


class ComplianceView(ListView):
    def __init__(self, session: Session) -> None:
        super().__init__(session, "Compliance", ComplianceTableModel(), "complianceTable")  # type: ignore[arg-type]
        self.scope = QComboBox()
        self.scope.setObjectName("complianceScope")
        self.scope.addItems(["Needs attention", "Everything"])
        # a large fleet has tens of thousands of items: "Everything" is loaded when asked for
        self.scope.currentIndexChanged.connect(lambda _index: self.refresh())
        self.tools.insertWidget(2, self.scope)

    def refresh(self) -> None:
        today, everything = self.session.today(), self.scope.currentIndex() == 1

        async def job(backend: Backend, _progress: Progress) -> list[ComplianceRow]:
            return await backend.figures.compliance(today=today, everything=everything)

        self.session.work(job, self._loaded, label="load compliance", parent=self)

    def _loaded(self, rows: list[ComplianceRow]) -> None:
        self.show_rows(list(rows))

    def unit_of(self, row: object) -> FleetRow | None:
        return row.unit if isinstance(row, ComplianceRow) else None
