"""Choose the local profile to work as; the role decides which screens are offered."""

from __future__ import annotations

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
from app.services.context import Actor
from app.services.queries import profiles
from app.ui.format import label
from app.ui.session import Session

ROLE_SCREENS = {
    Role.TECHNICIAN: "Sites & Units, Work, Callbacks, Audit",
    Role.SUPERVISOR: "every screen, including Dashboard and Compliance",
    Role.ADMIN: "every screen, including Dashboard and Compliance",
}


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.role, user.display_name)


class ProfileDialog(QDialog):
    """Lists the active users of this store; choosing one switches the session to them."""

    chosen = Signal(object)  # Actor

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
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
        self.list.itemActivated.connect(lambda _item: self._choose())
        self.list.currentItemChanged.connect(self._describe)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Who is working on this computer?"))
        layout.addWidget(self.list)
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        session.read(profiles, self._loaded, label="load the profiles", parent=self)

    def _loaded(self, users: list[User]) -> None:
        current = self.session.actor.user_id if self.session.actor else None
        for user in users:
            item = QListWidgetItem(f"{user.display_name} — {label(user.role)}")
            item.setData(Qt.ItemDataRole.UserRole, user)
            self.list.addItem(item)
            if user.id == current:
                self.list.setCurrentItem(item)
        if self.list.currentRow() < 0 and self.list.count():
            self.list.setCurrentRow(0)
        if not users:
            self.hint.setText("This store has no users yet. Create one with the command line.")

    def _describe(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            user: User = item.data(Qt.ItemDataRole.UserRole)
            self.hint.setText(f"A {label(user.role).lower()} sees {ROLE_SCREENS[user.role]}.")

    def _choose(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        actor = actor_of(item.data(Qt.ItemDataRole.UserRole))
        self.session.switch_profile(actor)
        self.chosen.emit(actor)
        self.accept()
