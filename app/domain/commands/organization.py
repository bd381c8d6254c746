"""Commands of the organization: its settings."""

from __future__ import annotations

from app.domain.commands.fleet import TimeZoneName
from app.domain.enums import RuleSet
from app.domain.forms import Command
from app.domain.settings import OperatingHours
from app.domain.values import OptionalText


class ChangeOrganizationSettings(Command):
    """Change the settings given (administrators); the others keep their values.

    ``operating_hours`` given as None means around the clock. ``organization_name`` and
    ``organization_time_zone`` describe the organization when its settings are recorded for the
    first time (a new store, or one from before settings were recorded).
    """

    rule_set: RuleSet | None = None
    default_maintenance_interval_days: int | None = None
    pm_window_percent: int | None = None
    cat1_interval_months: int | None = None
    cat5_interval_months: int | None = None
    loler_passenger_interval_months: int | None = None
    loler_goods_interval_months: int | None = None
    custom_interval_months: int | None = None
    certificate_alert_days: tuple[int, ...] | None = None
    entrapment_response_target_minutes: int | None = None
    repeat_callback_window_days: int | None = None
    operating_hours: OperatingHours | None = None
    organization_name: OptionalText = None
    organization_time_zone: TimeZoneName = None
