"""Drafts belong to the store and the profile they were typed in."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.ui.errors import ErrorPresenter, ErrorReport
from app.ui.format import saved_when, when
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime
from app.ui.session import Session
from app.ui.views.visit.form import VisitForm
from tests.ui.conftest import FixedClock, make_session
from tests.ui.factories import SUPERVISOR, TECHNICIAN, Fleet
from tests.ui.fake_backend import FakeBackend


def _other_store(runtime: CoreRuntime, fleet: Fleet, data_dir: Path) -> Session:
    def show(_report: ErrorReport, _parent: QWidget | None) -> None:
        return None

    clock = FixedClock()
    return Session(
        runtime,
        FakeBackend(fleet, clock=clock, store_key="another-store"),
        clock=clock,
        errors=ErrorPresenter(log_file=data_dir / "log.txt", show=show),
        data_dir=data_dir,
        actor=SUPERVISOR,
    )


def _type_a_draft(qtbot: QtBot, window: MainWindow, fleet: Fleet) -> None:
    form = window.forms.record_visit(fleet.units["Quay House/L1"])
    assert isinstance(form, VisitForm)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.save_button.isEnabled(), timeout=5000)
    QTest.keyClicks(form.extras.notes, "Half typed")
    qtbot.waitUntil(lambda: "Draft saved" in form.draft.status.text(), timeout=5000)
    form.reject()


def _banner_after_start(qtbot: QtBot, session: Session, settings: QSettings) -> MainWindow:
    window = MainWindow(session, settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.wait(300)  # the banner looks for drafts on the worker
    return window


def test_a_draft_is_offered_only_in_its_store_and_to_its_profile(
    qtbot: QtBot,
    window: MainWindow,
    fleet: Fleet,
    runtime: CoreRuntime,
    tmp_path: Path,
    settings: QSettings,
    shown_errors: list[ErrorReport],
) -> None:
    _type_a_draft(qtbot, window, fleet)
    elsewhere = _banner_after_start(qtbot, _other_store(runtime, fleet, tmp_path), settings)
    assert not elsewhere.drafts.isVisible()
    assert elsewhere.drafts.drafts == []
    technician = make_session(runtime, fleet, tmp_path, TECHNICIAN, shown_errors)
    colleague = _banner_after_start(qtbot, technician, settings)
    assert not colleague.drafts.isVisible()
    same = _banner_after_start(
        qtbot, make_session(runtime, fleet, tmp_path, SUPERVISOR, shown_errors), settings
    )
    qtbot.waitUntil(lambda: same.drafts.isVisible(), timeout=5000)
    assert "Quay House / L1" in same.drafts.text.text()
    technician.switch_profile(SUPERVISOR)  # the colleague hands over: now it is offered
    qtbot.waitUntil(lambda: colleague.drafts.isVisible(), timeout=5000)


def test_saved_times_read_as_dates_not_iso_text() -> None:
    moment = datetime.fromisoformat("2026-12-04T14:48:00+00:00")
    assert saved_when("2026-12-04T14:48:00+00:00") == when(moment)
    assert "T" not in saved_when("2026-12-04T14:48:00+00:00")
    assert saved_when("garbage") == "an earlier session"
