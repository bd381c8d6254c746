"""The rules one unit is held to: its organization's settings with its site's rule set.

See ``app.domain.settings`` for what each rule set requires. A site follows the organization's
rule set unless it names its own; its time zone is the one dates and operating hours at the
site are read in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from uuid import UUID

from app.domain.entities import Elevator, Site
from app.domain.enums import InspectionType, RuleSet
from app.domain.settings import OrganizationSettings


class UnitRules(OrganizationSettings):
    """The rules in force at one site: its rule set and time zone with the organization's
    settings."""

    time_zone: str = "UTC"
    """The site's time zone: dates and operating hours at the site are read in it."""

    def pm_interval_days(self, unit: Elevator) -> int:
        """The unit's own preventive-maintenance interval, else the organization's default."""
        return unit.maintenance_interval_days or self.default_maintenance_interval_days

    def required_tests(self, unit: Elevator) -> tuple[tuple[InspectionType, int], ...]:
        """The inspections the rule set requires of ``unit`` and the months between them."""
        if self.rule_set is RuleSet.UK_LOLER:
            months = (
                self.loler_passenger_interval_months
                if unit.carries_passengers
                else self.loler_goods_interval_months
            )
            return ((InspectionType.LOLER, months),)
        if self.rule_set is RuleSet.CUSTOM:
            return ((InspectionType.PERIODIC, self.custom_interval_months),)
        return (
            (InspectionType.CAT1, self.cat1_interval_months),
            (InspectionType.CAT5, self.cat5_interval_months),
        )

    @property
    def certificate_required(self) -> bool:
        """Whether units need a certificate of operation (not under UK LOLER)."""
        return self.rule_set is not RuleSet.UK_LOLER


DEFAULT_RULES: Final = UnitRules()
"""DOMAIN.md's defaults: ASME A17.1, around the clock, UTC."""


def unit_rules(settings: OrganizationSettings, site: Site | None) -> UnitRules:
    """The rules at ``site``: its own rule set if it names one, else the organization's."""
    values = settings.model_dump()
    if site is not None:
        values["rule_set"] = site.rule_set or settings.rule_set
        values["time_zone"] = site.time_zone
    return UnitRules.model_validate(values)


class RulesBook:
    """The rules of every site of one organization, resolved once per site."""

    def __init__(self, settings: OrganizationSettings, sites: Mapping[UUID, Site]) -> None:
        self.settings = settings
        self._sites = sites
        self._resolved: dict[UUID, UnitRules] = {}

    def for_unit(self, unit: Elevator) -> UnitRules:
        """The rules at the unit's site (the organization's when the site is unknown)."""
        found = self._resolved.get(unit.site_id)
        if found is None:
            found = unit_rules(self.settings, self._sites.get(unit.site_id))
            self._resolved[unit.site_id] = found
        return found
