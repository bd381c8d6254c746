"""The audit trail: events in order with actor, device, time and summary; chain verification."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from uuid import UUID

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.audit.chain import ChainReport
from app.audit.errors import AuditError, Rule
from app.domain.entities import User
from app.domain.events import Event
from app.domain.wording import plural
from app.services.queries import profiles, unit_audit_trail
from app.ui.actions import Actions
from app.ui.audit_text import summarize
from app.ui.backend import Backend
from app.ui.models.records import AuditLine, AuditTableModel
from app.ui.runtime import Operation, Progress
from app.ui.session import Session
from app.ui.sync.badges import BADGE_COLORS, badge
from app.ui.sync.bridge import SyncBridge
from app.ui.sync.port import EventAnchor
from app.ui.views.screens.base import ColumnFitter, View, fit_columns, heading, make_table

RECENT = 500


async def _trail(backend: Backend, unit: UUID | None) -> tuple[list[Event], list[User]]:
    users = await profiles(backend.unit_of_work)
    if unit is None:
        return await backend.recent_events(RECENT), users
    return await unit_audit_trail(backend.unit_of_work, unit), users


class AuditView(View):
    """Lists events; 'Verify now' checks the whole chain in the background, cancellable."""

    def __init__(self, session: Session, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.forms = actions
        self.sync: SyncBridge | None = None
        """Set when the store syncs: each event gets its ledger badge."""
        self.model = AuditTableModel(self)
        self.table, self.proxy = make_table(self.model, "auditTable")
        # narrow: the device and the ledger badge go first (the summary names what happened)
        self.columns = ColumnFitter(self.table, ("Device", "Ledger", "Actor"), 200)
        self.scope = QComboBox()
        self.scope.setObjectName("auditScope")
        self.scope.addItems(
            [f"Latest {plural(RECENT, 'event')} on this device", "The unit open in Sites & Units"]
        )
        self.scope.currentIndexChanged.connect(lambda _i: self.refresh())
        self.chain = QLabel("Chain not verified in this session.")
        self.chain.setObjectName("chainStatus")
        self.chain.setWordWrap(True)
        self.verify = QPushButton("&Verify now")
        self.verify.setObjectName("verifyNow")
        self.verify.clicked.connect(lambda: self.start_verify())
        self.deep = QPushButton("&Deep check")
        self.deep.setObjectName("deepCheck")
        self.deep.setToolTip(
            "Verify the chain, then fold the whole log again and compare it with what the "
            "screens show (needs free disk space as large as the store)"
        )
        self.deep.clicked.connect(lambda: self.start_verify(deep=True))
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("cancelVerify")
        self.cancel.hide()
        self.progress = QProgressBar()
        self.progress.setObjectName("verifyProgress")
        self.progress.hide()
        self.operation: Operation | None = None
        self.export = QPushButton("&Export unit")
        self.export.setObjectName("exportUnit")
        self.export.setToolTip("Export the unit open in Sites & Units")
        self.export.setMenu(actions.exports.menu(actions.current, self.export))
        top = QHBoxLayout()
        top.addWidget(heading("Audit trail"))
        top.addStretch(1)
        top.addWidget(self.scope)
        top.addWidget(self.export)
        status = QHBoxLayout()
        status.addWidget(self.chain, 1)
        status.addWidget(self.progress)
        status.addWidget(self.cancel)
        status.addWidget(self.deep)
        status.addWidget(self.verify)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(status)

    def refresh(self) -> None:
        unit = self.forms.current_unit if self.scope.currentIndex() == 1 else None

        async def job(backend: Backend, _progress: Progress) -> tuple[list[Event], list[User]]:
            return await _trail(backend, unit)

        self.session.work(job, self._loaded, label="load the audit trail", parent=self)

    def _loaded(self, found: tuple[list[Event], list[User]]) -> None:
        events, users = found
        names = {u.id: u.display_name for u in users}
        lines = [
            AuditLine(e, names.get(e.actor_id, str(e.actor_id)[:8]), summarize(e)) for e in events
        ]
        self.model.set_rows(lines)
        fit_columns(self.table, 200)
        self.columns.fit()
        self.table.scrollToBottom()
        if self.sync is not None and lines:
            self.sync.anchors([e.event_id for e in events], lambda a: self._anchored(lines, a))

    def _anchored(self, lines: list[AuditLine], anchors: Mapping[UUID, EventAnchor]) -> None:
        badged = []
        for line in lines:
            anchor = anchors.get(line.event.event_id)
            if anchor is None:
                badged.append(line)
                continue
            text, detail = badge(anchor)
            badged.append(
                replace(
                    line, ledger=text, ledger_detail=detail, ledger_color=BADGE_COLORS[anchor.state]
                )
            )
        self.model.set_rows(badged)

    def start_verify(self, *, deep: bool = False) -> None:
        """Verify the local chain on the worker, with progress; the window stays usable.

        ``deep`` also folds the log again and compares it with the stored projections.
        """

        async def job(backend: Backend, progress: Progress) -> ChainReport:
            def report(done: int, total: int) -> None:
                progress.check()
                progress.report(done, total, "verifying")

            if deep:
                return await backend.deep_check(report)
            return await backend.verify_chain(report)

        self.chain.setText(
            "Deep check: verifying the chain, then folding the log again…"
            if deep
            else "Verifying the audit chain…"
        )
        self.chain.setStyleSheet("")
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel.show()
        self.verify.setEnabled(False)
        self.deep.setEnabled(False)
        label = "run the deep check" if deep else "verify the audit chain"
        operation = self.session.work(
            job,
            lambda report: self._verified(report, deep=deep),
            label=label,
            parent=self,
            on_error=self._broken,
        )
        operation.progressed.connect(self._progressed)
        operation.cancelled.connect(self._cancelled)
        operation.done.connect(self._verify_done)
        self.cancel.clicked.connect(operation.cancel)
        self.operation = operation

    def _progressed(self, done: int, total: int, _text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _verified(self, report: ChainReport, *, deep: bool = False) -> None:
        head = f", head {report.head_hash[:12]}…" if report.head_hash else ""
        also = " The screens match the log (deep check)." if deep else ""
        self.chain.setText(
            f"✔ Chain intact: {plural(report.events, 'event')} "
            f"from {plural(report.devices, 'device')}{head}. "
            f"Local only until the server anchors it.{also}"
        )
        self.chain.setStyleSheet("color: #2e7d32; font-weight: 600;")

    def _broken(self, error: BaseException) -> None:
        if not isinstance(error, AuditError):
            self.session.errors.present(error, action="verify the audit chain", parent=self)
            self.chain.setText("Verification could not run; see the error message.")
            return
        what = (
            "Screens differ from the log"
            if error.rule == Rule.PROJECTION_MISMATCH
            else "Chain broken"
        )
        self.chain.setText(f"✖ {what} ({error.rule}): {error.message}")
        self.chain.setStyleSheet("color: #c62828; font-weight: 600;")

    def _cancelled(self) -> None:
        self.chain.setText("Verification cancelled; the chain was not fully checked.")

    def _verify_done(self) -> None:
        self.progress.hide()
        self.cancel.hide()
        self.verify.setEnabled(True)
        self.deep.setEnabled(True)
        if self.operation is not None:
            self.cancel.clicked.disconnect(self.operation.cancel)
        self.operation = None
