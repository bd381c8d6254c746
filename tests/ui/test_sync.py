"""Sync in the window: the indicator's states, sign-in, the logout guard, conflicts, changes.

The sync port is a hand-written fake (``tests/ui/fake_sync.py``) running on the real core
worker; the widgets are real, offscreen.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from uuid import UUID, uuid4

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.errors import ValidationError
from app.ui.errors import ErrorReport
from app.ui.main_window import MainWindow
from app.ui.session import Session
from app.ui.sync.bridge import SyncBridge
from app.ui.sync.network import Reachability
from app.ui.sync.page import SyncView
from app.ui.sync.port import AnchorState, EventAnchor
from app.ui.sync.sign_in import SignInDialog
from app.ui.sync.state import Level
from app.ui.views.screens.audit import AuditView
from sync.client.address import check_server_url
from tests.ui.factories import Fleet, one_event_changes
from tests.ui.fake_sync import (
    PASSWORD,
    Attention,
    Conflict,
    FakeSyncPort,
    Status,
    Summary,
)

JOINED = Status(
    joined=True, server_url="https://sync.example.com", email="sam@example.com", pending=4
)


@pytest.fixture
def port() -> FakeSyncPort:
    return FakeSyncPort()


@pytest.fixture
def bridge(session: Session, port: FakeSyncPort) -> Iterator[SyncBridge]:
    sync = SyncBridge(session, port)
    yield sync
    sync.stop()


@pytest.fixture
def sync_window(
    qtbot: QtBot, session: Session, settings: QSettings, bridge: SyncBridge
) -> MainWindow:
    main = MainWindow(session, settings, sync=bridge)
    qtbot.addWidget(main)
    main.show()
    bridge.start()
    qtbot.waitUntil(lambda: bridge.state.status is not None, timeout=5000)
    return main


def _indicator(window: MainWindow) -> str:
    assert window.sync is not None
    return window.sync.indicator.text()


def _level(window: MainWindow) -> Level:
    assert window.sync is not None
    return window.sync.indicator.current.level


def _page(window: MainWindow) -> SyncView:
    page = window.views["Sync"]
    assert isinstance(page, SyncView)
    return page


def test_the_indicator_goes_through_syncing_offline_error_and_up_to_date(
    qtbot: QtBot, sync_window: MainWindow, bridge: SyncBridge, port: FakeSyncPort
) -> None:
    assert sync_window.sync is not None
    indicator = sync_window.sync.indicator
    assert "Not signed in · 2 waiting" in indicator.text()
    port.status_now = JOINED
    bridge.refresh()
    qtbot.waitUntil(lambda: "4 waiting" in indicator.text(), timeout=5000)

    # Syncing, with the phase and how far it is.
    port.hold = threading.Event()
    port.next_run = Summary("failed", problem="The server cannot be reached.")
    bridge.sync_now()
    qtbot.waitUntil(lambda: "Syncing: sending 3 of 10" in indicator.text(), timeout=5000)
    assert _level(sync_window) is Level.BUSY

    # Offline: the run failed on the network; the pending count stays.
    port.hold.set()
    qtbot.waitUntil(lambda: indicator.text().startswith("◌ Offline · 4 waiting"), timeout=5000)
    assert "tries again on its own" in indicator.toolTip()

    # An error that needs a person: the headline and the next step.
    port.next_run = Summary(
        "stopped", problem="Sign in to sync", hint="Your sign-in has expired: sign in again."
    )
    bridge.sync_now()
    qtbot.waitUntil(lambda: "Sign in to sync · 4 waiting" in indicator.text(), timeout=5000)
    assert _level(sync_window) is Level.ERROR
    assert "Next step: Your sign-in has expired: sign in again." in indicator.toolTip()

    # Up to date, with the last successful sync.
    port.next_run = Summary("ok", pushed=4)
    bridge.sync_now()
    qtbot.waitUntil(lambda: "Up to date" in indicator.text(), timeout=5000)
    assert _level(sync_window) is Level.OK
    assert "Last successful sync: 2025-06-02" in indicator.toolTip()

    # Clicking it opens the Sync page, which lists the runs.
    indicator.click()
    assert sync_window.current_view() == "Sync"
    page = _page(sync_window)
    qtbot.waitUntil(lambda: page.runs.rowCount() == 3, timeout=5000)


def test_a_clock_off_by_more_than_five_minutes_is_shown(
    qtbot: QtBot, sync_window: MainWindow, bridge: SyncBridge, port: FakeSyncPort
) -> None:
    warning = "This computer's clock is 12 minutes behind the server's; set the clock right."
    port.status_now = replace(JOINED, skew_warning=warning)
    bridge.refresh()
    qtbot.waitUntil(lambda: "clock off" in _indicator(sync_window), timeout=5000)
    assert sync_window.sync is not None
    assert warning in sync_window.sync.indicator.toolTip()


def test_a_demo_store_explains_it_never_syncs(
    qtbot: QtBot, session: Session, settings: QSettings
) -> None:
    port = FakeSyncPort(demo=True)
    bridge = SyncBridge(session, port)
    main = MainWindow(session, settings, sync=bridge)
    qtbot.addWidget(main)
    main.show()
    bridge.start()
    assert "Demo store" in _indicator(main)
    assert main.sync is not None
    dialog = main.sync.sign_in()
    assert "never joined to an organization" in dialog.note.text()
    dialog.server.setText("https://sync.example.com")
    dialog.email.setText("sam@example.com")
    dialog.password.setText(PASSWORD)
    dialog.ok.click()
    qtbot.waitUntil(lambda: main.sync is not None and main.sync.message is not None, timeout=5000)
    assert main.sync.message is not None
    assert "/tmp/acme.sitesync" in main.sync.message.text()
    assert "sitesync --db /tmp/acme.sitesync" in main.sync.message.text()
    main.sync.message.close()
    bridge.stop()


def test_sign_in_checks_the_fields_lets_a_wrong_password_be_retried_and_syncs(
    qtbot: QtBot, sync_window: MainWindow, bridge: SyncBridge, port: FakeSyncPort
) -> None:
    assert sync_window.sync is not None
    sync_window.sync.sign_in_action.trigger()
    dialog = sync_window.sync.dialog
    assert isinstance(dialog, SignInDialog)
    assert dialog.isVisible()

    dialog.ok.click()  # nothing typed: said next to the field, nothing sent
    assert "starting with https://" in dialog.errors.messages()["server_url"]
    QTest.keyClicks(dialog.server, "sync.example.com")
    dialog.ok.click()
    assert "server_url" in dialog.errors.messages()

    dialog.server.setText("https://sync.example.com/")
    QTest.keyClicks(dialog.email, "sam@example.com")
    QTest.keyClicks(dialog.password, "wrong")
    dialog.ok.click()
    qtbot.waitUntil(lambda: bool(dialog.errors.messages().get("")), timeout=5000)
    assert "not right" in dialog.errors.messages()[""]
    assert dialog.isVisible()
    assert dialog.ok.isEnabled()

    dialog.password.setText(PASSWORD)
    dialog.ok.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    # Signed in: a run follows at once and the indicator ends up to date.
    qtbot.waitUntil(lambda: "Up to date" in _indicator(sync_window), timeout=5000)
    assert port.status_now.server_url == "https://sync.example.com"
    assert sync_window.sync.sign_out_action.isEnabled()


def test_server_urls_are_checked() -> None:
    assert check_server_url(" https://sync.example.com/ ") == "https://sync.example.com"
    assert check_server_url("http://10.0.0.5:8000") == "http://10.0.0.5:8000"
    assert check_server_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert check_server_url("http://syncbox:8000") == "http://syncbox:8000"
    with pytest.raises(ValidationError, match="unencrypted"):
        check_server_url("http://sync.example.com")
    with pytest.raises(ValidationError, match="unencrypted"):
        check_server_url("http://8.8.8.8")


def test_sign_out_with_pending_events_asks_first_and_keeps_them(
    qtbot: QtBot, sync_window: MainWindow, bridge: SyncBridge, port: FakeSyncPort
) -> None:
    port.status_now = JOINED
    bridge.refresh()
    qtbot.waitUntil(lambda: "4 waiting" in _indicator(sync_window), timeout=5000)
    assert sync_window.sync is not None

    sync_window.sync.sign_out()
    qtbot.waitUntil(lambda: _box(sync_window, "confirmBox") is not None, timeout=5000)
    box = _box(sync_window, "confirmBox")
    assert box is not None
    assert "4 records have not reached the server yet" in box.text()
    assert "nobody else's sign-in sends them" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    QTest.qWait(100)
    assert port.signed_out == 0  # "No": still signed in

    sync_window.sync.sign_out()
    qtbot.waitUntil(
        lambda: (b := _box(sync_window, "confirmBox")) is not None and b.isVisible(), timeout=5000
    )
    box = _box(sync_window, "confirmBox")
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: port.signed_out == 1, timeout=5000)
    qtbot.waitUntil(lambda: _box(sync_window, "signedOutBox") is not None, timeout=5000)
    done = _box(sync_window, "signedOutBox")
    assert done is not None
    assert "4 records not yet sent stay in this store" in done.text()
    qtbot.waitUntil(lambda: "Not signed in · 4 waiting" in _indicator(sync_window), timeout=5000)
    assert port.status_now.pending == 4  # never dropped


def _box(window: MainWindow, name: str) -> QMessageBox | None:
    boxes = [b for b in window.findChildren(QMessageBox, name) if b.isVisible()]
    return boxes[-1] if boxes else None


def test_a_supervisor_resolves_a_conflict_with_one_click(
    qtbot: QtBot, sync_window: MainWindow, bridge: SyncBridge, port: FakeSyncPort, fleet: Fleet
) -> None:
    unit = fleet.units["Harbour View/L1"]
    port.status_now = replace(
        JOINED,
        open_conflicts=(
            Conflict("c1", "elevator", str(unit), "model", '"MonoSpace 500"', '"MonoSpace 700"'),
        ),
        needs_attention=(
            Attention(
                "e9",
                "rejected",
                "The unit is decommissioned: its status cannot change.",
                "elevator",
                str(unit),
                "elevator.status_changed",
            ),
        ),
    )
    sync_window.go("Sync")
    page = _page(sync_window)
    qtbot.waitUntil(lambda: len(page.cards) == 1, timeout=5000)
    card = page.cards[0]
    kept, other = card.findChild(QLabel, "keptValue"), card.findChild(QLabel, "otherValue")
    assert kept is not None
    assert other is not None
    assert (kept.text(), other.text()) == ("MonoSpace 500", "MonoSpace 700")  # side by side
    qtbot.waitUntil(lambda: page.attention.rowCount() == 1, timeout=5000)
    record = page.attention.index(0, 0).data()
    assert record == "Unit L1 at Harbour View"
    assert "decommissioned" in page.attention.index(0, 3).data()

    card.buttons["other"].click()
    qtbot.waitUntil(lambda: port.resolved != [], timeout=5000)
    assert port.resolved[0][:2] == ("c1", "other")
    qtbot.waitUntil(lambda: page.cards == [], timeout=5000)


def _one_conflict(
    qtbot: QtBot, window: MainWindow, bridge: SyncBridge, port: FakeSyncPort
) -> SyncView:
    """The Sync page showing one open conflict (c1, a unit's model: "A" kept, "B" other)."""
    port.status_now = replace(
        JOINED, open_conflicts=(Conflict("c1", "elevator", "0" * 32, "model", '"A"', '"B"'),)
    )
    window.go("Sync")
    page = _page(window)
    bridge.refresh()
    qtbot.waitUntil(lambda: len(page.cards) == 1, timeout=5000)
    return page


def test_a_conflict_card_rebuilt_while_its_choice_is_saved_stays_busy_then_goes(
    qtbot: QtBot, sync_window: MainWindow, bridge: SyncBridge, port: FakeSyncPort
) -> None:
    page = _one_conflict(qtbot, sync_window, bridge, port)
    first = page.cards[0]
    port.resolve_hold = threading.Event()
    first.buttons["kept"].click()

    bridge.refresh()  # sync reports while the choice is being saved: the cards are rebuilt
    qtbot.waitUntil(lambda: page.cards != [first], timeout=5000)
    (rebuilt,) = page.cards
    assert not rebuilt.buttons["kept"].isEnabled()  # no second click on a choice in flight
    assert not rebuilt.buttons["other"].isEnabled()

    port.resolve_hold.set()
    qtbot.waitUntil(lambda: port.resolved != [], timeout=5000)
    qtbot.waitUntil(lambda: page.cards == [] or page.cards[0].isHidden(), timeout=5000)
    assert port.resolved[0][:2] == ("c1", "kept")


def test_a_choice_that_could_not_be_saved_leaves_the_card_to_try_again(
    qtbot: QtBot,
    sync_window: MainWindow,
    bridge: SyncBridge,
    port: FakeSyncPort,
    shown_errors: list[ErrorReport],
) -> None:
    page = _one_conflict(qtbot, sync_window, bridge, port)
    port.status_now = JOINED  # the port no longer knows the conflict: saving fails
    (card,) = page.cards
    card.buttons["other"].click()
    qtbot.waitUntil(lambda: shown_errors != [], timeout=5000)
    assert "conflict was not found" in shown_errors[-1].message
    qtbot.waitUntil(lambda: card.buttons["other"].isEnabled(), timeout=5000)
    assert card.buttons["kept"].isEnabled()
    assert port.resolved == []


def test_conflict_review_is_for_supervisors_only(
    qtbot: QtBot, tech_session: Session, settings: QSettings, port: FakeSyncPort
) -> None:
    port.status_now = replace(
        JOINED, open_conflicts=(Conflict("c1", "elevator", "0" * 32, "model", '"A"', '"B"'),)
    )
    bridge = SyncBridge(tech_session, port)
    main = MainWindow(tech_session, settings, sync=bridge)
    qtbot.addWidget(main)
    main.show()
    bridge.start()
    main.go("Sync")
    page = _page(main)
    qtbot.waitUntil(lambda: bridge.state.status is not None, timeout=5000)
    qtbot.waitUntil(lambda: page.conflict_box.isHidden(), timeout=5000)
    bridge.stop()


def test_changes_by_others_are_shown_once_after_a_pull(
    qtbot: QtBot, sync_window: MainWindow, bridge: SyncBridge, port: FakeSyncPort, fleet: Fleet
) -> None:
    assert sync_window.sync is not None
    banner = sync_window.sync.banner
    unit = fleet.units["Quay House/L2"]
    port.status_now = JOINED
    port.next_run = Summary(
        "ok", pulled=3, changed_entities=(("elevator", str(unit)), ("site", str(unit)))
    )
    bridge.sync_now()
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=5000)
    assert "Changed while you were offline" in banner.text.text()
    assert "1 unit by others" in banner.text.text()
    assert "Unit L2 at Quay House" in banner.text.text()
    banner.text.linkActivated.emit(str(unit))
    assert sync_window.current_view() == "Sites & Units"
    banner.dismiss.click()
    assert not banner.isVisible()

    port.next_run = Summary("ok")  # nothing new by others: it stays dismissed
    bridge.sync_now()
    qtbot.waitUntil(lambda: len(port.runs) == 2, timeout=5000)
    QTest.qWait(100)
    assert not banner.isVisible()


