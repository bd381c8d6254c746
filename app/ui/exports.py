"""Exports of a unit: its evidence bundle, maintenance record and callback log (PDF or CSV).

Everything that reads the store or touches the disk runs on the core worker; only painting the
PDF (``QTextDocument`` onto a ``QPdfWriter`` over a memory buffer) happens on the Qt thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from uuid import UUID

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QObject, Qt
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QProgressDialog, QWidget

from app.audit.errors import AuditError
from app.domain.wording import plural, slug
from app.files import check_folder, write_atomically
from app.services.reports import (
    CALLBACK_COLUMNS,
    VISIT_COLUMNS,
    broken_summary,
    callback_rows,
    chain_summary,
    csv_text,
    load_unit_report,
    record_html,
    visit_rows,
)
from app.ui.backend import Backend
from app.ui.runtime import Operation, Progress
from app.ui.session import Session
from app.ui.stores import documents_folder
from app.ui.sync.port import EvidenceExport, SyncPort

type Kind = Literal["record", "callbacks"]
type Format = Literal["pdf", "csv"]
type AskPath = Callable[[QWidget, str, str, str], str]
"""(parent, caption, suggested file, filter) -> the chosen path, or "" if cancelled."""
type Notify = Callable[[QWidget, str, str], object]

TITLES = {"record": "maintenance record", "callbacks": "callback log"}
FILTERS = {"pdf": "PDF documents (*.pdf)", "csv": "CSV files (*.csv)"}


def ask_save_path(parent: QWidget, caption: str, suggested: str, file_filter: str) -> str:
    path, _chosen = QFileDialog.getSaveFileName(parent, caption, suggested, file_filter)
    return path


def show_message(parent: QWidget, title: str, text: str) -> QMessageBox:
    """A non-blocking information box (its text can be selected and copied)."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=parent)
    box.setObjectName("exportDone")
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box


def write_file(out: Path, data: bytes) -> None:
    """Write through a temporary file so nobody ever sees half a file (run off the Qt thread).

    A failed write (a full disk) leaves no temporary file and raises a SiteSyncError.
    """
    write_atomically(out, data)


