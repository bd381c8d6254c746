"""The audit view with background verification, and the one error presenter."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.audit.errors import ChainBroken
from app.domain.errors import ValidationError
from app.ui.errors import ErrorReport, describe_error
from app.ui.main_window import MainWindow
from app.ui.views.screens.audit import AuditView
from tests.ui.factories import Fleet
from tests.ui.fake_backend import FakeBackend


def _audit(qtbot: QtBot, window: MainWindow) -> AuditView:
    window.go("Audit")
    view = window.views["Audit"]
    assert isinstance(view, AuditView)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=5000)
    return view


def test_events_are_listed_with_actor_device_and_summary(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    view = _audit(qtbot, window)
    assert view.model.rowCount() == len(fleet.store.events)
    first = view.model.row_at(0)
    assert first.actor == "Sam Super"
    assert first.summary == "User Sam Super registered as supervisor"
    summaries = {view.model.row_at(r).summary for r in range(view.model.rowCount())}
    assert any(s.startswith("Callback logged via phone: Doors not closing") for s in summaries)
    assert view.model.index(0, 2).data().endswith("#1")


def test_verify_now_runs_in_the_background_and_reports_an_intact_chain(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    view = _audit(qtbot, window)
    backend = window.session.backend
    assert isinstance(backend, FakeBackend)
    backend.verify_delay = 0.02
    seen: list[int] = []
    QTest.mouseClick(view.verify, Qt.MouseButton.LeftButton)
    assert view.operation is not None
    view.operation.progressed.connect(lambda done, _total, _t: seen.append(done))
    assert not view.verify.isEnabled()
    qtbot.waitUntil(lambda: view.verify.isEnabled(), timeout=10000)
    assert "Chain intact" in view.chain.text()
    assert f"{len(fleet.store.events)} events" in view.chain.text()
    assert seen
    assert seen == sorted(seen)


def test_verification_can_be_cancelled(qtbot: QtBot, window: MainWindow) -> None:
    view = _audit(qtbot, window)
    backend = window.session.backend
    assert isinstance(backend, FakeBackend)
    backend.verify_delay = 0.5
    QTest.mouseClick(view.verify, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.progress.maximum() > 0, timeout=5000)
    QTest.mouseClick(view.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.verify.isEnabled(), timeout=5000)
    assert "cancelled" in view.chain.text()


def test_a_broken_chain_names_the_rule(qtbot: QtBot, window: MainWindow, fleet: Fleet) -> None:
    view = _audit(qtbot, window)
    sealed, event = fleet.store.state.log[3]
    forged = type(sealed)(sealed.body, sealed.canonical, sealed.hash, b"\x00" * 64)
    fleet.store.state.log[3] = (forged, event)
    QTest.mouseClick(view.verify, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.verify.isEnabled(), timeout=5000)
    assert "Chain broken (signature)" in view.chain.text()


def test_the_deep_check_reports_screens_that_match_the_log(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    view = _audit(qtbot, window)
    QTest.mouseClick(view.deep, Qt.MouseButton.LeftButton)
    assert not view.deep.isEnabled()
    qtbot.waitUntil(lambda: view.deep.isEnabled(), timeout=10000)
    assert "Chain intact" in view.chain.text()
    assert "The screens match the log" in view.chain.text()


def test_the_deep_check_names_the_first_projection_that_differs(
    qtbot: QtBot, window: MainWindow
) -> None:
    view = _audit(qtbot, window)
    backend = window.session.backend
    assert isinstance(backend, FakeBackend)
    backend.projection_difference = "elevators 0190: column status is 'decommissioned'"
    QTest.mouseClick(view.deep, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.deep.isEnabled(), timeout=10000)
    assert "Screens differ from the log (projection-mismatch)" in view.chain.text()
    assert "'decommissioned'" in view.chain.text()


def test_error_reports_are_sentences_with_a_next_step(tmp_path: Path) -> None:
    known = describe_error(
        ValidationError("Reading is not a number.", field="reading", hint="Type digits."),
        action="record the visit",
    )
    assert (known.message, known.hint, known.field) == (
        "Reading is not a number.",
        "Type digits.",
        "reading",
    )
    try:
        raise KeyError("boom")
    except KeyError as error:
        report = describe_error(error, action="load the fleet", log_file=tmp_path / "x.log")
    assert report.message == "Something unexpected went wrong while trying to load the fleet."
    assert "Traceback" not in report.message
    assert "Traceback" in report.details
    assert str(tmp_path / "x.log") in report.hint
    broken = describe_error(ChainBroken("signature", "bad signature", position=4), action="verify")
    assert "bad signature" in broken.message
    assert "signature" in broken.hint


def test_unexpected_errors_reach_the_presenter(
    qtbot: QtBot, window: MainWindow, shown_errors: list[ErrorReport]
) -> None:
    async def failing(_uow: object) -> None:
        raise RuntimeError("disk gone")

    operation = window.session.read(failing, lambda _r: None, label="load the fleet")
    with qtbot.waitSignal(operation.done, timeout=5000):
        pass
    assert shown_errors[-1].title == "Could not load the fleet"
    assert "disk gone" in shown_errors[-1].details
