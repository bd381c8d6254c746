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
    QVBoxLayout,
    QWidget,
)

from app.domain.entities import User
from app.domain.errors import ValidationError
from app.services.context import Actor, Changes
from app.services.profiles import PIN_ROLES, check_pin_text, has_pin, pin_matches, set_profile_pin
from app.ui.backend import Backend
from app.ui.runtime import Progress
from app.ui.session import Session


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.role, user.display_name)


class ChoosePinDialog(QDialog):
    """A new PIN, typed twice."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
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
        intro = QLabel(
            f"{name} can do more than a technician, so this profile needs a PIN (at least 4 "
            "characters). It will be asked every time someone switches to it on this computer."
        )
        intro.setWordWrap(True)
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
        column.addWidget(intro)
        column.addLayout(form)
        column.addWidget(self.problem)
        column.addWidget(buttons)

    def _check(self) -> None:
        try:
            check_pin_text(self.pin.text())
        except ValidationError as error:
            self.problem.setText(error.message)
            return
        if self.pin.text() != self.again.text():
            self.problem.setText("The two PINs differ. Type the same PIN twice.")
            return
        self.accept()


class PinGate(QObject):
    """Lets the session act as ``user`` once its PIN is given (or chosen, the first time).

    ``passed`` carries the actor; ``cancelled`` means the person gave up. Technicians and the
    profile already signed in pass at once; so does a profile without a PIN when
    ``choose_if_missing`` is off (the start-up's remembered profile).
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
        user_id = self.user.id
        self.session.read(
            lambda uow: has_pin(uow, user_id),
            self._known,
            label="check the profile's PIN",
            parent=self.parent_widget,
        )

    def _known(self, pin_set: bool) -> None:
        if pin_set:
            self._ask(retry=False)
        elif self.choose_if_missing:
            self._choose()
        else:
            self.passed.emit(actor_of(self.user))

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
        dialog = ChoosePinDialog(self.user.display_name, self.parent_widget)
        dialog.accepted.connect(lambda: self._record(dialog.pin.text()))
        dialog.rejected.connect(self.cancelled)
        self.dialog = dialog
        dialog.open()

    def _record(self, pin: str) -> None:
        actor = actor_of(self.user)

        async def job(backend: Backend, _progress: Progress) -> Changes:
            return await set_profile_pin(actor.user_id, pin, ctx=backend.context_for(actor))

        self.session.work(
            job,
            lambda _changes: self.passed.emit(actor),
            label="set the PIN",
            parent=self.parent_widget,
        )
