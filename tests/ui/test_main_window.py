"""The shell: navigation by role, status bar, shortcuts, geometry, drill-down to a unit."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.domain.compliance import ComplianceItem, ComplianceStatus
from app.services.queries import ComplianceRow
from app.ui.main_window import MainWindow
from app.ui.session import Session
from app.ui.views.screens.compliance import ComplianceView
from tests.ui.factories import TECHNICIAN, Fleet


def test_supervisor_sees_every_screen_and_the_status_bar(qtbot: QtBot, window: MainWindow) -> None:
    assert window.current_view() == "Dashboard"
    hidden = [window.nav.item(r).isHidden() for r in range(window.nav.count())]
    assert hidden == [False] * 9
    assert "Sam Super (Supervisor)" in window.profile_label.text()
    assert window.store_label.text() == "Test store (memory)"


def test_technician_does_not_see_dashboard_or_compliance(
    qtbot: QtBot, tech_session: Session, settings: QSettings
) -> None:
    main = MainWindow(tech_session, settings)
    qtbot.addWidget(main)
    main.show()
    visible = [
        main.nav.item(r).text() for r in range(main.nav.count()) if not main.nav.item(r).isHidden()
    ]
    assert visible == [
        "Sites & Units",
        "Work",
        "Callbacks",
        "Deficiencies",
        "Customers & Sites",
        "Audit",
        "Settings",
    ]
    assert main.current_view() == "Sites & Units"
    main.go("Dashboard")
    assert main.current_view() == "Sites & Units"


def test_shortcuts_navigate_and_switching_profile_changes_what_is_shown(
    qtbot: QtBot, window: MainWindow, session: Session
) -> None:
    QTest.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.current_view() == "Work"
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.current_view() == "Sites & Units"
    session.switch_profile(TECHNICIAN)
    assert window.nav.item(0).isHidden()
    assert "Tia Tech" in window.profile_label.text()
    assert window.settings.value("profile/user_id") == str(TECHNICIAN.user_id)


def test_profile_dialog_lists_the_store_users(
    qtbot: QtBot, window: MainWindow, session: Session
) -> None:
    dialog = window.switch_profile()
    qtbot.waitUntil(lambda: dialog.list.count() == 2, timeout=5000)
    dialog.list.setCurrentRow(1)
    assert "technician sees Sites & Units" in dialog.hint.text()
    QTest.keyClick(dialog.list, Qt.Key.Key_Return)
    assert session.actor is not None
    assert session.actor.name == "Tia Tech"


def test_geometry_is_remembered(qtbot: QtBot, session: Session, settings: QSettings) -> None:
    first = MainWindow(session, settings)
    qtbot.addWidget(first)
    first.show()
    first.resize(1000, 700)  # the offscreen screen is 800x800; Qt keeps the height
    first.close()
    saved = settings.value("window/geometry")
    assert isinstance(saved, QByteArray)
    second = MainWindow(session, settings)
    qtbot.addWidget(second)
    assert second.size().height() == 700  # not the 720 of a first start


def test_finder_filters_as_you_type_and_opens_the_unit_page(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    window.go("Sites & Units")
    view = window.fleet
    qtbot.waitUntil(lambda: view.model.rowCount() == 6, timeout=5000)
    QTest.keyClicks(view.search, "quay l2")
    assert view.proxy.rowCount() == 1
    assert view.count.text() == "1 of 6 units"
    QTest.keyClick(view.search, Qt.Key.Key_Return)
    page = view.page
    qtbot.waitUntil(lambda: page.detail is not None, timeout=5000)
    assert page.title.text() == "Quay House / L2"
    assert page.detail is not None
    assert page.detail.elevator.id == fleet.units["Quay House/L2"]
    assert page.tabs.visits.rowCount() >= 1
    assert page.health.score.text() == str(page.detail.health.score)
    assert page.record_visit.isEnabled()


def test_compliance_lists_what_needs_attention_and_everything_on_request(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.go("Compliance")
    view = window.views["Compliance"]
    assert isinstance(view, ComplianceView)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=5000)
    attention = _compliance_items(view)
    assert all(i.status is not ComplianceStatus.OK for i in attention)
    view.scope.setCurrentIndex(1)  # Everything: loaded now
    qtbot.waitUntil(lambda: view.model.rowCount() > len(attention), timeout=5000)
    everything = _compliance_items(view)
    assert any(i.status is ComplianceStatus.OK for i in everything)
    assert set(attention) < set(everything)


def _compliance_items(view: ComplianceView) -> list[ComplianceItem]:
    rows = [view.model.row_at(r) for r in range(view.model.rowCount())]
    return [r.item for r in rows if isinstance(r, ComplianceRow)]
