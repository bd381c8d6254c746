"""The Settings screen: the organization's settings and each site's rule set.

Everyone sees them (they decide what every figure means); administrators change them. Saving
the settings is one use case (one transaction); a site's rule set is changed one site at a time.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.commands import ChangeOrganizationSettings, UpdateSite
from app.domain.enums import Role, RuleSet
from app.domain.errors import ValidationError
from app.domain.settings import RULE_SET_NAMES, WEEKDAY_NAMES, OperatingHours
from app.services.organization import (
    SettingsOverview,
    SiteRuleRow,
    change_organization_settings,
    settings_overview,
)
from app.services.sites import update_site
from app.ui.models.table import Column, RowTableModel
from app.ui.session import Session
from app.ui.views.screens.base import View, fit_columns, heading, make_table, selected_row
from app.ui.widgets.forms import FormErrors, find_data

_SPINS: tuple[tuple[str, str, int, int, str], ...] = (
    ("default_maintenance_interval_days", "Preventive maintenance interval", 1, 366, " days"),
    ("pm_window_percent", "On-time window either side of due", 0, 50, " % of interval"),
    ("cat1_interval_months", "ASME A17.1 Category 1 test every", 1, 120, " months"),
    ("cat5_interval_months", "ASME A17.1 Category 5 test every", 1, 120, " months"),
    ("loler_passenger_interval_months", "LOLER examination, passenger lift", 1, 120, " months"),
    ("loler_goods_interval_months", "LOLER examination, goods-only lift", 1, 120, " months"),
    ("custom_interval_months", "Custom rule set: periodic inspection every", 1, 120, " months"),
    ("entrapment_response_target_minutes", "Entrapment response target", 1, 1440, " minutes"),
    ("repeat_callback_window_days", "Repeat callback within", 1, 365, " days"),
)


def _qt(value: time) -> QTime:
    return QTime(value.hour, value.minute)


def _py(value: QTime) -> time:
    return time(value.hour(), value.minute())


class SiteRuleTableModel(RowTableModel[SiteRuleRow]):
    def __init__(self) -> None:
        super().__init__(
            [
                Column("Site", lambda r: r.site.name),
                Column("Customer", lambda r: r.customer_name),
                Column("Time zone", lambda r: r.site.time_zone),
                Column(
                    "Rule set",
                    lambda r: (
                        RULE_SET_NAMES[r.rules.rule_set]
                        + ("" if r.site.rule_set else " (organization's)")
                    ),
                ),
            ]
        )


class SettingsView(View):
    """The settings form and the sites' rule sets; editable by administrators only."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.overview: SettingsOverview | None = None
        self.errors = FormErrors()
        self.note = QLabel()
        self.note.setObjectName("settingsNote")
        self.note.setWordWrap(True)
        form = QFormLayout()
        self.rule_set = QComboBox()
        self.rule_set.setObjectName("ruleSet")
        for rule_set, name in RULE_SET_NAMES.items():
            self.rule_set.addItem(name, rule_set)
        self.errors.add_row(form, "Rule set (sites that name none)", self.rule_set, "rule_set")
        self.spins: dict[str, QSpinBox] = {}
        for field, text, low, high, suffix in _SPINS:
            spin = QSpinBox()
            spin.setObjectName(field)
            spin.setRange(low, high)
            spin.setSuffix(suffix)
            self.spins[field] = spin
            self.errors.add_row(form, text, spin, field)
        self.alerts = QLineEdit()
        self.alerts.setObjectName("certificateAlertDays")
        self.alerts.setPlaceholderText("e.g. 60, 30")
        self.errors.add_row(
            form, "Certificate alerts (days before expiry)", self.alerts, "certificate_alert_days"
        )
        self.around_the_clock = QCheckBox("24x7")
        self.around_the_clock.setObjectName("aroundTheClock")
        self.opens, self.closes = QTimeEdit(), QTimeEdit()
        self.opens.setObjectName("opens")
        self.closes.setObjectName("closes")
        for edit in (self.opens, self.closes):
            edit.setDisplayFormat("HH:mm")
        self.days = [QCheckBox(name) for name in WEEKDAY_NAMES]
        hours = QWidget()
        lines = QVBoxLayout(hours)
        lines.setContentsMargins(0, 0, 0, 0)
        times, weekdays = QHBoxLayout(), QHBoxLayout()
        times.addWidget(self.around_the_clock)
        times.addWidget(QLabel("or from"))
        times.addWidget(self.opens)
        times.addWidget(QLabel("to"))
        times.addWidget(self.closes)
        times.addStretch(1)
        for box in self.days:
            weekdays.addWidget(box)
        weekdays.addStretch(1)
        lines.addLayout(times)
        lines.addLayout(weekdays)
        self.around_the_clock.toggled.connect(self._hours_apply)
        self.errors.add_row(form, "Operating hours (availability)", hours, "operating_hours")
        self.save = QPushButton("&Save settings")
        self.save.setObjectName("saveSettings")
        self.save.clicked.connect(self.save_settings)
        settings_box = QGroupBox("Organization settings")
        box_column = QVBoxLayout(settings_box)
        box_column.addWidget(self.errors.banner)
        box_column.addLayout(form)
        box_column.addWidget(self.save)
        self.sites = SiteRuleTableModel()
        self.site_table, self.site_proxy = make_table(self.sites, "siteRuleSets")
        self.site_rule_set = QComboBox()
        self.site_rule_set.setObjectName("siteRuleSet")
        self.site_rule_set.addItem("The organization's", None)
        for rule_set, name in RULE_SET_NAMES.items():
            self.site_rule_set.addItem(name, rule_set)
        self.apply_site = QPushButton("Set for the selected &site")
        self.apply_site.setObjectName("applySiteRuleSet")
        self.apply_site.clicked.connect(self.set_site_rule_set)
        self.site_error = QLabel()
        self.site_error.setObjectName("siteRuleSetError")
        self.site_error.setWordWrap(True)
        self.site_error.setStyleSheet("color: #c62828;")
        site_tools = QHBoxLayout()
        site_tools.addWidget(QLabel("Rule set"))
        site_tools.addWidget(self.site_rule_set)
        site_tools.addWidget(self.apply_site)
        site_tools.addStretch(1)
        sites_box = QGroupBox("Rule set of each site")
        sites_column = QVBoxLayout(sites_box)
        sites_column.addWidget(self.site_table, 1)
        sites_column.addLayout(site_tools)
        sites_column.addWidget(self.site_error)
        settings_box.setMaximumWidth(max(640, settings_box.minimumSizeHint().width()))
        boxes = QHBoxLayout()
        boxes.addWidget(settings_box, 0)
        boxes.addWidget(sites_box, 1)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.addWidget(heading("Settings"))
        column.addWidget(self.note)
        column.addLayout(boxes, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        session.profile_changed.connect(lambda _actor: self._editable())
        self._editable()

    @property
    def is_admin(self) -> bool:
        return self.session.actor is not None and self.session.actor.role is Role.ADMIN

    def _editable(self) -> None:
        admin = self.is_admin
        for widget in (
            self.rule_set,
            *self.spins.values(),
            self.alerts,
            self.around_the_clock,
            self.save,
            self.site_rule_set,
            self.apply_site,
            *self.days,
        ):
            widget.setEnabled(admin)
        self._hours_apply()
        self.note.setText(
            "These settings decide what every figure and due date means. Changes are recorded "
            "as events like any other record."
            + ("" if admin else " Only an administrator can change them.")
        )

    def _hours_apply(self) -> None:
        enabled = self.is_admin and not self.around_the_clock.isChecked()
        for widget in (self.opens, self.closes, *self.days):
            widget.setEnabled(enabled)

    def refresh(self) -> None:
        self.session.read(settings_overview, self.show_overview, label="load the settings")

    def show_overview(self, overview: SettingsOverview) -> None:
        self.overview = overview
        settings = overview.settings
        self.rule_set.setCurrentIndex(find_data(self.rule_set, settings.rule_set))
        for field, spin in self.spins.items():
            spin.setValue(int(getattr(settings, field)))
        self.alerts.setText(", ".join(str(d) for d in settings.certificate_alert_days))
        hours = settings.operating_hours
        self.around_the_clock.setChecked(hours is None)
        shown = hours or OperatingHours(opens=time(7), closes=time(19), days=(1, 2, 3, 4, 5))
        self.opens.setTime(_qt(shown.opens))
        self.closes.setTime(_qt(shown.closes))
        for number, box in enumerate(self.days, start=1):
            box.setChecked(number in shown.days)
        self._hours_apply()
        self.sites.set_rows(list(overview.sites))
        fit_columns(self.site_table)

    def _alert_days(self) -> tuple[int, ...]:
        try:
            return tuple(int(part) for part in self.alerts.text().replace(";", ",").split(","))
        except ValueError:
            raise ValidationError(
                f"'{self.alerts.text()}' is not a list of days.",
                field="certificate_alert_days",
                hint="Write whole numbers of days separated by commas, e.g. 60, 30.",
            ) from None

    def command(self) -> ChangeOrganizationSettings:
        """The settings as the form shows them."""
        values: dict[str, Any] = {name: spin.value() for name, spin in self.spins.items()}
        values["rule_set"] = RuleSet(self.rule_set.currentData())
        values["certificate_alert_days"] = self._alert_days()
        if self.around_the_clock.isChecked():
            values["operating_hours"] = None
        else:
            days = tuple(n for n, box in enumerate(self.days, start=1) if box.isChecked())
            try:
                values["operating_hours"] = OperatingHours(
                    opens=_py(self.opens.time()), closes=_py(self.closes.time()), days=days
                )
            except ValueError as exc:
                message = str(exc).splitlines()[-1].removeprefix("  Value error, ")
                raise ValidationError(
                    f"Operating hours: {message}.",
                    field="operating_hours",
                    hint="Choose the opening and closing times and at least one day.",
                ) from None
        values["organization_name"] = self.session.backend.organization_name
        return ChangeOrganizationSettings(**values)

    def save_settings(self) -> None:
        self.errors.clear()
        try:
            cmd = self.command()
        except ValidationError as error:
            self.errors.show_error(error)
            return
        self.save.setEnabled(False)
        self.session.act(
            lambda ctx: change_organization_settings(cmd, ctx=ctx),
            lambda _changes: self._saved(),
            label="save the settings",
            parent=self,
            on_error=self._failed,
        )

    def _saved(self) -> None:
        self.save.setEnabled(self.is_admin)
        self.errors.clear()

    def _failed(self, error: BaseException) -> None:
        self.save.setEnabled(self.is_admin)
        if isinstance(error, ValidationError):
            self.errors.show_error(error)
        else:
            self.session.errors.present(error, action="save the settings", parent=self)

    def set_site_rule_set(self) -> None:
        self.site_error.clear()
        row = selected_row(self.site_table, self.site_proxy)
        if not isinstance(row, SiteRuleRow):
            self.site_error.setText("Choose a site in the list first.")
            return
        chosen = self.site_rule_set.currentData()
        cmd = UpdateSite(site_id=row.site.id, rule_set=RuleSet(chosen) if chosen else None)
        self.session.act(
            lambda ctx: update_site(cmd, ctx=ctx),
            lambda _changes: None,
            label="change the site's rule set",
            parent=self,
        )