def test_a_local_commit_asks_for_a_sync_and_closing_stops_it(
    qtbot: QtBot, sync_window: MainWindow, session: Session, bridge: SyncBridge, port: FakeSyncPort
) -> None:
    session.changed.emit(one_event_changes(uuid4()))
    qtbot.waitUntil(lambda: port.local_commits == 1, timeout=5000)
    assert port.started
    bridge.stop()
    assert port.stopped


def test_the_network_coming_back_asks_for_a_sync(
    qtbot: QtBot, sync_window: MainWindow, bridge: SyncBridge, port: FakeSyncPort
) -> None:
    watch = bridge.network
    watch.changed(Reachability.Disconnected)
    watch.changed(Reachability.Online)
    qtbot.waitUntil(lambda: port.network_back == 1, timeout=5000)
    watch.changed(Reachability.Online)  # no change: no second run
    watch.changed(Reachability.Site)
    QTest.qWait(100)
    assert port.network_back == 1


def test_the_audit_view_badges_each_event_against_the_ledger(
    qtbot: QtBot, sync_window: MainWindow, port: FakeSyncPort, fleet: Fleet
) -> None:
    events = [event for _sealed, event in fleet.store.state.log]
    anchored, refused = events[0].event_id, events[1].event_id
    port.anchored = {
        anchored: EventAnchor(AnchorState.ANCHORED, ledger_index=1, checkpoint_size=40),
        refused: EventAnchor(AnchorState.BROKEN, reason="the unit is decommissioned"),
    }
    sync_window.go("Audit")
    audit = sync_window.views["Audit"]
    assert isinstance(audit, AuditView)
    model = audit.model
    column = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    ledger = column.index("Ledger")
    qtbot.waitUntil(lambda: _badges(audit, ledger).get(anchored, "") != "", timeout=5000)
    badges = _badges(audit, ledger)
    assert badges[anchored] == "✔ Anchored #1"
    assert badges[refused] == "✖ Broken: the unit is decommissioned"
    assert badges[events[2].event_id] == "Local only"


def _badges(audit: AuditView, column: int) -> dict[UUID, str]:
    model = audit.model
    return {
        line.event.event_id: model.index(row, column).data()
        for row, line in enumerate(model.rows())
    }


def test_a_signed_in_store_adds_no_local_profiles(
    qtbot: QtBot, sync_window: MainWindow, bridge: SyncBridge, port: FakeSyncPort
) -> None:
    before = sync_window.switch_profile()
    assert before.add_button.isVisible()  # a store of its own: a supervisor registers people
    assert not before.server_note.isVisible()
    before.reject()

    port.status_now = JOINED
    bridge.refresh()
    qtbot.waitUntil(lambda: bridge.server == "https://sync.example.com", timeout=5000)
    dialog = sync_window.switch_profile()
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    assert not dialog.add_button.isVisible()
    assert dialog.server_note.isVisible()
    assert "signed in to https://sync.example.com" in dialog.server_note.text()
    dialog.reject()
