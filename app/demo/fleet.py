"""The demo fleet plan: customers, sites and units from resources/demo, scaled to any size.

Sites follow the organization's rule set (UK LOLER for the demo) unless their customer names
another (the US customer's sites: ASME A17.1). Units are installed before the demo's history
begins; under LOLER there is no certificate of operation and some lifts carry goods only. The
organization took its fleet onto SiteSync over the weeks before the history begins, one unit on
one day, another on the next: each unit's PM calendar runs from its registration day, so the
route's visits fall on different days.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import app
from app.domain.entities import Certificate
from app.domain.enums import DriveType, Manufacturer, RuleSet

_STREETS = (
    "King",
    "Queen",
    "Mill",
    "Station",
    "Church",
    "Park",
    "Victoria",
    "Bridge",
    "High",
    "Castle",
    "Market",
    "Albion",
    "Clifton",
    "Cotham",
    "Redland",
    "Bedminster",
)
_CONTACT = ("contact_name", "contact_phone", "contact_email")
_KINDS = ("House", "Court", "Tower", "Plaza", "Centre", "Point", "Exchange", "Works")


def definition_path() -> Path:
    """The shipped demo organization definition."""
    return Path(app.__file__).resolve().parent.parent / "resources" / "demo" / "organization.json"


def load_definition(path: Path | None = None) -> dict[str, Any]:
    """Read the demo organization definition."""
    data: dict[str, Any] = json.loads((path or definition_path()).read_text("utf-8"))
    return data


@dataclass(slots=True)
class SitePlan:
    name: str
    address: str
    floors: int
    time_zone: str
    rule_set: RuleSet | None
    """The site's own rule set; None follows the organization's."""
    interval_days: int | None = None
    """The preventive interval of the site's units; None follows the organization's."""
    units: list[UnitPlan] = field(default_factory=list)


@dataclass(slots=True)
class CustomerPlan:
    name: str
    contact: dict[str, str]
    sites: list[SitePlan] = field(default_factory=list)


def organization_rule_set(definition: dict[str, Any]) -> RuleSet:
    """The demo organization's own rule set."""
    return RuleSet(definition["organization"].get("rule_set", RuleSet.ASME_A17_1))


@dataclass(slots=True)
class UnitPlan:
    unit_number: str
    manufacturer: Manufacturer
    model: str
    drive_type: DriveType
    capacity_kg: int
    speed: Decimal
    floors: int
    installed: date
    certificate: Certificate | None
    reliability: float  # expected countable callbacks per year
    rule_set: RuleSet
    """The rule set in force at the unit's site."""
    registered: date
    """The day it was registered in SiteSync: its PM calendar runs from it."""
    carries_passengers: bool = True
    interval_days: int | None = None
    """Its own preventive-maintenance interval; None follows the organization's default."""

    @property
    def pm_interval_days(self) -> int:
        """Days between its preventive visits."""
        return self.interval_days or MAINTENANCE_INTERVAL_DAYS

    @property
    def first_pm_due(self) -> date:
        """Its first preventive visit's due date: one interval after registration."""
        return self.registered + timedelta(days=self.pm_interval_days)


def _weighted[T](rng: random.Random, mix: dict[T, int]) -> T:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


MAINTENANCE_INTERVAL_DAYS = 30
"""The demo organization's default preventive interval (units with none of their own)."""
ONBOARDING_DAYS = 60
"""The organization registers its units over at most this many days before the history begins
(each within one PM interval of it, so its first visit falls due in the history)."""
INSTALLED_BEFORE_HISTORY_DAYS = ONBOARDING_DAYS + 10
"""Every demo unit was installed at least this many days before the demo's history begins
(435 days before the as-of day for a year of history), before anything is on record, so nothing
on record predates its installation."""


