"""Add or edit a customer; add or edit a site (address, time zone, notes, contacts, rules)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from PySide6.QtCore import Qt, QTimeZone
from PySide6.QtWidgets import QComboBox, QCompleter, QFormLayout, QLabel, QWidget

from app.domain.commands import CreateCustomer, CreateSite, UpdateCustomer, UpdateSite
from app.domain.entities import Customer, Site
from app.domain.enums import Role, RuleSet
from app.domain.settings import RULE_SET_NAMES
from app.services.common import Created
from app.services.customers import create_customer, update_customer
from app.services.sites import create_site, update_site
from app.ui.session import Session
from app.ui.views.records.base import Problem, RecordDialog
from app.ui.views.records.fields import blank_to_none, choice, line_edit
from app.ui.widgets.forms import find_data, text_box

ADMIN_ONLY_RULE_SET = "Only an administrator can choose a site's rule set."


class CustomerDialog(RecordDialog):
    """A customer: the building owner or manager the sites belong to."""

    def __init__(
        self, session: Session, customer: Customer | None = None, parent: QWidget | None = None
    ) -> None:
        title = f"Edit customer {customer.name}" if customer else "Add a customer"
        super().__init__(session, title, parent)
        self.setObjectName("customerForm")
        self.customer = customer
        self.name = line_edit(
            customer.name if customer else None, "customerName", "e.g. Harbour Estates"
        )
        self.contact_name = line_edit(customer.contact_name if customer else None, "contactName")
        self.contact_phone = line_edit(customer.contact_phone if customer else None, "contactPhone")
        self.contact_email = line_edit(
            customer.contact_email if customer else None, "contactEmail", "name@example.com"
        )
        form = QFormLayout()
        self.add_row(form, "Name", self.name, "name")
        self.add_row(form, "Contact person", self.contact_name, "contact_name")
        self.add_row(form, "Contact phone", self.contact_phone, "contact_phone")
        self.add_row(form, "Contact e-mail", self.contact_email, "contact_email")
        self.body.addLayout(form)
        self.finish_layout()
        self.resize(520, self.sizeHint().height())

    def problems(self) -> list[Problem]:
        if not self.name.text().strip():
            return [("name", "The customer name is required.")]
        return []

    def submit(self) -> None:
        values: dict[str, Any] = {
            "name": self.name.text().strip(),
            "contact_name": blank_to_none(self.contact_name.text()),
            "contact_phone": blank_to_none(self.contact_phone.text()),
            "contact_email": blank_to_none(self.contact_email.text()),
        }
        if self.customer is None:
            create = CreateCustomer(**values)
            self.run(lambda ctx: create_customer(create, ctx=ctx), label="add the customer")
        else:
            update = UpdateCustomer(customer_id=self.customer.id, **values)
            self.run(lambda ctx: update_customer(update, ctx=ctx), label="save the customer")

    def done_text(self, result: object) -> str:
        verb = "added" if isinstance(result, Created) else "saved"
        return f"Customer {self.name.text().strip()} {verb}."


def time_zone_box(current: str) -> QComboBox:
    """An editable list of time zone names that completes as you type."""
    box = QComboBox()
    box.setObjectName("timeZone")
    box.setEditable(True)
    box.addItems(sorted(zoneinfo.available_timezones()))
    box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    completer = QCompleter(box.model(), box)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    box.setCompleter(completer)
    box.setCurrentText(current)
    return box


class SiteDialog(RecordDialog):
    """A site (building): its address, time zone, access notes, emergency contacts and the
    rule set it follows (administrators choose it; others see it, disabled, with the reason)."""

    def __init__(
        self,
        session: Session,
        customers: Sequence[Customer],
        site: Site | None = None,
        *,
        customer_id: UUID | None = None,
        organization_rules: RuleSet | None = None,
        parent: QWidget | None = None,
    ) -> None:
        title = f"Edit site {site.name}" if site else "Add a site"
        super().__init__(session, title, parent)
        self.setObjectName("siteForm")
        self.site = site
        self.customer = QComboBox()
        self.customer.setObjectName("siteCustomer")
        self.customer.addItem("Choose a customer…", None)
        for customer in customers:
            self.customer.addItem(customer.name, customer.id)
        chosen = site.customer_id if site else customer_id
        if chosen is not None:
            self.customer.setCurrentIndex(max(0, find_data(self.customer, chosen)))
        if site is not None:
            self.customer.setEnabled(False)
            self.customer.setToolTip("A site stays with the customer it was added for.")
        self.name = line_edit(site.name if site else None, "siteName", "e.g. Harbour View")
        self.address = text_box(site.address if site else "")
        self.address.setObjectName("siteAddress")
        self.address.setMaximumHeight(60)
        self.time_zone = time_zone_box(site.time_zone if site else _local_zone())
        self.access_notes = text_box(site.access_notes or "" if site else "")
        self.access_notes.setObjectName("accessNotes")
        self.access_notes.setPlaceholderText("Keys, machine-room access, parking…")
        self.access_notes.setMaximumHeight(60)
        self.emergency = text_box(site.emergency_contacts or "" if site else "")
        self.emergency.setObjectName("emergencyContacts")
        self.emergency.setPlaceholderText("Who to call, with numbers")
        self.emergency.setMaximumHeight(60)
        default = (
            f"Organization's ({RULE_SET_NAMES[organization_rules]})"
            if organization_rules
            else "Organization's"
        )
        self.rule_set = choice(
            "ruleSet",
            list(RuleSet),
            site.rule_set if site else None,
            blank=default,
            names=dict(RULE_SET_NAMES),
        )
        self.is_admin = session.actor is not None and session.actor.role is Role.ADMIN
        self.rule_set.setEnabled(self.is_admin)
        self.rule_set.setToolTip("" if self.is_admin else ADMIN_ONLY_RULE_SET)
        form = QFormLayout()
        self.add_row(form, "Customer", self.customer, "customer_id")
        self.add_row(form, "Name", self.name, "name")
        self.add_row(form, "Address", self.address, "address")
        self.add_row(form, "Time zone", self.time_zone, "time_zone")
        self.add_row(form, "Access notes", self.access_notes, "access_notes")
        self.add_row(form, "Emergency contacts", self.emergency, "emergency_contacts")
        self.add_row(form, "Rule set", self.rule_set, "rule_set")
        if not self.is_admin:
            note = QLabel(ADMIN_ONLY_RULE_SET)
            note.setObjectName("ruleSetNote")
            note.setStyleSheet("color: palette(mid);")
            form.addRow("", note)
        self.body.addLayout(form)
        self.finish_layout()
        self.resize(600, self.sizeHint().height())

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        if self.customer.currentData() is None:
            found.append(("customer_id", "Choose the customer the site belongs to."))
        if not self.name.text().strip():
            found.append(("name", "The site name is required."))
        if not self.address.toPlainText().strip():
            found.append(("address", "The site address is required."))
        zone = self.time_zone.currentText().strip()
        if not zone:
            found.append(("time_zone", "The site's time zone is required, e.g. Europe/London."))
        elif zone not in zoneinfo.available_timezones():
            found.append(
                ("time_zone", f"'{zone}' is not a known time zone; use a name like Europe/London.")
            )
        return found

    def submit(self) -> None:
        values: dict[str, Any] = {
            "name": self.name.text().strip(),
            "address": self.address.toPlainText().strip(),
            "time_zone": self.time_zone.currentText().strip(),
            "access_notes": blank_to_none(self.access_notes.toPlainText()),
            "emergency_contacts": blank_to_none(self.emergency.toPlainText()),
        }
        if self.is_admin:
            values["rule_set"] = self.rule_set.currentData()
        if self.site is None:
            create = CreateSite(customer_id=self.customer.currentData(), **values)
            self.run(lambda ctx: create_site(create, ctx=ctx), label="add the site")
        else:
            update = UpdateSite(site_id=self.site.id, **values)
            self.run(lambda ctx: update_site(update, ctx=ctx), label="save the site")

    def done_text(self, result: object) -> str:
        verb = "added" if isinstance(result, Created) else "saved"
        return f"Site {self.name.text().strip()} {verb}."


def _local_zone() -> str:
    """The computer's time zone name when it is a known one, else UTC."""
    name = bytes(QTimeZone.systemTimeZoneId().data()).decode()
    return name if name in zoneinfo.available_timezones() else "UTC"
