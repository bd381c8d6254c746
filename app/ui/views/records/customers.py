"""Customers & Sites: the customers, the sites of the one selected, and the forms to add and
edit them (and to add a unit to a site)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.domain.entities import Customer
from app.domain.settings import RULE_SET_NAMES
from app.services.queries.directory import Directory, SiteLine, directory
from app.ui.models.table import Column, RowTableModel
from app.ui.session import Session
from app.ui.views.records.actions import RecordActions
from app.ui.views.screens.base import (
    ColumnFitter,
    View,
    fit_columns,
    heading,
    make_table,
    selected_row,
)


class CustomerTableModel(RowTableModel[Customer]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column("Customer", lambda c: c.name, sort=lambda c: c.name.casefold()),
                Column("Contact", lambda c: c.contact_name or ""),
                Column("Phone", lambda c: c.contact_phone or ""),
                Column("E-mail", lambda c: c.contact_email or ""),
            ],
            parent,
        )


class SiteTableModel(RowTableModel[SiteLine]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column("Site", lambda s: s.site.name, sort=lambda s: s.site.name.casefold()),
                Column("Address", lambda s: " ".join(s.site.address.split())),
                Column("Time zone", lambda s: s.site.time_zone),
                Column(
                    "Rule set",
                    lambda s: RULE_SET_NAMES[s.site.rule_set] if s.site.rule_set else "(org.)",
                ),
                Column("Units", lambda s: str(s.units), sort=lambda s: s.units, numeric=True),
            ],
            parent,
        )


def _button(text: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    return button


class CustomersView(View):
    """Two tables: customers, and the sites of the selected customer."""

    def __init__(
        self, session: Session, records: RecordActions, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, parent)
        self.records = records
        self.data = Directory((), ())
        self.customers = CustomerTableModel(self)
        self.sites = SiteTableModel(self)
        self.customer_table, self.customer_proxy = make_table(self.customers, "customerTable")
        self.site_table, self.site_proxy = make_table(self.sites, "siteTable")
        # narrow: the contact details and the sites' time zone and rule set go first
        self.customer_columns = ColumnFitter(
            self.customer_table, ("E-mail", "Phone", "Contact"), 200
        )
        self.site_columns = ColumnFitter(self.site_table, ("Time zone", "Rule set", "Units"), 240)
        self.add_customer = _button("Add &customer…", "addCustomer")
        self.edit_customer = _button("&Edit customer…", "editCustomer")
        self.add_site = _button("Add s&ite…", "addSite")
        self.edit_site = _button("Edit si&te…", "editSite")
        self.add_unit = _button("Add &unit…", "addUnit")
        self.add_customer.clicked.connect(lambda: self.records.add_customer())
        self.edit_customer.clicked.connect(self._edit_customer)
        self.add_site.clicked.connect(self._add_site)
        self.edit_site.clicked.connect(self._edit_site)
        self.add_unit.clicked.connect(self._add_unit)
        self.hint = QLabel()
        self.hint.setObjectName("customersHint")
        self.hint.setWordWrap(True)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(heading("Customers", 13))
        row.addStretch(1)
        row.addWidget(self.add_customer)
        row.addWidget(self.edit_customer)
        column.addLayout(row)
        column.addWidget(self.customer_table, 1)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.sites_title = heading("Sites", 13)
        row.addWidget(self.sites_title)
        row.addStretch(1)
        for button in (self.add_site, self.edit_site, self.add_unit):
            row.addWidget(button)
        column.addLayout(row)
        column.addWidget(self.site_table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([420, 620])
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Customers & Sites"))
        layout.addWidget(self.hint)
        layout.addWidget(splitter, 1)
        self.customer_table.selectionModel().currentRowChanged.connect(
            lambda *_: self._customer_changed()
        )
        self.site_table.selectionModel().currentRowChanged.connect(lambda *_: self._update())
        self.site_table.activated.connect(lambda _index: self._edit_site())
        self.customer_table.activated.connect(lambda _index: self._edit_customer())
        self._update()

    def refresh(self) -> None:
        self.session.read(directory, self._loaded, label="load the customers", parent=self)

    def _loaded(self, data: Directory) -> None:
        current = self.selected_customer()
        self.data = data
        self.records.directory = data
        self.customers.set_rows(list(data.customers))
        fit_columns(self.customer_table, 200)
        self.customer_columns.fit()
        found = self.customers.find_row(lambda c: current is not None and c.id == current.id)
        if found < 0 and self.customers.rowCount():
            found = 0
        if found >= 0:
            self.customer_table.selectRow(self.customer_proxy.proxy_row(found))
        self._customer_changed()

    def selected_customer(self) -> Customer | None:
        row = selected_row(self.customer_table, self.customer_proxy)
        return row if isinstance(row, Customer) else None

    def selected_site(self) -> SiteLine | None:
        row = selected_row(self.site_table, self.site_proxy)
        return row if isinstance(row, SiteLine) else None

    def _customer_changed(self) -> None:
        customer = self.selected_customer()
        current = self.selected_site()
        lines = self.data.sites_of(customer.id) if customer else []
        self.sites.set_rows(lines)
        fit_columns(self.site_table, 240)
        self.site_columns.fit()
        self.sites_title.setText(f"Sites of {customer.name}" if customer else "Sites")
        found = self.sites.find_row(lambda s: current is not None and s.site.id == current.site.id)
        if found < 0 and lines:
            found = 0
        if found >= 0:
            self.site_table.selectRow(self.site_proxy.proxy_row(found))
        self._update()

    def _update(self) -> None:
        has_customer = self.selected_customer() is not None
        has_site = self.selected_site() is not None
        self.edit_customer.setEnabled(has_customer)
        self.add_site.setEnabled(has_customer)
        self.edit_site.setEnabled(has_site)
        self.add_unit.setEnabled(has_site)
        if not self.data.customers:
            self.hint.setText(
                "Enter your fleet: add a customer, then its sites, then the units at each site. "
                "(`sitesync import --db PATH FILE.csv` reads a whole fleet from a spreadsheet.)"
            )
        else:
            self.hint.setText("Double-click a customer or a site to edit it.")

    def _edit_customer(self) -> None:
        customer = self.selected_customer()
        if customer is not None:
            self.records.edit_customer(customer)

    def _add_site(self) -> None:
        customer = self.selected_customer()
        if customer is not None:
            self.records.add_site(customer.id)

    def _edit_site(self) -> None:
        line = self.selected_site()
        if line is not None:
            self.records.edit_site(line.site)

    def _add_unit(self) -> None:
        line = self.selected_site()
        if line is not None:
            self.records.add_unit(line.site.id)
