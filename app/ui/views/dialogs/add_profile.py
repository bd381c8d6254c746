"""Add a profile to a store that is not signed in to a server: a name, an e-mail, a role and,
for a supervisor or administrator, its PIN (recorded with the profile, in one transaction)."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from app.domain.commands import RegisterUser
from app.domain.enums import Role
from app.services.common import Created
from app.services.profiles import MIN_PIN_LENGTH, PIN_ROLES
from app.services.users import register_user
from app.ui.session import Session
from app.ui.views.records.base import Problem, RecordDialog
from app.ui.views.records.fields import choice, line_edit

ROLE_CHOICES = {
    Role.TECHNICIAN: "Technician",
    Role.SUPERVISOR: "Supervisor",
    Role.ADMIN: "Administrator",
}


class AddProfileDialog(RecordDialog):
    """A new local profile; an administrator may add any role, a supervisor no administrator."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, "Add a profile", parent)
        self.setObjectName("addProfileForm")
        actor = session.actor
        roles = [
            r for r in ROLE_CHOICES if r is not Role.ADMIN or (actor and actor.role is Role.ADMIN)
        ]
        self.name = line_edit(None, "profileName", "e.g. Tom Becker")
        self.email = line_edit(None, "profileEmail", "name@example.com")
        self.role = choice("profileRole", roles, names=ROLE_CHOICES)
        self.pin = QLineEdit()
        self.pin.setObjectName("profilePin")
        self.again = QLineEdit()
        self.again.setObjectName("profilePinAgain")
        for field in (self.pin, self.again):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        form = QFormLayout()
        self.add_row(form, "Name", self.name, "display_name")
        self.add_row(form, "E-mail", self.email, "email")
        self.add_row(form, "Role", self.role, "role")
        self.add_row(form, "PIN", self.pin, "pin")
        self.add_row(form, "PIN again", self.again, "pin_again")
        self.body.addLayout(form)
        self.body.addWidget(self.note)
        self.finish_layout()
        self.role.currentIndexChanged.connect(self._role_changed)
        self._role_changed()
        self.resize(480, self.sizeHint().height())

    def chosen_role(self) -> Role:
        return Role(self.role.currentData())

    def _role_changed(self) -> None:
        needs_pin = self.chosen_role() in PIN_ROLES
        for field in (self.pin, self.again):
            field.setEnabled(needs_pin)
            if not needs_pin:
                field.clear()
        self.note.setText(
            f"Switching to this profile asks for its PIN (at least {MIN_PIN_LENGTH} characters); "
            "tell it only to the person it belongs to."
            if needs_pin
            else "A technician switches to this profile without a PIN."
        )

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        if not self.name.text().strip():
            found.append(("display_name", "A name is required."))
        if not self.email.text().strip():
            found.append(("email", "An e-mail address is required."))
        if self.chosen_role() in PIN_ROLES:
            if not self.pin.text():
                found.append(("pin", "Choose the profile's PIN."))
            elif self.pin.text() != self.again.text():
                found.append(("pin_again", "The two PINs differ. Type the same PIN twice."))
        return found

    def submit(self) -> None:
        cmd = RegisterUser(
            email=self.email.text().strip(),
            display_name=self.name.text().strip(),
            role=self.chosen_role(),
        )
        pin = self.pin.text() if cmd.role in PIN_ROLES else None
        self.run(lambda ctx: register_user(cmd, ctx=ctx, pin=pin), label="add the profile")

    def done_text(self, result: object) -> str:
        assert isinstance(result, Created)
        role = ROLE_CHOICES[self.chosen_role()].lower()
        return f"Profile {self.name.text().strip()} ({role}) added."
