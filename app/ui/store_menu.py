"""File → New store, Open store, Open recent, Import fleet: the stores a company works in.

Installed into the main window's File menu by the start-up; opening a store hands the window
over to it (``app.ui.app.Startup``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLocale
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.enums import RuleSet
from app.domain.errors import ImportFileError
from app.domain.settings import RULE_SET_NAMES
from app.domain.wording import plural
from app.services.context import Changes
from app.services.fleet_import import ImportSummary
from app.services.profiles import MIN_PIN_LENGTH
from app.ui.backend import Backend
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.stores import RecentStores, StoreOpener, documents_folder
from app.ui.views.dialogs.pin import pin_problem

STORE_FILTER = "SiteSync stores (*.sqlite *.db);;All files (*)"
CSV_FILTER = "Fleet files (*.csv);;All files (*)"


NEW_STORE_RULE_SETS = (
    (RuleSet.ASME_A17_1, "ASME A17.1 (United States, Canada): Category 1 and Category 5 tests"),
    (RuleSet.UK_LOLER, "UK LOLER: thorough examinations every 6 months, 12 for goods-only lifts"),
)
"""The rule sets a new store offers; custom intervals are set later in Settings."""


def local_rule_set(territory: QLocale.Country) -> RuleSet:
    """The rule set a store made in ``territory`` most likely follows."""
    return RuleSet.UK_LOLER if territory is QLocale.Country.UnitedKingdom else RuleSet.ASME_A17_1


class NewStoreDialog(QDialog):
    """The organization's name, its inspection rules, where its new store file goes, and the
    administrator's PIN."""

    def __init__(self, parent: QWidget | None = None, *, intro: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("newStoreDialog")
        self.setWindowTitle("New store")
        self.organization = QLineEdit()
        self.organization.setObjectName("organizationName")
        self.organization.setPlaceholderText("e.g. Acme Lifts Ltd")
        self.rule_set = QComboBox()
        self.rule_set.setObjectName("ruleSet")
        for rule_set, text in NEW_STORE_RULE_SETS:
            self.rule_set.addItem(text, rule_set)
        self.rule_set.setCurrentIndex(
            self.rule_set.findData(local_rule_set(QLocale.system().territory()))
        )
        self.rule_set.setToolTip(
            "Every site follows these rules unless it is given its own; change them, or set "
            f"{RULE_SET_NAMES[RuleSet.CUSTOM].lower()}, in Settings."
        )
        self.file = QLineEdit()
        self.file.setObjectName("storeFile")
        self.file.setText(str(Path(documents_folder()) / "sitesync.sqlite"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.file, 1)
        where.addWidget(browse)
        self.pin = QLineEdit()
        self.pin.setObjectName("adminPin")
        self.again = QLineEdit()
        self.again.setObjectName("adminPinAgain")
        for field in (self.pin, self.again):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.problem = QLabel("")
        self.problem.setObjectName("newStoreProblem")
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Organization:", self.organization)
        form.addRow("Inspection rules:", self.rule_set)
        form.addRow("Store file:", where)
        form.addRow("Administrator's PIN:", self.pin)
        form.addRow("PIN again:", self.again)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Create")
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        about = QLabel(
            (f"{intro}\n" if intro else "")
            + "A new, empty store for your company. It starts with one administrator "
            "profile; add your fleet by hand or with File → Import fleet.\n"
            f"Choose the administrator's PIN (at least {MIN_PIN_LENGTH} characters): switching "
            "to the administrator asks for it, so only its holder acts as the administrator."
        )
        about.setWordWrap(True)
        column.addWidget(about)
        column.addLayout(form)
        column.addWidget(self.problem)
        column.addWidget(buttons)
        self.browser: QFileDialog | None = None

    def _browse(self) -> None:
        self.browser = QFileDialog(self, "New store file", self.file.text(), STORE_FILTER)
        self.browser.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.browser.setDefaultSuffix("sqlite")
        self.browser.fileSelected.connect(self.file.setText)
        self.browser.open()

    def chosen(self) -> tuple[str, Path]:
        """The organization's name and the store file (``.sqlite`` added if it has no suffix)."""
        path = Path(self.file.text().strip()).expanduser()
        if path.name and not path.suffix:
            path = path.with_suffix(".sqlite")
        return self.organization.text().strip(), path

    def _check(self) -> None:
        organization, path = self.chosen()
        if not organization:
            self.problem.setText("Enter the organization's name.")
            self.organization.setFocus()
        elif not path.name:
            self.problem.setText("Choose where the store file goes.")
            self.file.setFocus()
        elif problem := pin_problem(self.pin.text(), self.again.text()):
            self.problem.setText(problem)
            self.pin.setFocus()
        else:
            self.accept()


def create_store(opener: StoreOpener, dialog: NewStoreDialog) -> None:
    """Create the store an accepted New store dialog describes."""
    organization, path = dialog.chosen()
    rule_set = RuleSet(dialog.rule_set.currentData())  # Qt hands the enum back as its text
    opener.create(path, organization, admin_pin=dialog.pin.text(), rule_set=rule_set)


class ImportReport(QDialog):
    """What a fleet import did, or every line it refused (nothing is imported then)."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importReport")
        self.setWindowTitle(title)
        self.resize(640, 360)
        self.text = QPlainTextEdit(text)
        self.text.setObjectName("importReportText")
        self.text.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(self.text, 1)
        column.addWidget(buttons)


def summary_text(summary: ImportSummary, path: Path) -> str:
    """The command's one-line report of a finished import."""
    return (
        f"Imported {plural(summary.units, 'unit')}; "
        f"created {plural(summary.customers, 'customer')} and "
        f"{plural(summary.sites, 'site')} from {path.name}."
    )


class StoreMenu:
    """The store actions of the File menu, for one main window and its session."""

    def __init__(
        self,
        window: QMainWindow,
        session: Session,
        opener: StoreOpener,
        recent: RecentStores,
        *,
        current: Path | None,
    ) -> None:
        self.window, self.session, self.opener, self.recent = window, session, opener, recent
        self.current = current
        self.dialog: QDialog | QFileDialog | None = None
        self.report: ImportReport | None = None
        file_menu = window.menuBar().actions()[0].menu()
        assert isinstance(file_menu, QMenu)
        first = file_menu.actions()[0]
        self.new_action = self._action("&New store…", "Ctrl+Shift+N", self.new_store, "newStore")
        self.open_action = self._action("&Open store…", "Ctrl+O", self.open_store, "openStore")
        self.recent_menu = QMenu("Open &recent", window)
        self.recent_menu.setObjectName("recentStores")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.import_action = self._action("&Import fleet…", "Ctrl+I", self.import_fleet, "import")
        file_menu.insertAction(first, self.new_action)
        file_menu.insertAction(first, self.open_action)
        file_menu.insertMenu(first, self.recent_menu)
        file_menu.insertAction(first, self.import_action)
        file_menu.insertSeparator(first)
        self._fill_recent()

    def _action(self, text: str, shortcut: str, slot: object, name: str) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot() if callable(slot) else None)
        self.window.addAction(action)
        return action

    # -- stores ----------------------------------------------------------------------------

    def new_store(self) -> NewStoreDialog:
        dialog = NewStoreDialog(self.window)
        dialog.accepted.connect(lambda: self._create(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _create(self, dialog: NewStoreDialog) -> None:
        create_store(self.opener, dialog)

    def open_store(self) -> QFileDialog:
        folder = str(self.current.parent) if self.current else documents_folder()
        dialog = QFileDialog(self.window, "Open store", folder, STORE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda name: self.open_path(Path(name)))
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_path(self, path: Path) -> None:
        """Open ``path`` unless it is the store open now."""
        if self.current is not None and path == self.current:
            QMessageBox.information(self.window, "Open store", f"{path.name} is already open.")
            return
        self.opener.open(path)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = [p for p in self.recent.paths() if p != self.current]
        for path in paths:
            action = self.recent_menu.addAction(f"{path.name}  —  {path.parent}")
            action.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
        if not paths:
            none = self.recent_menu.addAction("No other store opened yet")
            none.setEnabled(False)

    # -- fleet import ------------------------------------------------------------------------

    def import_fleet(self) -> QFileDialog:
        dialog = QFileDialog(self.window, "Import fleet", documents_folder(), CSV_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda name: self.import_file(Path(name)))
        self.dialog = dialog
        dialog.open()
        return dialog

    def import_file(self, path: Path) -> None:
        """Import the fleet file ``path`` as the signed-in profile; report line by line."""
        actor = self.session.actor
        if actor is None:
            return

        async def job(backend: Backend, _progress: Progress) -> ImportSummary:
            return await backend.import_fleet_file(path, actor)

        def done(summary: ImportSummary) -> None:
            self._show("Fleet imported", summary_text(summary, path))
            self.session.changed.emit(Changes())  # every screen shows the new units

        def failed(error: BaseException) -> None:
            if isinstance(error, ImportFileError):
                lines = "\n".join(error.problems)
                self._show(
                    "Nothing was imported",
                    f"{path.name} has {plural(len(error.problems), 'problem')}; "
                    "nothing was imported. "
                    f"Fix these lines and import the file again:\n\n{lines}",
                )
            else:
                self.session.errors.present(error, action="import the fleet", parent=self.window)

        self.session.work(job, done, label="import the fleet", parent=self.window, on_error=failed)

    def _show(self, title: str, text: str) -> None:
        self.report = ImportReport(title, text, self.window)
        self.report.open()
