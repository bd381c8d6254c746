"""The dashboard: KPI tiles, charts, filters and drill-down, and a slow store never freezes it."""

from __future__ import annotations

import gc
import itertools
import time
from dataclasses import replace
from datetime import datetime, timedelta

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.domain.commands import UpdateSite
from app.domain.enums import ElevatorStatus, Manufacturer
from app.services.sites import update_site
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime, Progress
from app.ui.views.screens.dashboard import DashboardView
from tests.ui.factories import SUPERVISOR, Fleet


def _dashboard(qtbot: QtBot, window: MainWindow) -> DashboardView:
    view = window.views["Dashboard"]
    assert isinstance(view, DashboardView)
    qtbot.waitUntil(lambda: view.board is not None, timeout=5000)
    return view


def test_tiles_charts_and_lists_show_the_fleet(qtbot: QtBot, window: MainWindow) -> None:
    view = _dashboard(qtbot, window)
    assert view.board is not None
    metrics = view.board.metrics
    assert view.tiles["regulatory"].value.text() == "100%"
    assert view.tiles["callbackRate"].value.text() == f"{metrics.callback_rate:,.2f}"
    assert sum(view.status_chart.counts.values()) == 6
    assert len(view.callback_chart.months) == 12
    assert view.open_calls.rowCount() == len(view.board.open_callbacks) == 3
    assert view.drill.tabText(0) == "Open callbacks (3)"
    assert "6 units" in view.updated.text()


def test_the_age_of_the_figures_says_when_changed_units_were_brought_up_to_date(
    qtbot: QtBot, window: MainWindow
) -> None:
    view = _dashboard(qtbot, window)
    assert view.board is not None
    taken = datetime(2026, 11, 26, 9, 5).astimezone()  # this computer's time zone
    view.show_board(replace(view.board, at=taken, changes_to=None))
    assert view.updated.text().endswith(" · as of 09:05")
    view.show_board(replace(view.board, at=taken, changes_to=taken + timedelta(minutes=12)))
    assert view.updated.text().endswith(" · as of 09:05, changes to 09:17 included")
    view.show_board(replace(view.board, at=taken, changes_to=taken + timedelta(seconds=20)))
    assert view.updated.text().endswith(" · as of 09:05")  # the same minute: said once


def test_filters_and_period_narrow_the_figures(qtbot: QtBot, window: MainWindow) -> None:
    view = _dashboard(qtbot, window)
    view.maker.setCurrentIndex(view.maker.findData(Manufacturer.KONE))
    qtbot.waitUntil(
        lambda: view.board is not None and view.board.filter.manufacturer is not None, timeout=5000
    )
    assert view.board is not None
    assert {r.manufacturer for r in view.board.rows} == {Manufacturer.KONE}
    assert f"{len(view.board.rows)} units" in view.updated.text()
    view.period.setCurrentIndex(0)  # last 30 days
    qtbot.waitUntil(
        lambda: view.board is not None and view.board.filter.period.hours == 30 * 24, timeout=5000
    )
    view.maker.setCurrentIndex(0)
    qtbot.waitUntil(lambda: view.board is not None and len(view.board.rows) == 6, timeout=5000)
    assert view.customer.count() == 3  # "All customers" and the two customers


def test_drill_down_opens_the_unit(qtbot: QtBot, window: MainWindow, fleet: Fleet) -> None:
    view = _dashboard(qtbot, window)
    table, proxy = view.tables["openCallbacks"]
    table.activated.emit(proxy.index(0, 0))
    assert window.current_view() == "Sites & Units"
    qtbot.waitUntil(lambda: window.fleet.page.detail is not None, timeout=5000)
    assert window.fleet.page.detail is not None
    assert window.fleet.page.detail.open_incidents


def test_a_slow_store_never_freezes_the_window(
    qtbot: QtBot, window: MainWindow, fleet: Fleet, runtime: CoreRuntime
) -> None:
    view = _dashboard(qtbot, window)
    assert view.board is not None
    before = view.board.metrics
    site_id = fleet.sites["Quay House"]

    async def record(_progress: Progress) -> None:  # a renamed site: every unit is recomputed
        command = UpdateSite(site_id=site_id, name="Quay House North")
        await update_site(command, ctx=fleet.context(SUPERVISOR))

    runtime.run_sync(record)
    fleet.store.delay = 0.1  # every read now takes 100 ms: recomputing takes about a second
    # The garbage of the tests before this one is collected first and the survivors frozen:
    # a full collection of a large heap is a pause of the interpreter, not of this window.
    gc.collect()
    gc.freeze()
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    started = time.monotonic()
    view.refresh()
    assert view.updated.text() == "Updating…"
    QTest.keyClicks(window.fleet.search, "harbour")  # typing still works meanwhile
    qtbot.waitUntil(lambda: "updating…" in view.updated.text(), timeout=5000)
    assert view.board is not None
    assert view.board.stale  # the figures at hand, at once
    assert view.board.metrics == before
    try:
        qtbot.waitUntil(lambda: "as of" in view.updated.text(), timeout=20000)
    finally:
        timer.stop()
        gc.unfreeze()
    elapsed = time.monotonic() - started
    assert elapsed > 0.3
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > elapsed / 0.05  # the Qt loop kept ticking
    # Never blocked for long: recomputing on the Qt thread would stop it for the whole refresh.
    # Half of it is the bound, so a loaded machine that deschedules the process for a
    # moment is not mistaken for a frozen window.
    assert max(gaps) < max(0.5, elapsed / 2)
    assert window.fleet.search.text() == "harbour"
    assert view.board is not None
    assert not view.board.stale
    assert view.board.by_status[ElevatorStatus.OPERATIONAL] >= 1
