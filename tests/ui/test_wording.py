"""What the screens say: titles, counts, filters and names read as a person expects."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from PySide6.QtCharts import QAbstractBarSeries, QBarCategoryAxis, QBarSeries, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.domain.commands import RecordVisit, Signature
from app.domain.downtime import Period
from app.domain.enums import ElevatorStatus, VisitStatus, VisitType
from app.domain.metrics import fleet_metrics
from app.domain.payloads import DeficiencyOpened
from app.services import queries as q
from app.services.queries import MonthCount
from app.services.visit_forms import record_visit
from app.ui.audit_text import summarize
from app.ui.main_window import MainWindow
from app.ui.models.records import FleetTableModel, VisitLine
from app.ui.views.screens.dashboard import tile_texts
from app.ui.views.screens.dashboard_charts import CallbackChart, StatusChart
from app.ui.views.screens.work import WorkView
from tests.ui.conftest import NOW
from tests.ui.factories import PNG_1PX, TECHNICIAN, Fleet, full_answers, seed_fleet

UNIT = "Harbour View/L1"


@pytest.fixture
def completed_visit(fleet: Fleet) -> UUID:
    """A preventive visit finished but not locked on Harbour View / L1."""
    arrived = NOW - timedelta(hours=3)
    fleet.clock.current = NOW - timedelta(hours=1)
    created = asyncio.run(
        record_visit(
            RecordVisit(
                elevator_id=fleet.units[UNIT],
                type=VisitType.PREVENTIVE,
                template_id="pm-monthly-traction",
                arrived_at=arrived,
                departed_at=arrived + timedelta(hours=1),
                items=full_answers(fleet, "pm-monthly-traction"),
                technician_signature=Signature(name="Tia Tech", image=PNG_1PX),
                customer_signoff=Signature(name="Site manager", refused=True),
                lock=False,
            ),
            ctx=fleet.context(TECHNICIAN),
            templates=fleet.templates,
            blobs=fleet.blobs,
        )
    )
    return created.id


def _work(qtbot: QtBot, window: MainWindow) -> WorkView:
    window.go("Work")
    view = window.views["Work"]
    assert isinstance(view, WorkView)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=5000)
    return view


def _shown(view: WorkView) -> list[VisitLine]:
    rows = [view.proxy.row_object(r) for r in range(view.proxy.rowCount())]
    return [r for r in rows if isinstance(r, VisitLine)]


def test_the_work_page_is_titled_work_and_open_work_leaves_out_completed_visits(
    completed_visit: UUID, qtbot: QtBot, window: MainWindow
) -> None:
    view = _work(qtbot, window)
    titles = [w.text() for w in view.findChildren(QLabel)]
    assert "Work" in titles
    assert "Visits" not in titles
    assert view.scope.currentText() == "Open work (scheduled or in progress)"
    assert all(
        r.visit.status in (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS) for r in _shown(view)
    )
    view.scope.setCurrentText("Completed, waiting to be locked")
    waiting = _shown(view)
    assert [r.visit.id for r in waiting] == [completed_visit]
    view.scope.setCurrentText("All open and recent visits")
    statuses = {r.visit.status for r in _shown(view)}
    assert {VisitStatus.COMPLETED, VisitStatus.LOCKED} <= statuses


def test_the_work_list_names_the_checklist_by_its_title(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    view = _work(qtbot, window)
    view.scope.setCurrentText("All open and recent visits")
    column = next(
        c
        for c in range(view.model.columnCount())
        if view.model.headerData(c, Qt.Orientation.Horizontal) == "Checklist"
    )
    texts = {view.proxy.index(r, column).data() for r in range(view.proxy.rowCount())}
    title = fleet.templates.get("pm-monthly-traction").name
    assert title in texts
    assert not any("pm-monthly-traction" in t for t in texts)


def test_an_export_suggests_one_hyphen_between_words(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    exporter = window.forms.exports
    suggested: list[str] = []

    def ask(_parent: object, _caption: str, name: str, _filter: str) -> str:
        suggested.append(name)
        return ""  # the user cancels

    exporter.ask_path = ask
    assert exporter.evidence_bundle(fleet.units[UNIT], "Temple Gate Hotel / L3") is None
    # in the documents folder (file dialogs open there), named with one hyphen between words
    assert [Path(s).name for s in suggested] == ["temple-gate-hotel-l3-evidence.json"]


def test_the_audit_trail_names_a_deficiency_before_its_severity(fleet: Fleet) -> None:
    opened = next(e for e in fleet.store.events if isinstance(e.payload, DeficiencyOpened))
    assert summarize(opened) == "Deficiency opened (inoperable): Governor tripped, car stopped"


def test_pm_compliance_with_nothing_due_says_so_rather_than_100_percent() -> None:
    period = Period(start=NOW - timedelta(days=30), end=NOW)
    nothing = fleet_metrics((), period, lambda _unit: pytest.fail("no unit"), NOW.date())
    assert nothing.pm_due == 0
    assert tile_texts(nothing)["pmCompliance"] == ("—", "no visits due in the period", False)


async def test_the_lowest_health_list_says_why_a_score_was_held_down(qtbot: QtBot) -> None:
    fleet = await seed_fleet()
    rows = await q.fleet(fleet.store.unit_of_work, today=NOW.date())
    capped = [r for r in rows if r.health_caps]
    assert capped  # the governor's inoperable deficiency holds one unit down
    model = FleetTableModel(with_caps=True)
    model.set_rows(capped)
    header = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    why = model.index(0, header.index("Held down by")).data()
    assert why == "Capped at 30: 1 open inoperable deficiency"
    assert model.index(0, header.index("Health")).data(Qt.ItemDataRole.ToolTipRole) == (
        "capped at 30: 1 open inoperable deficiency"
    )


def test_the_dashboard_charts_label_their_values(qtbot: QtBot) -> None:
    status = StatusChart()
    qtbot.addWidget(status.view)
    status.show({ElevatorStatus.OPERATIONAL: 5, ElevatorStatus.OUT_OF_SERVICE: 1})
    (names,) = [a for a in status.view.chart().axes() if isinstance(a, QBarCategoryAxis)]
    assert names.categories() == ["Operational (5)", "Out of service (1)"]

    calls = CallbackChart()
    qtbot.addWidget(calls.view)
    calls.show([MonthCount(date(2025, 1, 1), 3, 1), MonthCount(date(2025, 2, 1), 0, 0)])
    (series,) = calls.view.chart().series()
    assert isinstance(series, QBarSeries)
    assert series.isLabelsVisible()
    assert series.labelsPosition() is QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd
    (counts,) = [a for a in calls.view.chart().axes() if isinstance(a, QValueAxis)]
    assert counts.max() > 3  # the tallest bar's label stays inside the chart
