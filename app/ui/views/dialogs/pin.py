"""The PIN a supervisor's or administrator's profile asks for before anyone acts as it."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.entities import User
from app.domain.errors import ValidationError
from app.services.context import Actor, Changes
from app.services.ports import UnitOfWorkFactory
from app.services.profiles import (
    PIN_ROLES,
    check_pin_text,
    claim_first_admin_pin,
    first_pin_open,
    has_pin,
    pin_matches,
)
from app.ui.backend import Backend
from app.ui.runtime import Progress
from app.ui.session import Session

FIRST_PIN_WARNING = (
    "Set the administrator's PIN now: anyone at this laptop could otherwise sign events as "
    "the administrator."
)


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.role, user.display_name)


def pin_problem(pin: str, again: str) -> str:
    """What is wrong with a new PIN typed twice ("" when nothing is)."""
    try:
        check_pin_text(pin)
    except ValidationError as error:
        return error.message
    if pin != again:
        return "The two PINs differ. Type the same PIN twice."
    return ""


async def pin_state(uow_factory: UnitOfWorkFactory, user: User) -> tuple[bool, bool]:
    """Whether ``user`` has a PIN, and whether its first PIN may be chosen at this switch."""
    if await has_pin(uow_factory, user.id):
        return True, False
    return False, await first_pin_open(uow_factory, user.id)


class ChoosePinDialog(QDialog):
    """A new PIN, typed twice."""

    def __init__(self, name: str, parent: QWidget | None = None, *, intro: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("choosePinDialog")
        self.setWindowTitle("Choose a PIN")
        self.pin = QLineEdit()
        self.pin.setObjectName("newPin")
        self.again = QLineEdit()
        self.again.setObjectName("newPinAgain")
        for field in (self.pin, self.again):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.problem = QLabel("")
        self.problem.setObjectName("pinProblem")
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.setWordWrap(True)
        about = QLabel(
            (f"{intro}\n\n" if intro else "")
            + f"{name} can do more than a technician, so this profile needs a PIN (at least 4 "
            "characters). It will be asked every time someone switches to it on this computer."
        )
        about.setObjectName("choosePinIntro")
        about.setWordWrap(True)
        form = QFormLayout()
        form.addRow("PIN:", self.pin)
        form.addRow("Again:", self.again)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(about)
        column.addLayout(form)
        column.addWidget(self.problem)
        column.addWidget(buttons)

    def _check(self) -> None:
        problem = pin_problem(self.pin.text(), self.again.text())
        if problem:
            self.problem.setText(problem)
            return
        self.accept()


class PinGate(QObject):
    """Lets the session act as ``user`` once its PIN is given.

    ``passed`` carries the actor; ``cancelled`` means the person gave up or may not switch.
    Technicians and the profile already signed in pass at once. A profile without a PIN passes
    only on a demo store or when ``choose_if_missing`` is off (a store signed in to a server,
    whose user proved their password). Otherwise nobody chooses its PIN at a switch, except the
    administrator of a store where no administrator has a PIN yet (made by the command line, or
    older).
    """

    passed = Signal(object)  # Actor
    cancelled = Signal()

    def __init__(
        self,
        session: Session,
        user: User,
        window: QWidget | None = None,
        *,
        choose_if_missing: bool = True,
    ) -> None:
        super().__init__()  # kept by its owner: ``window`` only holds the dialogs it shows
        self.session, self.user, self.parent_widget = session, user, window
        self.choose_if_missing = choose_if_missing
        self.dialog: QDialog | None = None

    def start(self) -> None:
        current = self.session.actor
        if self.user.role not in PIN_ROLES or (current and current.user_id == self.user.id):
            self.passed.emit(actor_of(self.user))
            return
        user = self.user
        self.session.read(
            lambda uow: pin_state(uow, user),
            self._known,
            label="check the profile's PIN",
            parent=self.parent_widget,
        )

    def _known(self, state: tuple[bool, bool]) -> None:
        pin_set, first_open = state
        if pin_set:
            self._ask(retry=False)
        elif self.session.demo or not self.choose_if_missing:
            self.passed.emit(actor_of(self.user))
        elif first_open:
            self._choose()
        else:
            self._refuse()

    def _refuse(self) -> None:
        box = QMessageBox(self.parent_widget)
        box.setObjectName("noPinDialog")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("No PIN yet")
        box.setText(f"{self.user.display_name} has no PIN yet, so nobody can switch to it.")
        box.setInformativeText(
            "Only an administrator signed in with their own PIN can set it: ask them to open "
            "Switch profile, select this profile and choose Set PIN."
        )
        box.finished.connect(lambda _result: self.cancelled.emit())
        self.dialog = box
        box.open()

    def _ask(self, *, retry: bool) -> None:
        dialog = QInputDialog(self.parent_widget)
        dialog.setObjectName("pinDialog")
        dialog.setWindowTitle("PIN")
        wrong = "That PIN is wrong. Try again.\n\n" if retry else ""
        dialog.setLabelText(f"{wrong}Enter the PIN of {self.user.display_name}:")
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        dialog.accepted.connect(lambda: self._check(dialog.textValue()))
        dialog.rejected.connect(self.cancelled)
        self.dialog = dialog
        dialog.open()

    def _check(self, pin: str) -> None:
        user_id = self.user.id
        self.session.read(
            lambda uow: pin_matches(uow, user_id, pin),
            lambda ok: self.passed.emit(actor_of(self.user)) if ok else self._ask(retry=True),
            label="check the PIN",
            parent=self.parent_widget,
        )

    def _choose(self) -> None:
        dialog = ChoosePinDialog(
            self.user.display_name, self.parent_widget, intro=FIRST_PIN_WARNING
        )
        dialog.accepted.connect(lambda: self._record(dialog.pin.text()))
        dialog.rejected.connect(self.cancelled)
        self.dialog = dialog
        dialog.open()

    def _record(self, pin: str) -> None:
        actor = actor_of(self.user)

        async def job(backend: Backend, _progress: Progress) -> Changes:
            return await claim_first_admin_pin(actor.user_id, pin, ctx=backend.context_for(actor))

        self.session.work(
            job,
            lambda _changes: self.passed.emit(actor),
            label="set the administrator's PIN",
            parent=self.parent_widget,
            on_error=self._claim_failed,
        )

    def _claim_failed(self, error: BaseException) -> None:
        self.session.errors.present(error, action="set the PIN", parent=self.parent_widget)
        self.cancelled.emit()
