"""Evidence bundles exported from a window that syncs: what the user reads of the ledger part.

The sync port is the hand-written fake (``tests/ui/fake_sync.py``) on the real core worker; it
writes the real bundle through the session's backend and answers how much the ledger anchors.
The anchoring itself, through the app's sign-in against a real server, is tested end to end in
``tests/e2e/test_anchored_evidence.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu, QWidget
from pytestqt.qtbot import QtBot

from app.audit.bundle import verify_bundle
from app.ui.main_window import MainWindow
from app.ui.session import Session
from app.ui.sync.bridge import SyncBridge
from app.ui.sync.port import EvidenceExport
from tests.ui.factories import Fleet
from tests.ui.fake_backend import FakeBackend
from tests.ui.fake_sync import FakeSyncPort, Status

UNIT = "Harbour View/L1"
NOT_ANCHORED = "not anchored: sync first to include the ledger proof"


@pytest.fixture
def port(session: Session) -> FakeSyncPort:
    backend = session.backend
    assert isinstance(backend, FakeBackend)
    joined = Status(joined=True, server_url="https://sync.example.com", email="sam@example.com")
    return FakeSyncPort(status_now=joined, bundles=backend)


@pytest.fixture
def sync_window(
    qtbot: QtBot, session: Session, settings: QSettings, port: FakeSyncPort
) -> Iterator[MainWindow]:
    bridge = SyncBridge(session, port)
    main = MainWindow(session, settings, sync=bridge)
    qtbot.addWidget(main)
    main.show()
    bridge.start()
    qtbot.waitUntil(lambda: bridge.state.status is not None, timeout=5000)
    yield main
    bridge.stop()


def _export(qtbot: QtBot, window: MainWindow, fleet: Fleet, out: Path) -> str:
    """Export the unit's evidence bundle from its page to ``out``; the message shown."""
    window.open_unit(fleet.units[UNIT])
    qtbot.waitUntil(lambda: window.fleet.page.export.isEnabled(), timeout=5000)
    exporter = window.forms.exports
    shown: list[str] = []
    exporter.ask_path = lambda _parent, _caption, _suggested, _filter: str(out)

    def notify(_parent: QWidget, _title: str, text: str) -> None:
        shown.append(text)

    exporter.notify = notify
    menu = window.fleet.page.export.findChild(QMenu, "exportMenu")
    assert menu is not None
    next(a for a in menu.actions() if a.text() == "Export evidence bundle…").trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    return shown[0]


def test_an_anchored_bundle_says_how_much_the_ledger_proves_and_how_to_check_it(
    qtbot: QtBot, sync_window: MainWindow, port: FakeSyncPort, fleet: Fleet, tmp_path: Path
) -> None:
    port.ledger = EvidenceExport(0, anchored=3, checkpoint_size=42)
    out = tmp_path / "bundle.json"
    text = _export(qtbot, sync_window, fleet, out)
    events = verify_bundle(out.read_bytes()).events
    assert f"({events} events)" in text
    assert (
        "anchored: 3 of its events, with the server's signed checkpoint of 42 ledger entries"
        in text
    )
    assert f"not anchored: {events - 3} of its events are not under that checkpoint yet" in text
    assert f"sitesync audit verify --bundle {out} --server-key KEY" in text
    assert NOT_ANCHORED not in text


def test_a_bundle_exported_signed_out_or_offline_says_to_sync_first(
    qtbot: QtBot, sync_window: MainWindow, port: FakeSyncPort, fleet: Fleet, tmp_path: Path
) -> None:
    port.ledger = EvidenceExport(0, not_anchored="the server could not be reached")
    out = tmp_path / "bundle.json"
    text = _export(qtbot, sync_window, fleet, out)
    assert verify_bundle(out.read_bytes()).ledger is None
    assert f"{NOT_ANCHORED} (the server could not be reached)" in text
    assert f"sitesync audit verify --bundle {out}" in text
    assert "--server-key" not in text


def test_the_bundle_of_a_store_that_never_syncs_says_nothing_of_a_ledger(
    qtbot: QtBot, sync_window: MainWindow, port: FakeSyncPort, fleet: Fleet, tmp_path: Path
) -> None:
    port.ledger = EvidenceExport(0)
    out = tmp_path / "bundle.json"
    text = _export(qtbot, sync_window, fleet, out)
    assert "anchored" not in text
    assert f"sitesync audit verify --bundle {out}" in text