def render_pdf(html: str, title: str) -> bytes:
    """Paint ``html`` onto A4 landscape PDF pages in memory (Qt thread: painting only)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(title)
    writer.setCreator("SiteSync")
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageOrientation(QPageLayout.Orientation.Landscape)
    # QTextDocument.print_ lays out with its own 2 cm margins (and the page numbers in them)
    writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
    document = QTextDocument()
    document.setHtml(html)
    document.print_(writer)
    del writer  # finishes the PDF
    buffer.close()
    return bytes(data.data())


def evidence_message(title: str, out: Path, written: EvidenceExport) -> str:
    """What the user reads once a unit's evidence bundle is written."""
    lines = [f"Evidence bundle of {title} written to {out} ({plural(written.events, 'event')})."]
    if written.anchored:
        lines.append(
            f"  anchored: {written.anchored} of its events, with the server's signed checkpoint "
            f"of {written.checkpoint_size} ledger entries and their inclusion proofs"
        )
        rest = written.events - written.anchored
        if rest:
            lines.append(
                f"  not anchored: {rest} of its events are not under that checkpoint yet; "
                "sync first to include their ledger proofs"
            )
    elif written.not_anchored is not None:
        lines.append(
            f"  not anchored: sync first to include the ledger proof ({written.not_anchored})"
        )
    lines.append(f"\nAnyone can verify it offline with:\n  sitesync audit verify --bundle {out}")
    if written.anchored:
        lines.append(
            "and check its ledger proofs with the server's key ('sitesync-server status' "
            f"prints it):\n  sitesync audit verify --bundle {out} --server-key KEY"
        )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A report built on the worker: written already (CSV) or HTML still to paint (PDF)."""

    out: Path
    rows: int
    chain: str
    html: str | None = None


class Exporter(QObject):
    """Runs the exports; tests replace ``ask_path`` and ``notify``."""

    def __init__(self, session: Session, window: QWidget) -> None:
        super().__init__(window)
        self.session, self.window = session, window
        self.ask_path: AskPath = ask_save_path
        self.notify: Notify = show_message
        self.last_message = ""
        self.operation: Operation | None = None
        self.sync: SyncPort | None = None
        """The store's sync, which anchors evidence bundles in the server's ledger."""

    def menu(self, unit_of: Callable[[], tuple[UUID, str] | None], parent: QWidget) -> QMenu:
        """The export menu for the unit ``unit_of()`` gives (its id and title) when chosen."""
        menu = QMenu("Export", parent)
        menu.setObjectName("exportMenu")
        entries: list[tuple[str, Callable[[UUID, str], object]]] = [
            ("Evidence bundle…", self.evidence_bundle),
            ("Maintenance record (PDF)…", lambda u, t: self.report(u, t, "record", "pdf")),
            ("Maintenance record (CSV)…", lambda u, t: self.report(u, t, "record", "csv")),
            ("Callback log (PDF)…", lambda u, t: self.report(u, t, "callbacks", "pdf")),
            ("Callback log (CSV)…", lambda u, t: self.report(u, t, "callbacks", "csv")),
        ]
        for text, run in entries:
            action = menu.addAction(f"Export {text[0].lower()}{text[1:]}")
            action.triggered.connect(lambda _c=False, r=run: self._for_unit(unit_of(), r))
        return menu

    def _for_unit(self, unit: tuple[UUID, str] | None, run: Callable[[UUID, str], object]) -> None:
        if unit is None:
            self._tell("Choose a unit first", "Open the unit in Sites & Units, then export it.")
            return
        run(*unit)

    def _tell(self, title: str, text: str) -> None:
        self.last_message = text
        self.notify(self.window, title, text)

    def _path(self, caption: str, title: str, suffix: str, file_filter: str) -> Path | None:
        suggested = Path(documents_folder()) / f"{slug(title)}-{suffix}"
        chosen = self.ask_path(self.window, caption, str(suggested), file_filter)
        return Path(chosen) if chosen else None

    def evidence_bundle(self, unit_id: UUID, title: str) -> Operation | None:
        """Write the unit's evidence bundle (on the worker) to a file the user chooses."""
        out = self._path("Export evidence bundle", title, "evidence.json", "Bundles (*.json)")
        if out is None:
            return None

        sync = self.sync

        async def job(backend: Backend, _progress: Progress) -> EvidenceExport:
            await asyncio.to_thread(check_folder, out)
            if sync is not None:
                return await sync.export_evidence_bundle(unit_id, out)
            return EvidenceExport(await backend.export_evidence_bundle(unit_id, out))

        def done(written: EvidenceExport) -> None:
            self._tell("Evidence bundle exported", evidence_message(title, out, written))

        return self._run(job, done, "export the evidence bundle")

    def report(self, unit_id: UUID, title: str, kind: Kind, fmt: Format) -> Operation | None:
        """Verify the chain, then export the maintenance record or the callback log."""
        name = TITLES[kind]
        out = self._path(f"Export {name} ({fmt.upper()})", title, f"{kind}.{fmt}", FILTERS[fmt])
        if out is None:
            return None
        now = self.session.now()

        async def job(backend: Backend, progress: Progress) -> Prepared:
            await asyncio.to_thread(check_folder, out)  # before the slow verification

            def verifying(done: int, total: int) -> None:
                progress.check()
                progress.report(done, total, "verifying the audit chain")

            try:
                chain = chain_summary(await backend.verify_chain(verifying))
            except AuditError as error:  # a broken chain is reported in the document itself
                chain = broken_summary(error)
            report = await load_unit_report(
                backend.unit_of_work, unit_id, templates=backend.templates, now=now, chain=chain
            )
            if fmt == "pdf":
                count = len(report.visits) if kind == "record" else len(report.incidents)
                return Prepared(out, count, chain, record_html(report, visits=kind == "record"))
            header, rows = (
                (VISIT_COLUMNS, visit_rows(report))
                if kind == "record"
                else (CALLBACK_COLUMNS, callback_rows(report))
            )
            data = csv_text(header, rows, chain).encode("utf-8")
            await asyncio.to_thread(write_file, out, data)
            return Prepared(out, len(rows), chain)

        def prepared(result: Prepared) -> None:
            if result.html is None:
                self._exported(result, name)
                return
            pdf = render_pdf(result.html, f"{name.capitalize()}: {title}")

            async def save(_backend: Backend, _progress: Progress) -> Prepared:
                await asyncio.to_thread(write_file, result.out, pdf)
                return result

            self._run(save, lambda r: self._exported(r, name), f"save the {name}")

        return self._run(job, prepared, f"export the {name}")

    def _exported(self, result: Prepared, name: str) -> None:
        self._tell(
            f"{name.capitalize()} exported",
            f"The {name} ({plural(result.rows, 'entry')}) was written to {result.out}.\n"
            f"{result.chain}",
        )

    def _run[T](
        self,
        job: Callable[[Backend, Progress], Awaitable[T]],
        done: Callable[[T], None],
        label: str,
    ) -> Operation:
        operation = self.session.work(job, done, label=label, parent=self.window)
        dialog = QProgressDialog(f"Working: {label}…", "Cancel", 0, 0, self.window)
        dialog.setObjectName("exportProgress")
        dialog.setMinimumDuration(1000)  # only for work that takes more than a second
        dialog.canceled.connect(operation.cancel)

        def progressed(done: int, total: int, _text: str) -> None:
            dialog.setMaximum(total)
            dialog.setValue(done)

        operation.progressed.connect(progressed)
        operation.done.connect(dialog.reset)
        operation.done.connect(dialog.deleteLater)
        self.operation = operation
        return operation
