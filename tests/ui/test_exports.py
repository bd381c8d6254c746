"""Exports of a unit from the unit page and the Audit view: bundle, record and callback log."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QMenu, QWidget
from pytestqt.qtbot import QtBot

from app.audit.bundle import verify_bundle
from app.services.reports import CALLBACK_COLUMNS, VISIT_COLUMNS
from app.ui.errors import ErrorReport
from app.ui.exports import Exporter
from app.ui.main_window import MainWindow
from app.ui.views.screens.audit import AuditView
from tests.ui.factories import Fleet

UNIT = "Harbour View/L1"


def _unit_page(qtbot: QtBot, window: MainWindow, fleet: Fleet) -> Exporter:
    window.open_unit(fleet.units[UNIT])
    qtbot.waitUntil(lambda: window.fleet.page.export.isEnabled(), timeout=5000)
    return window.forms.exports


def _answering(exporter: Exporter, path: Path) -> list[str]:
    """Make the exporter's file dialog answer ``path``; returns the messages it shows."""
    shown: list[str] = []
    exporter.ask_path = lambda _parent, _caption, _suggested, _filter: str(path)

    def notify(_parent: QWidget, _title: str, text: str) -> None:
        shown.append(text)

    exporter.notify = notify
    return shown


def _choose(menu_owner: QWidget, text: str) -> None:
    """Pick ``text`` in the export menu of ``menu_owner``."""
    menu = menu_owner.findChild(QMenu, "exportMenu")
    assert menu is not None
    action = next(a for a in menu.actions() if a.text() == text)
    action.trigger()


def _pdf_text(path: Path) -> tuple[int, str]:
    document = QPdfDocument()
    assert document.load(str(path)) == QPdfDocument.Error.None_
    pages = document.pageCount()
    return pages, "\n".join(document.getAllText(p).text() for p in range(pages))


def test_evidence_bundle_from_the_audit_view_verifies_offline(
    qtbot: QtBot, window: MainWindow, fleet: Fleet, tmp_path: Path
) -> None:
    exporter = _unit_page(qtbot, window, fleet)
    out = tmp_path / "bundle.json"
    shown = _answering(exporter, out)
    window.go("Audit")
    audit = window.views["Audit"]
    assert isinstance(audit, AuditView)
    _choose(audit.export, "Export evidence bundle…")
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    report = verify_bundle(out.read_bytes())
    assert report.events > 5
    assert report.subject["entity_id"] == str(fleet.units[UNIT])
    assert f"sitesync audit verify --bundle {out}" in shown[0]
    assert f"({report.events} events)" in shown[0]


def test_maintenance_record_and_callback_log_as_csv(
    qtbot: QtBot, window: MainWindow, fleet: Fleet, tmp_path: Path
) -> None:
    exporter = _unit_page(qtbot, window, fleet)
    visits = window.fleet.page.tabs.visits.rowCount()
    record = tmp_path / "record.csv"
    shown = _answering(exporter, record)
    _choose(window.fleet.page.export, "Export maintenance record (CSV)…")
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    lines = record.read_text(encoding="utf-8").splitlines()
    assert lines[-1].startswith("# Chain intact: ")
    rows = list(csv.reader(lines[:-1]))
    assert tuple(rows[0]) == VISIT_COLUMNS
    assert len(rows) - 1 == visits
    first = dict(zip(VISIT_COLUMNS, rows[1], strict=True))
    assert (first["Unit"], first["Site"], first["Customer"]) == (
        "L1",
        "Harbour View",
        "Harbour Estates",
    )
    assert first["Technician"] == "Tia Tech"
    assert first["Result"] == "9 items: 8 pass, 1 N/A"
    assert "Customer: Site manager (refused to sign)" in first["Sign-off"]

    log = tmp_path / "callbacks.csv"
    shown = _answering(exporter, log)
    _choose(window.fleet.page.export, "Export callback log (CSV)…")
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    calls = list(csv.reader(log.read_text(encoding="utf-8").splitlines()[:-1]))
    assert tuple(calls[0]) == CALLBACK_COLUMNS
    assert len(calls) == 2  # the header and the unit's one callback
    call = dict(zip(CALLBACK_COLUMNS, calls[1], strict=True))
    assert call["Reported trouble"] == "Doors not closing"
    assert call["Channel"] == "Phone"
    assert call["Reporter"] == "Front desk"