def _unit(
    rng: random.Random,
    definition: dict[str, Any],
    number: str,
    site: SitePlan,
    as_of: date,
    history_days: int,
) -> UnitPlan:
    floors = site.floors
    maker = Manufacturer(_weighted(rng, definition["manufacturer_mix"]))
    drive = DriveType(_weighted(rng, definition["drive_mix"]))
    if drive is DriveType.HYDRAULIC:
        floors = min(floors, 6)
    youngest = history_days + INSTALLED_BEFORE_HISTORY_DAYS
    installed = as_of - timedelta(days=rng.randint(youngest, max(youngest, 30 * 365)))
    roll = rng.random()  # most certificates valid for months; some expiring, a few expired
    days_left = (
        rng.randint(-40, -1)
        if roll < 0.04
        else rng.randint(1, 30)
        if roll < 0.10
        else rng.randint(31, 60)
        if roll < 0.16
        else rng.randint(61, 330)
    )
    expires = as_of + timedelta(days=days_left)
    age_years = (as_of - installed).days / 365
    rule_set = site.rule_set or organization_rule_set(definition)
    # UK LOLER has no certificate of operation; goods-only lifts are examined yearly
    certificate = (
        None
        if rule_set is RuleSet.UK_LOLER
        else Certificate(
            number=f"CO-{rng.randint(100000, 999999)}",
            issued_on=expires - timedelta(days=365),
            expires_on=expires,
        )
    )
    goods_only = rule_set is RuleSet.UK_LOLER and rng.random() < 0.15
    interval = site.interval_days or MAINTENANCE_INTERVAL_DAYS
    history_begins = as_of - timedelta(days=history_days)
    registered = history_begins - timedelta(days=rng.randint(1, min(interval, ONBOARDING_DAYS)))
    return UnitPlan(
        unit_number=number,
        manufacturer=maker,
        model=rng.choice(definition["models"][maker.value]),
        drive_type=drive,
        capacity_kg=rng.choice((450, 630, 800, 1000, 1275, 1600)),
        speed=Decimal(rng.choice(("0.63", "1.0", "1.6", "2.0", "2.5")))
        if drive is not DriveType.HYDRAULIC
        else Decimal("0.63"),
        floors=max(2, floors),
        installed=installed,
        certificate=certificate,
        reliability=rng.uniform(0.3, 2.0) + age_years / 12 + (3.0 if rng.random() < 0.06 else 0),
        rule_set=rule_set,
        registered=registered,
        carries_passengers=not goods_only,
        interval_days=site.interval_days,
    )


def plan_fleet(
    definition: dict[str, Any],
    units: int,
    rng: random.Random,
    as_of: date,
    history_days: int = 365,
) -> list[CustomerPlan]:
    """Customers, sites and units: the shipped definition first, then generated ones; every
    unit installed before the ``history_days`` of history that end on ``as_of``.

    Names are unique by construction, for any seed and size: a generated customer or site
    carries its own running number (``Customer 014 Estates``, ``212 Mill Court``), which no
    other generated name and no shipped one (none starts with a digit) can carry. Only sites
    that receive units are planned, and only customers with such sites.
    """
    home = definition["organization"]["time_zone"]
    customers = [
        CustomerPlan(
            c["name"],
            {k: c[k] for k in _CONTACT},
            [
                SitePlan(
                    s["name"],
                    s["address"],
                    s["floors"],
                    c.get("time_zone", home),
                    RuleSet(c["rule_set"]) if "rule_set" in c else None,
                    s.get("maintenance_interval_days"),
                )
                for s in c["sites"]
            ],
        )
        for c in definition["customers"]
    ]
    sites = [s for c in customers for s in c.sites]
    shipped = len(sites)
    counts = list(definition["units_per_site"])
    remaining = units
    index = 0
    while remaining > 0:
        if index == len(sites):  # grow: a new site, every 40 sites a new customer
            if index % 40 == 0:
                n = len(customers) + 1
                customers.append(
                    CustomerPlan(
                        f"Customer {n:03d} Estates",
                        {
                            "contact_name": f"Facilities Desk {n}",
                            "contact_phone": f"+44 117 496 {n % 10000:04d}",
                            "contact_email": f"facilities{n}@customer{n}.example",
                        },
                        [],
                    )
                )
            street = rng.choice(_STREETS)
            number = index - shipped + 1  # this generated site's running number
            site = SitePlan(
                f"{number} {street} {rng.choice(_KINDS)}",
                f"{rng.randint(1, 250)} {street} Street, Bristol",
                rng.randint(3, 20),
                home,
                None,
            )
            customers[-1].sites.append(site)
            sites.append(site)
            counts.append(rng.randint(2, 8))
        site = sites[index]
        for k in range(min(counts[index], remaining)):
            site.units.append(_unit(rng, definition, f"L{k + 1}", site, as_of, history_days))
        remaining -= len(site.units)
        index += 1
    for customer in customers:
        customer.sites = [site for site in customer.sites if site.units]
    return [customer for customer in customers if customer.sites]
