"""The one error presenter: a clear sentence, the next step, details to copy, a log line."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.audit.errors import AuditError
from app.domain.errors import SiteSyncError

log = logging.getLogger("sitesync.ui")


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """What a person reads about one failure."""

    title: str
    message: str
    hint: str
    details: str
    field: str | None = None


def describe_error(
    error: BaseException, *, action: str, log_file: Path | None = None
) -> ErrorReport:
    """A readable sentence and next step for ``error``; never a traceback as the message."""
    details = "".join(traceback.format_exception(error)).strip()
    if isinstance(error, SiteSyncError):
        hint = error.hint or "Correct it and try again."
        return ErrorReport(
            f"Could not {action}", error.message, hint, details, getattr(error, "field", None)
        )
    if isinstance(error, AuditError):
        return ErrorReport(
            f"Could not {action}",
            error.message,
            f"The audit check failed ({error.rule}). Nothing was changed; tell your supervisor.",
            details,
        )
    where = f" The details are in {log_file}." if log_file else ""
    return ErrorReport(
        f"Could not {action}",
        f"Something unexpected went wrong while trying to {action}.",
        f"Nothing was saved. Try again; if it happens again, send the details to support.{where}",
        details,
    )


type ShowError = Callable[[ErrorReport, QWidget | None], QWidget | None]


def show_error_box(report: ErrorReport, parent: QWidget | None) -> QWidget:
    """A window-modal message box (non-blocking) with the details and a Copy button."""
    box = QMessageBox(QMessageBox.Icon.Warning, report.title, report.message, parent=parent)
    box.setObjectName("errorBox")
    box.setInformativeText(report.hint)
    box.setDetailedText(report.details)
    copy = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    clipboard = QApplication.clipboard()
    text = f"{report.message}\n{report.hint}\n\n{report.details}"
    copy.clicked.disconnect()  # keep the box open after copying
    copy.clicked.connect(lambda: clipboard.setText(text))
    if parent is not None:
        # Qt owns a box with a parent: closing deletes it. A parentless box belongs to Python
        # (the presenter keeps it until the next one): deleting it on close as well could free
        # it twice, by Qt's deferred delete and when Python lets it go.
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


class ErrorPresenter:
    """Logs every error and shows it once; tests pass their own ``show``."""

    def __init__(self, *, log_file: Path | None = None, show: ShowError | None = None) -> None:
        self.log_file = log_file
        self._show = show or show_error_box
        self.last: ErrorReport | None = None
        self.open_box: QWidget | None = None  # keeps a parentless box alive while shown

    def present(
        self, error: BaseException, *, action: str, parent: QWidget | None = None
    ) -> ErrorReport:
        """Log ``error`` with its traceback and show its report."""
        report = describe_error(error, action=action, log_file=self.log_file)
        expected = isinstance(error, SiteSyncError | AuditError)
        log.log(
            logging.INFO if expected else logging.ERROR,
            "could not %s: %s",
            action,
            report.message,
            exc_info=None if expected else error,
        )
        self.last = report
        self.open_box = self._show(report, parent)
        return report


def configure_logging(log_file: Path) -> None:
    """Send SiteSync's log to a rotating file (called once by ``run_gui``)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
