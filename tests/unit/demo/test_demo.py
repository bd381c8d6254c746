"""The demo generator: deterministic for a seed, a verifiable chain, a plausible fleet."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.audit.chain import StaticDeviceKeys, verify_events
from app.audit.signing import Ed25519Signer
from app.demo import demo_device_seed, generate_demo
from app.demo.fleet import load_definition, plan_fleet
from app.demo.generator import demo_ids
from app.domain.compliance import ComplianceRule, fleet_compliance_items
from app.domain.enums import InspectionType, RuleSet, VisitStatus, VisitType
from app.domain.metrics import fleet_metrics
from app.domain.rules import unit_rules
from app.services import queries as q
from tests.fakes import InMemoryStore, MemoryBlobStore

AS_OF = date(2026, 11, 26)
PM = ComplianceRule.PREVENTIVE_MAINTENANCE


async def _generate(seed: int, units: int = 8, months: int = 3) -> InMemoryStore:
    store = InMemoryStore()
    await generate_demo(
        uow=store.unit_of_work,
        blobs=MemoryBlobStore(),
        seed=seed,
        units=units,
        as_of=AS_OF,
        months=months,
    )
    return store


async def test_same_seed_gives_the_same_events_byte_for_byte() -> None:
    first, second = await _generate(3), await _generate(3)
    assert [s.canonical for s in first.sealed] == [s.canonical for s in second.sealed]
    assert [s.signature for s in first.sealed] == [s.signature for s in second.sealed]


async def test_another_seed_gives_another_organization() -> None:
    first, other = await _generate(3), await _generate(4)
    assert first.sealed[-1].hash != other.sealed[-1].hash


async def test_demo_chain_verifies_with_the_demo_device_key() -> None:
    store = await _generate(5)
    _, device_id = demo_ids(5)
    key = Ed25519Signer(demo_device_seed(5)).public_key
    report = verify_events(store.stored_events(), StaticDeviceKeys({str(device_id): key}))
    assert report.events == len(store.sealed) > 100
    assert report.devices == 1


async def test_demo_fleet_has_units_visits_and_callbacks() -> None:
    store = await _generate(7, units=58, months=2)
    state = store.state
    assert len(state.elevators) == 58
    assert len(state.customers) == 3
    assert len(state.sites) == 12
    visits = list(state.visits.values())
    assert any(v.type is VisitType.PREVENTIVE and v.status is VisitStatus.LOCKED for v in visits)
    assert any(v.type is VisitType.CALLBACK for v in visits)
    assert state.incidents, "a fleet of 58 units sees callbacks within two months"
    assert all(v.arrived_at is None or v.arrived_at.date() <= AS_OF for v in visits)


async def test_demo_scales_past_the_shipped_definition() -> None:
    store = await _generate(1, units=130, months=1)
    assert len(store.state.elevators) == 130
    assert len(store.state.sites) > 12


async def test_the_demo_has_sites_under_both_rule_sets_with_fitting_inspections() -> None:
    store = await _generate(7, units=58, months=12)
    state = store.state
    [organization] = state.organizations.values()
    assert organization.name == "Northgate Lift Services"
    assert organization.settings.rule_set is RuleSet.UK_LOLER  # recorded as events
    rules = {
        site_id: unit_rules(organization.settings, site).rule_set
        for site_id, site in state.sites.items()
    }
    assert set(rules.values()) == {RuleSet.UK_LOLER, RuleSet.ASME_A17_1}
    end = datetime.combine(AS_OF, time(0), UTC)  # the history ends as the as-of day begins
    kinds: dict[RuleSet, set[InspectionType]] = {RuleSet.UK_LOLER: set(), RuleSet.ASME_A17_1: set()}
    for inspection in state.inspections.values():
        unit = state.elevators[inspection.elevator_id]
        assert unit.installation_date is not None
        assert inspection.performed_on >= unit.installation_date  # none before installation
        assert inspection.performed_on < AS_OF
        kinds[rules[unit.site_id]].add(inspection.type)
    assert kinds[RuleSet.UK_LOLER] <= {InspectionType.LOLER, InspectionType.ACCEPTANCE}
    assert InspectionType.LOLER in kinds[RuleSet.UK_LOLER]
    assert {InspectionType.CAT1, InspectionType.CAT5} <= kinds[RuleSet.ASME_A17_1]
    assert InspectionType.LOLER not in kinds[RuleSet.ASME_A17_1]
    uk = [u for u in state.elevators.values() if rules[u.site_id] is RuleSet.UK_LOLER]
    assert all(u.certificate is None for u in uk)  # no certificates of operation in the UK
    assert any(not u.carries_passengers for u in uk)  # some goods-only lifts
    assert all(
        u.certificate is not None
        for u in state.elevators.values()
        if rules[u.site_id] is RuleSet.ASME_A17_1
    )
    assert all(e.occurred_at < end for e in store.events)  # nothing in the future
    assert any(c.recorded_at is not None for c in state.status_history)  # logged after the fact


async def test_a_longer_history_installs_every_unit_before_it_begins() -> None:
    # Two years of history: an installation only 400 days back would lie after the first
    # recorded day, and the service would refuse it as a date in the future.
    store = await _generate(3, units=40, months=24)
    state = store.state
    first = min(e.occurred_at for e in store.events).date()
    assert all(
        u.installation_date is not None and u.installation_date < first
        for u in state.elevators.values()
    )
    assert len(state.elevators) == 40


@pytest.mark.parametrize("seed", range(1, 31))
def test_generated_names_are_unique_for_any_seed_at_the_largest_size(seed: int) -> None:
    plan = plan_fleet(load_definition(), 10_000, random.Random(seed), AS_OF)
    customers = [c.name.casefold() for c in plan]
    assert len(set(customers)) == len(customers)
    for customer in plan:
        sites = [s.name.casefold() for s in customer.sites]
        assert len(set(sites)) == len(sites), f"seed {seed}: {customer.name} repeats a site name"
        for site in customer.sites:
            numbers = [u.unit_number.casefold() for u in site.units]
            assert len(set(numbers)) == len(numbers)
    assert sum(len(site.units) for customer in plan for site in customer.sites) == 10_000


async def test_a_small_demo_creates_and_reports_only_the_sites_it_uses() -> None:
    store = InMemoryStore()
    summary = await generate_demo(
        uow=store.unit_of_work, blobs=MemoryBlobStore(), seed=7, units=2, as_of=AS_OF, months=1
    )
    assert (summary.customers, summary.sites, summary.units) == (1, 1, 2)
    assert len(store.state.sites) == 1
    assert len(store.state.customers) == 1


@pytest.mark.parametrize("seed", range(1, 11))
def test_units_join_day_by_day_before_the_history_so_each_calendar_starts_in_it(
    seed: int,
) -> None:
    history_days = 365
    begins = date.fromordinal(AS_OF.toordinal() - history_days)
    plan = plan_fleet(load_definition(), 2_000, random.Random(seed), AS_OF, history_days)
    units = [u for customer in plan for site in customer.sites for u in site.units]

    for u in units:
        assert u.installed < u.registered < begins
        # the first visit falls due in the history's first interval: none is missed before it
        assert begins <= u.first_pm_due < begins + timedelta(days=u.pm_interval_days)
    # the route is spread over the month, not every unit due on the same day
    assert len({u.first_pm_due for u in units if u.pm_interval_days == 30}) == 30


@pytest.mark.parametrize(
    ("seed", "units", "months"), [(1, 30, 4), (2, 30, 4), (3, 30, 4), (4, 30, 4), (9, 58, 12)]
)
async def test_the_demo_pm_compliance_is_realistic(seed: int, units: int, months: int) -> None:
    store = await _generate(seed, units=units, months=months)
    data = await q.load_fleet(store.unit_of_work)
    rules = data.rules().for_unit

    figures = fleet_metrics(data.records, q.trailing_period(AS_OF, 365), rules, AS_OF)
    items = fleet_compliance_items(data.records, today=AS_OF, rules=rules)

    # most visits on time, a few late or missed: PM compliance near the 90 % target
    assert figures.pm_due >= units * (months - 1)  # about one a month each
    assert 88 <= figures.pm_compliance_pct <= 97
    overdue = {i.elevator_id for i in items if i.rule is PM and i.late}
    assert len(overdue) <= units // 10  # a few overdue units, not the fleet
    if months == 12:
        assert overdue, "a year of a 58-unit route leaves a unit or two overdue"
