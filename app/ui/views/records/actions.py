"""Opens the record forms (customers, sites, units, certificates, inspections, deficiencies,
cancelling a visit, editing a callback), loading first what a form needs to offer."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from PySide6.QtWidgets import QDialog, QWidget

from app.domain.entities import Customer, Elevator, Site
from app.domain.work import Deficiency, Incident, Visit
from app.services.queries import UnitDetail
from app.services.queries.directory import Directory, directory, unit_title
from app.ui.session import Session


class RecordActions:
    """One place that opens each record form, so every screen offers the same ones."""

    def __init__(self, session: Session, window: QWidget) -> None:
        self.session = session
        self.window = window
        self.directory: Directory | None = None
        self.last_dialog: QDialog | None = None

    def _open(self, dialog: QDialog) -> QDialog:
        self.last_dialog = dialog
        dialog.setModal(True)
        dialog.open()
        return dialog

    def _with_directory(self, then: Callable[[Directory], object]) -> None:
        """Load the customers and sites (fresh: another form may have added some), then act."""

        def loaded(data: Directory) -> None:
            self.directory = data
            then(data)

        self.session.read(directory, loaded, label="load the customers", parent=self.window)

    def add_customer(self) -> QDialog:
        from app.ui.views.records.customer_site import CustomerDialog

        return self._open(CustomerDialog(self.session, None, self.window))

    def edit_customer(self, customer: Customer) -> QDialog:
        from app.ui.views.records.customer_site import CustomerDialog

        return self._open(CustomerDialog(self.session, customer, self.window))

    def add_site(self, customer_id: UUID | None = None) -> None:
        self._site_form(None, customer_id)

    def edit_site(self, site: Site) -> None:
        self._site_form(site, site.customer_id)

    def _site_form(self, site: Site | None, customer_id: UUID | None) -> None:
        from app.ui.views.records.customer_site import SiteDialog

        self._with_directory(
            lambda data: self._open(
                SiteDialog(
                    self.session,
                    data.customers,
                    site,
                    customer_id=customer_id,
                    organization_rules=data.rule_set,
                    parent=self.window,
                )
            )
        )

    def add_unit(self, site_id: UUID | None = None) -> None:
        self._unit_form(None, site_id)

    def edit_unit(self, unit: Elevator) -> None:
        self._unit_form(unit, unit.site_id)

    def _unit_form(self, unit: Elevator | None, site_id: UUID | None) -> None:
        from app.ui.views.records.unit_form import UnitDialog

        self._with_directory(
            lambda data: self._open(
                UnitDialog(self.session, data.sites, unit, site_id=site_id, parent=self.window)
            )
        )

    def renew_certificate(self, unit: Elevator, title: str) -> QDialog:
        from app.ui.views.records.unit_form import CertificateDialog

        return self._open(CertificateDialog(self.session, unit, title, self.window))

    def record_inspection(self, detail: UnitDetail, title: str) -> QDialog:
        from app.ui.views.records.inspection import InspectionDialog

        return self._open(InspectionDialog(self.session, detail, title, self.window))

    def open_deficiency(self, unit: Elevator, title: str) -> QDialog:
        from app.ui.views.records.deficiency import OpenDeficiencyDialog

        return self._open(OpenDeficiencyDialog(self.session, unit, title, self.window))

    def change_deficiency(self, deficiency: Deficiency, title: str) -> QDialog:
        from app.ui.views.records.deficiency import DeficiencyStatusDialog

        return self._open(DeficiencyStatusDialog(self.session, deficiency, title, self.window))

    def _with_title(self, elevator_id: UUID, then: Callable[[str], object]) -> None:
        def loaded(title: str) -> None:
            then(title)

        self.session.read(
            lambda uow: unit_title(uow, elevator_id),
            loaded,
            label="open the unit",
            parent=self.window,
        )

    def cancel_visit(self, visit: Visit) -> None:
        from app.ui.views.records.visit_and_callback import CancelVisitDialog

        self._with_title(
            visit.elevator_id,
            lambda title: self._open(CancelVisitDialog(self.session, visit, title, self.window)),
        )

    def edit_callback(self, incident: Incident) -> None:
        from app.ui.views.records.visit_and_callback import EditCallbackDialog

        self._with_title(
            incident.elevator_id,
            lambda title: self._open(
                EditCallbackDialog(self.session, incident, title, self.window)
            ),
        )
