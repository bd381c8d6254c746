"""Choose the local profile to work as; the role decides which screens are offered."""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.entities import User
from app.domain.enums import Role
from app.services.common import Created
from app.services.context import Actor, Changes
from app.services.profiles import PIN_ROLES, set_profile_pin
from app.services.queries import profiles
from app.ui.backend import Backend
from app.ui.format import label
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.dialogs.add_profile import AddProfileDialog
from app.ui.views.dialogs.pin import ChoosePinDialog, PinGate, actor_of

__all__ = ["ProfileDialog", "actor_of", "describe_role"]

ROLE_NAMES = {
    Role.TECHNICIAN: "A technician",
    Role.SUPERVISOR: "A supervisor",
    Role.ADMIN: "An administrator",
}
ROLE_SCREENS = {
    Role.TECHNICIAN: "Sites & Units, Work, Callbacks, Audit",
    Role.SUPERVISOR: "every screen, including Dashboard and Compliance",
    Role.ADMIN: "every screen, including Dashboard and Compliance",
}


def describe_role(role: Role) -> str:
    """What a profile of ``role`` sees, and whether switching to it asks for a PIN."""
    pin = " Switching to it asks for its PIN." if role in PIN_ROLES else ""
    return f"{ROLE_NAMES[role]} sees {ROLE_SCREENS[role]}.{pin}"


class ProfileDialog(QDialog):
    """Lists the active users of this store; choosing one switches the session to them."""

    chosen = Signal(object)  # Actor

    def __init__(
        self, session: Session, parent: QWidget | None = None, *, server: str | None = None
    ) -> None:
        """``server``: the server this store is signed in to, whose people are its profiles."""
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Switch profile")
        self.setObjectName("profileDialog")
        self.list = QListWidget()
        self.list.setObjectName("profiles")
        self.hint = QLabel("Loading profiles…")
        self.hint.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._choose)
        buttons.rejected.connect(self.reject)
        self.add_button = buttons.addButton("&Add profile…", QDialogButtonBox.ButtonRole.ActionRole)
        self.add_button.setObjectName("addProfile")
        self.add_button.clicked.connect(self.add_profile)
        actor = session.actor
        # profiles of a signed-in store come from the server; here only who may register people
        self.add_button.setVisible(server is None and actor is not None and actor.role in PIN_ROLES)
        self.pin_button = buttons.addButton("Set &PIN…", QDialogButtonBox.ButtonRole.ActionRole)
        self.pin_button.setObjectName("setPin")
        self.pin_button.clicked.connect(self.set_pin)
        # only an administrator (signed in with their PIN) sets another profile's PIN
        self.pin_button.setVisible(actor is not None and actor.role is Role.ADMIN)
        self.pin_form: ChoosePinDialog | None = None
        self.demo_note = QLabel(
            "This is a demo store: its profiles have no PIN, so anyone can switch to any of "
            "them. A company store asks for the PIN of every supervisor and administrator."
        )
        self.demo_note.setObjectName("demoPinNote")
        self.demo_note.setWordWrap(True)
        self.demo_note.setVisible(session.demo)
        self.server_note = QLabel(
            f"This store is signed in to {server}: its people are added there by an "
            "administrator and arrive here with the next sync."
        )
        self.server_note.setObjectName("serverProfilesNote")
        self.server_note.setWordWrap(True)
        self.server_note.setVisible(server is not None)
        self.form: AddProfileDialog | None = None
        self.list.itemActivated.connect(lambda _item: self._choose())
        self.list.currentItemChanged.connect(self._describe)
        self.gate: PinGate | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Who is working on this computer?"))
        layout.addWidget(self.list)
        layout.addWidget(self.hint)
        layout.addWidget(self.demo_note)
        layout.addWidget(self.server_note)
        layout.addWidget(buttons)
        session.read(profiles, self._loaded, label="load the profiles", parent=self)

    def add_profile(self) -> AddProfileDialog:
        """Add a profile (a supervisor or administrator); the list then selects it."""
        self.form = AddProfileDialog(self.session, self)
        self.form.saved.connect(self._added)
        self.form.open()
        return self.form

    def set_pin(self) -> ChoosePinDialog | None:
        """Set the selected supervisor's or administrator's PIN (an administrator only)."""
        item = self.list.currentItem()
        actor = self.session.actor
        if item is None or actor is None:
            return None
        user: User = item.data(Qt.ItemDataRole.UserRole)
        if user.role not in PIN_ROLES:
            self.hint.setText(f"{user.display_name} is a technician: a technician has no PIN.")
            return None
        self.pin_form = ChoosePinDialog(user.display_name, self)
        self.pin_form.setWindowTitle(f"Set the PIN of {user.display_name}")
        form = self.pin_form

        async def job(backend: Backend, _progress: Progress) -> Changes:
            return await set_profile_pin(user.id, form.pin.text(), ctx=backend.context_for(actor))

        form.accepted.connect(
            lambda: self.session.work(
                job,
                lambda _changes: self.hint.setText(f"The PIN of {user.display_name} is set."),
                label="set the PIN",
                parent=self,
            )
        )
        form.open()
        return form

    def _added(self, created: Created) -> None:
        self.session.read(
            profiles,
            lambda users: self._loaded(users, select=created.id),
            label="load the profiles",
            parent=self,
        )

    def _loaded(self, users: list[User], select: UUID | None = None) -> None:
        current = select or (self.session.actor.user_id if self.session.actor else None)
        self.list.clear()
        for user in users:
            item = QListWidgetItem(f"{user.display_name} — {label(user.role)}")
            item.setData(Qt.ItemDataRole.UserRole, user)
            self.list.addItem(item)
            if user.id == current:
                self.list.setCurrentItem(item)
        if self.list.currentRow() < 0 and self.list.count():
            self.list.setCurrentRow(0)
        if not users:
            self.hint.setText("This store has no profiles yet.")

    def _describe(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            user: User = item.data(Qt.ItemDataRole.UserRole)
            self.hint.setText(describe_role(user.role))

    def _choose(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        self.gate = PinGate(self.session, item.data(Qt.ItemDataRole.UserRole), self)
        self.gate.passed.connect(self._switch)
        self.gate.start()

    def _switch(self, actor: Actor) -> None:
        self.session.switch_profile(actor)
        self.chosen.emit(actor)
        self.accept()
