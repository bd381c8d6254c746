"""Table models and proxies, tested without any window."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.settings import OrganizationSettings
from app.services import queries as q
from app.ui.format import STATUS_COLORS, duration, label
from app.ui.models.records import (
    CallbackLine,
    CallbackTableModel,
    FleetTableModel,
    VisitLine,
    VisitTableModel,
)
from app.ui.models.table import ROW_ROLE, RowFilterProxy
from app.ui.views.screens.base import make_table
from app.ui.views.screens.dashboard import tile_tooltips
from tests.ui.factories import seed_fleet

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


async def test_fleet_model_shows_rows_and_the_proxy_sorts_and_filters(qtbot: QtBot) -> None:
    fleet = await seed_fleet()
    rows = await q.fleet(fleet.store.unit_of_work, today=NOW.date())
    model = FleetTableModel()
    model.set_rows(rows)
    assert model.rowCount() == 6
    assert model.columnCount() == 6
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Health"
    status = model.index(0, 2)
    assert status.data() == label(rows[0].status)
    assert status.data(Qt.ItemDataRole.ForegroundRole) == STATUS_COLORS[rows[0].status]
    proxy = RowFilterProxy(model)
    proxy.sort(3, Qt.SortOrder.AscendingOrder)
    healths = [int(proxy.index(r, 3).data()) for r in range(proxy.rowCount())]
    assert healths == sorted(healths)
    proxy.set_predicate(lambda row: q.matches(row, "quay"))
    assert proxy.rowCount() == 2
    assert {proxy.row_object(r).site_name for r in range(2)} == {"Quay House"}
    proxy.set_predicate(None)
    assert proxy.rowCount() == 6
    assert model.index(0, 0).data(ROW_ROLE) == min(rows, key=lambda r: r.health)
    model.set_rows(list(reversed(rows)))  # new rows keep the order the user chose
    assert [int(proxy.index(r, 3).data()) for r in range(6)] == healths
    proxy.sort(3, Qt.SortOrder.DescendingOrder)
    assert [int(proxy.index(r, 3).data()) for r in range(6)] == sorted(healths, reverse=True)
    proxy.sort(-1)  # no column: the current order stays
    model.set_rows(rows)
    assert [proxy.row_object(r) for r in range(6)] == rows


async def test_sorting_keeps_the_selection_on_its_row(qtbot: QtBot) -> None:
    fleet = await seed_fleet()
    rows = await q.fleet(fleet.store.unit_of_work, today=NOW.date())
    model = FleetTableModel()
    model.set_rows(rows)
    table, proxy = make_table(model, "fleet")
    qtbot.addWidget(table)
    chosen = max(rows, key=lambda r: r.health)
    table.selectRow(proxy.proxy_row(model.find_row(lambda r: r == chosen)))
    table.sortByColumn(3, Qt.SortOrder.AscendingOrder)
    assert proxy.row_object(table.currentIndex().row()) == chosen
    assert table.currentIndex().row() == sorted(rows, key=lambda r: r.health).index(chosen)


async def test_callback_model_formats_entrapments_and_kpi(qtbot: QtBot) -> None:
    fleet = await seed_fleet()
    uow = fleet.store.unit_of_work
    calls = await q.callback_log(uow, await q.FleetFigures(uow).every_row(today=NOW.date()))
    model = CallbackTableModel()
    model.set_rows([CallbackLine(i, row.title) for i, row in calls])
    texts = {model.index(r, 5).data() for r in range(model.rowCount())}
    assert "Yes (1)" in texts
    assert model.index(0, 7).data() == "Yes"
    assert model.headerData(7, Qt.Orientation.Horizontal) == "In KPIs"


def test_formatting_helpers() -> None:
    from datetime import timedelta

    assert label("out_of_service") == "Out of service"
    assert label("KONE") == "KONE"
    assert duration(timedelta(minutes=75)) == "1 h 15 min"
    assert duration(timedelta(days=2, hours=3)) == "2 d 3 h"


async def test_visit_and_callback_times_read_as_the_clock_at_the_site(qtbot: QtBot) -> None:
    fleet = await seed_fleet()
    visit = next(iter(fleet.store.state.visits.values()))
    incident = next(iter(fleet.store.state.incidents.values()))
    assert visit.arrived_at is not None
    visits, calls = VisitTableModel(), CallbackTableModel()
    visits.set_rows([VisitLine(visit, time_zone="America/New_York")])
    calls.set_rows([CallbackLine(incident, time_zone="Asia/Tokyo")])
    boston = visit.arrived_at.astimezone(ZoneInfo("America/New_York"))
    tokyo = incident.reported_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert visits.index(0, 0).data() == f"{boston:%Y-%m-%d %H:%M}"
    assert calls.index(0, 0).data() == f"{tokyo:%Y-%m-%d %H:%M}"


def test_the_dashboard_explains_its_figures_and_the_pm_schedule() -> None:
    tips = tile_tooltips(OrganizationSettings(pm_window_percent=15))
    assert "Fixed calendar from the unit's registration" in tips["pmCompliance"]
    assert "No visit moves a due date" in tips["pmCompliance"]
    assert "(15% of the interval)" in tips["pmCompliance"]
    assert "never lowers compliance" in tips["pmCompliance"]
    assert "Counted around the clock" in tips["availability"]
    assert "90 days" in tips["callbackRate"]
    assert "found on site are left out" in tips["response"]
