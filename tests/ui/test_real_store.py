"""The GUI on the real SQLite store: a demo store built through the real services."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.audit.bundle import verify_bundle
from app.bootstrap import Workspace, open_workspace
from app.demo_workspace import create_demo_store
from app.domain.entities import User
from app.domain.enums import Role, VisitStatus
from app.domain.figures import MetricFigures
from app.domain.metrics import FleetMetrics, fleet_metrics
from app.domain.work import Visit
from app.services.queries import load_fleet, profiles
from app.ui.errors import ErrorPresenter
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime, Progress
from app.ui.session import Session
from app.ui.views.dialogs.profile import actor_of
from app.ui.views.screens.audit import AuditView
from app.ui.views.screens.compliance import ComplianceView
from app.ui.views.screens.dashboard import DashboardView, tile_texts
from app.ui.views.screens.list_base import ListView
from app.ui.views.visit.form import VisitForm
from tests.ui.conftest import FixedClock
from tests.ui.helpers import answer_checklist, draw_signature


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    path = tmp_path / "demo.sqlite"
    now = FixedClock().now()  # the sessions' clock: the saved figures are current for them
    asyncio.run(create_demo_store(path, units=6, seed=7, as_of=now.date(), months=3, now=now))
    return path


def test_recording_a_visit_on_the_real_store(
    qtbot: QtBot, runtime: CoreRuntime, demo_path: Path, tmp_path: Path
) -> None:
    async def open_job(_progress: Progress) -> Workspace:
        return await open_workspace(demo_path)  # the composition root's Workspace is a Backend

    backend = runtime.run_sync(open_job)
    session = Session(
        runtime, backend, clock=FixedClock(), errors=ErrorPresenter(), data_dir=tmp_path
    )
    users: list[User] = []
    with qtbot.waitSignal(session.read(profiles, users.extend).done, timeout=10000):
        pass
    technician = next(u for u in users if u.role is Role.TECHNICIAN)
    session.switch_profile(actor_of(next(u for u in users if u.role is Role.SUPERVISOR)))
    window = MainWindow(session, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    dashboard = window.views["Dashboard"]
    qtbot.waitUntil(lambda: getattr(dashboard, "board", None) is not None, timeout=20000)
    session.switch_profile(actor_of(technician))
    assert window.current_view() == "Sites & Units"
    qtbot.waitUntil(lambda: window.fleet.model.rowCount() == 6, timeout=20000)
    unit = window.fleet.model.row_at(0)
    form = window.forms.record_visit(unit.elevator_id)
    assert isinstance(form, VisitForm)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: len(form.checklist.rows) > 3, timeout=10000)
    answer_checklist(qtbot, form.checklist)
    draw_signature(form.signoff.tech_pad)
    QTest.keyClicks(form.signoff.customer_name, "Facilities manager")
    draw_signature(form.signoff.customer_pad)
    with qtbot.waitSignal(form.saved, timeout=20000):
        QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)

    async def visits(_progress: Progress) -> list[Visit]:
        async with backend.unit_of_work() as uow:
            return await uow.visits.for_elevator(unit.elevator_id)

    recorded = max(runtime.run_sync(visits), key=lambda v: v.created_at)
    assert recorded.status is VisitStatus.LOCKED
    assert recorded.technician_id == technician.id
    assert recorded.customer_signoff is not None
    assert recorded.customer_signoff.signature_sha256 is not None
    window.go("Audit")
    audit = window.views["Audit"]
    assert isinstance(audit, AuditView)
    qtbot.waitUntil(lambda: audit.model.rowCount() > 0, timeout=20000)
    QTest.mouseClick(audit.verify, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: audit.verify.isEnabled(), timeout=30000)
    assert "Chain intact" in audit.chain.text()

    shown: list[str] = []
    exporter = window.forms.exports
    exporter.notify = lambda _parent, _title, text: shown.append(text)
    bundle, record = tmp_path / "unit.json", tmp_path / "record.csv"
    exporter.ask_path = lambda *_args: str(bundle)
    exporter.evidence_bundle(unit.elevator_id, unit.title)
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=20000)
    assert verify_bundle(bundle.read_bytes()).events > 0
    exporter.ask_path = lambda *_args: str(record)
    exporter.report(unit.elevator_id, unit.title, "record", "csv")
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=30000)
    lines = record.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Unit,Site,Customer,Date,")
    assert lines[-1].startswith("# Chain intact: ")
    assert "Facilities manager" in lines[-2]  # the visit recorded above, last by date
    window.close()

    async def close(_progress: Progress) -> None:
        await backend.aclose()

    runtime.run_sync(close)


def _window(
    qtbot: QtBot, runtime: CoreRuntime, path: Path, tmp_path: Path
) -> tuple[Workspace, MainWindow]:
    async def open_job(_progress: Progress) -> Workspace:
        return await open_workspace(path)

    backend = runtime.run_sync(open_job)

    async def users_job(_progress: Progress) -> list[User]:
        return await profiles(backend.unit_of_work)

    chief = next(u for u in runtime.run_sync(users_job) if u.role is Role.SUPERVISOR)
    session = Session(
        runtime, backend, clock=FixedClock(), errors=ErrorPresenter(), data_dir=tmp_path
    )
    session.switch_profile(actor_of(chief))
    window = MainWindow(session, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    return backend, window


def _dashboard(window: MainWindow) -> DashboardView:
    view = window.views["Dashboard"]
    assert isinstance(view, DashboardView)
    return view


def _close(runtime: CoreRuntime, backend: Workspace, window: MainWindow) -> None:
    window.close()

    async def close(_progress: Progress) -> None:
        await backend.aclose()

    runtime.run_sync(close)


def test_the_dashboard_shows_the_domains_figures_and_keeps_them(
    qtbot: QtBot, runtime: CoreRuntime, demo_path: Path, tmp_path: Path
) -> None:
    backend, window = _window(qtbot, runtime, demo_path, tmp_path)
    view = _dashboard(window)
    qtbot.waitUntil(lambda: view.board is not None and not view.board.stale, timeout=30000)
    assert view.board is not None
    period = view.board.filter.period
    today = FixedClock().now().date()

    async def expected(_progress: Progress) -> FleetMetrics:
        data = await load_fleet(backend.unit_of_work)
        as_of = min(today, (period.end - timedelta(microseconds=1)).date())
        # the period runs up to the moment the figures were taken, not to midnight ahead
        cut = period.ending_by(view.board.at) if view.board else period
        return fleet_metrics(data.records, cut, data.rules().for_unit, as_of)

    domain = runtime.run_sync(expected)
    shown = view.board.metrics
    assert {f: getattr(shown, f) for f in MetricFigures.model_fields} == {
        f: getattr(domain, f) for f in MetricFigures.model_fields
    }
    for name, (text, _note, _warn) in tile_texts(domain, view.board.settings).items():
        assert view.tiles[name].value.text() == text
    assert backend.figures.computed == 0  # saved in the demo store when it was built
    _close(runtime, backend, window)

    again, window = _window(qtbot, runtime, demo_path, tmp_path)  # the next session
    later = _dashboard(window)
    qtbot.waitUntil(lambda: later.board is not None, timeout=30000)
    assert later.board is not None
    assert not later.board.stale
    assert later.board.metrics == shown
    assert again.figures.computed == 0  # painted from the figures saved in the store
    _close(runtime, again, window)


def test_the_list_screens_load_from_the_real_store(
    qtbot: QtBot, runtime: CoreRuntime, demo_path: Path, tmp_path: Path
) -> None:
    backend, window = _window(qtbot, runtime, demo_path, tmp_path)
    for name in ("Work", "Callbacks", "Compliance"):
        window.go(name)
        view = window.views[name]
        assert isinstance(view, ListView)
        if isinstance(view, ComplianceView):
            view.scope.setCurrentIndex(1)  # everything: this small fleet may need no attention
        qtbot.waitUntil(lambda v=view: v.model.rowCount() > 0, timeout=20000)  # type: ignore[misc]
    _close(runtime, backend, window)