def test_maintenance_record_and_callback_log_as_pdf(
    qtbot: QtBot, window: MainWindow, fleet: Fleet, tmp_path: Path
) -> None:
    exporter = _unit_page(qtbot, window, fleet)
    for text, name in (
        ("Export maintenance record (PDF)…", "record.pdf"),
        ("Export callback log (PDF)…", "callbacks.pdf"),
    ):
        out = tmp_path / name
        shown = _answering(exporter, out)
        _choose(window.fleet.page.export, text)
        qtbot.waitUntil(lambda s=shown: bool(s), timeout=10000)  # type: ignore[misc]
        assert out.read_bytes().startswith(b"%PDF")
        pages, content = _pdf_text(out)
        assert pages > 0
        assert "Harbour View / L1" in content
        assert "Chain intact" in content
        assert "Doors not closing" in content
    assert "Tia Tech" in _pdf_text(tmp_path / "record.pdf")[1]


def test_a_broken_chain_is_reported_at_the_bottom_of_the_record(
    qtbot: QtBot, window: MainWindow, fleet: Fleet, tmp_path: Path
) -> None:
    exporter = _unit_page(qtbot, window, fleet)
    sealed, event = fleet.store.state.log[3]
    forged = type(sealed)(sealed.body, sealed.canonical, sealed.hash, b"\x00" * 64)
    fleet.store.state.log[3] = (forged, event)
    out = tmp_path / "record.csv"
    shown = _answering(exporter, out)
    _choose(window.fleet.page.export, "Export maintenance record (CSV)…")
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    footer = out.read_text(encoding="utf-8").splitlines()[-1]
    assert footer.startswith("# BROKEN at event 4: signature")


def test_exporting_without_a_unit_says_what_to_do(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    shown = _answering(window.forms.exports, tmp_path / "x.json")
    window.go("Audit")
    audit = window.views["Audit"]
    assert isinstance(audit, AuditView)
    _choose(audit.export, "Export evidence bundle…")
    assert "Open the unit in Sites & Units" in shown[0]
    assert not (tmp_path / "x.json").exists()


def test_an_export_to_a_missing_folder_names_the_folder_and_the_next_step(
    qtbot: QtBot,
    window: MainWindow,
    fleet: Fleet,
    tmp_path: Path,
    shown_errors: list[ErrorReport],
) -> None:
    exporter = _unit_page(qtbot, window, fleet)
    missing = tmp_path / "no-such-folder"
    for text in (
        "Export evidence bundle…",
        "Export maintenance record (CSV)…",
        "Export maintenance record (PDF)…",
        "Export callback log (CSV)…",
    ):
        shown = _answering(exporter, missing / "out.file")
        before = len(shown_errors)
        _choose(window.fleet.page.export, text)

        def reported(count: int = before) -> bool:
            return len(shown_errors) > count

        qtbot.waitUntil(reported, timeout=5000)
        report = shown_errors[-1]
        assert f"The folder {missing} does not exist" in report.message, text
        assert "Create the folder or choose an existing one" in report.hint
        assert "unexpected" not in report.message
        assert shown == []  # no "exported" message
    assert not missing.exists()


def test_the_export_dialog_opens_in_the_documents_folder(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    exporter = _unit_page(qtbot, window, fleet)
    asked: list[str] = []

    def cancel(_parent: QWidget, _caption: str, suggested: str, _filter: str) -> str:
        asked.append(suggested)
        return ""  # the person cancels

    exporter.ask_path = cancel
    _choose(window.fleet.page.export, "Export evidence bundle…")
    _choose(window.fleet.page.export, "Export callback log (CSV)…")
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    assert documents
    assert [Path(path).parent for path in asked] == [Path(documents)] * 2
    assert Path(asked[0]).name.endswith("-evidence.json")
    assert Path(asked[1]).name.endswith("-callbacks.csv")
