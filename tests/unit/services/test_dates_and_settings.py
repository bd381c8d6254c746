"""Dates that cannot be are refused; the organization's settings are events only admins record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from app.domain.checklists import TemplateCatalog
from app.domain.commands import (
    ChangeOrganizationSettings,
    CloseIncident,
    CreateSite,
    OpenIncident,
    RecordInspection,
    RecordVisit,
    RegisterElevator,
    UpdateElevator,
    UpdateIncident,
    UpdateSite,
)
from app.domain.compliance import pm_item
from app.domain.enums import (
    IncidentChannel,
    InspectionResult,
    InspectionType,
    Role,
    RuleSet,
    VisitStatus,
    VisitType,
)
from app.domain.errors import AuthorizationError, ValidationError
from app.domain.events import parse_payload
from app.domain.payloads import ElevatorRegistered, ElevatorStatusChanged, SiteCreated
from app.domain.rules import unit_rules
from app.domain.settings import OperatingHours, OrganizationSettings
from app.services.context import ServiceContext
from app.services.elevators import register_elevator, update_elevator
from app.services.incidents import close_incident, open_incident, update_incident
from app.services.inspections import record_inspection
from app.services.organization import change_organization_settings, settings_overview
from app.services.sites import create_site, update_site
from app.services.visit_forms import record_visit
from tests.fakes import FixedClock, InMemoryStore, MemoryBlobStore, as_actor
from tests.unit.services.conftest import Fleet
from tests.unit.services.support import refused, types_of

NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # the fixtures' clock


async def test_an_installation_date_in_the_future_is_refused(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    future = RegisterElevator(
        site_id=fleet.site_id, unit_number="L9", installation_date=date(2025, 3, 4)
    )
    error = await refused(store, register_elevator(future, ctx=ctx), ValidationError)
    assert (
        error.message == "The installation date 2025-03-04 is in the future (today is 2025-03-03)."
    )
    assert error.field == "installation_date"
    edit = UpdateElevator(elevator_id=fleet.traction_id, installation_date=date(2026, 1, 1))
    await refused(store, update_elevator(edit, ctx=ctx), ValidationError)
    today = UpdateElevator(elevator_id=fleet.traction_id, installation_date=date(2025, 3, 3))
    await update_elevator(today, ctx=ctx)


async def test_callbacks_and_visits_in_the_future_are_refused_beyond_clock_skew(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    def call(reported: datetime) -> OpenIncident:
        return OpenIncident(
            elevator_id=fleet.traction_id,
            reported_at=reported,
            channel=IncidentChannel.PHONE,
            reported_trouble="Noisy doors",
        )

    error = await refused(
        store, open_incident(call(NOW + timedelta(minutes=30)), ctx=tech_ctx), ValidationError
    )
    assert error.message == (
        "The report time 2025-03-03 08:30 is in the future (it is now 2025-03-03 08:00 at the "
        "site)."
    )
    await open_incident(call(NOW + timedelta(minutes=4)), ctx=tech_ctx)  # a clock 4 min fast

    visit = RecordVisit(
        elevator_id=fleet.traction_id,
        type=VisitType.REPAIR,
        arrived_at=NOW + timedelta(hours=2),
        complete=False,
    )
    error = await refused(
        store,
        record_visit(visit, ctx=tech_ctx, templates=templates, blobs=blobs),
        ValidationError,
    )
    assert error.field == "arrived_at"
    assert "is in the future" in error.message


async def test_callback_arrival_release_and_back_in_service_times_in_the_future_are_refused(
    store: InMemoryStore, tech_ctx: ServiceContext, fleet: Fleet
) -> None:
    reported = NOW - timedelta(hours=1)

    def call(**times: datetime) -> OpenIncident:
        return OpenIncident(
            elevator_id=fleet.traction_id,
            reported_at=reported,
            channel=IncidentChannel.ALARM,
            reported_trouble="Trapped between floors",
            out_of_service=True,
            entrapment=True,
            persons_trapped=1,
            **times,
        )

    soon = NOW + timedelta(minutes=20)  # past the five minutes of clock difference
    for field in ("arrived_at", "release_at"):
        error = await refused(
            store, open_incident(call(**{field: soon}), ctx=tech_ctx), ValidationError
        )
        assert error.field == field
        assert "2025-03-03 08:20 is in the future (it is now 2025-03-03 08:00" in error.message
        assert error.hint is not None
        assert "as it happened" in error.hint

    made = await open_incident(call(), ctx=tech_ctx)  # logged now, times to follow
    for field in ("arrived_at", "release_at"):
        edit = UpdateIncident(incident_id=made.id, **{field: soon})
        error = await refused(store, update_incident(edit, ctx=tech_ctx), ValidationError)
        assert error.field == field
    close = CloseIncident(
        incident_id=made.id,
        back_in_service=True,
        back_in_service_at=soon,
        corrective_action="Reset the door lock",
    )
    error = await refused(store, close_incident(close, ctx=tech_ctx), ValidationError)
    assert "is in the future" in error.message
    # the same times, now past, are taken
    await update_incident(
        UpdateIncident(incident_id=made.id, arrived_at=NOW, release_at=NOW), ctx=tech_ctx
    )


async def test_an_inspection_before_the_unit_was_installed_is_refused(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    installed = UpdateElevator(elevator_id=fleet.traction_id, installation_date=date(2012, 3, 4))
    await update_elevator(installed, ctx=ctx)
    cmd = RecordInspection(
        elevator_id=fleet.traction_id,
        type=InspectionType.CAT5,
        performed_on=date(2011, 5, 1),
        performed_by="J. Inspector",
        result=InspectionResult.PASSED,
    )
    error = await refused(store, record_inspection(cmd, ctx=ctx), ValidationError)
    assert error.message == (
        "The inspection date 2011-05-01 is before unit 'L1' was installed (2012-03-04)."
    )
    assert error.hint == "Check the date, or correct the unit's installation date."


async def test_an_installation_date_after_the_units_earliest_work_is_refused(
    store: InMemoryStore,
    ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    # The unit's earliest records: a preventive visit on 2025-02-10 and, on the other unit,
    # an inspection on 2024-06-01. Neither can come before the unit was installed.
    visit = RecordVisit(
        elevator_id=fleet.traction_id,
        type=VisitType.PREVENTIVE,
        arrived_at=datetime(2025, 2, 10, 9, 0, tzinfo=UTC),
        complete=False,
    )
    await record_visit(visit, ctx=ctx, templates=templates, blobs=blobs)
    later = UpdateElevator(elevator_id=fleet.traction_id, installation_date=date(2025, 2, 11))
    error = await refused(store, update_elevator(later, ctx=ctx), ValidationError)
    assert error.message == (
        "The installation date 2025-02-11 is after the preventive visit of 2025-02-10 on unit "
        "'L1': a unit is installed before any work on it."
    )
    assert error.field == "installation_date"
    assert error.hint == (
        "Enter 2025-02-10 or an earlier day, or check the date of the preventive visit of "
        "2025-02-10."
    )
    same_day = UpdateElevator(elevator_id=fleet.traction_id, installation_date=date(2025, 2, 10))
    await update_elevator(same_day, ctx=ctx)
    assert store.state.elevators[fleet.traction_id].installation_date == date(2025, 2, 10)

    inspection = RecordInspection(
        elevator_id=fleet.hydraulic_id,
        type=InspectionType.CAT1,
        performed_on=date(2024, 6, 1),
        performed_by="J. Inspector",
        result=InspectionResult.PASSED,
    )
    await record_inspection(inspection, ctx=ctx)
    moved = UpdateElevator(elevator_id=fleet.hydraulic_id, installation_date=date(2024, 6, 2))
    error = await refused(store, update_elevator(moved, ctx=ctx), ValidationError)
    assert "after the inspection of 2024-06-01 on unit" in error.message
    # other edits of the unit are not held up by its records
    await update_elevator(UpdateElevator(elevator_id=fleet.hydraulic_id, model="LX"), ctx=ctx)


async def test_the_future_and_the_day_of_a_visit_are_the_sites(
    store: InMemoryStore,
    ctx: ServiceContext,
    clock: FixedClock,
    templates: TemplateCatalog,
    fleet: Fleet,
) -> None:
    boston = await create_site(
        CreateSite(
            customer_id=fleet.customer_id,
            name="Tremont Gate Hotel",
            address="275 Tremont Street, Boston",
            time_zone="America/New_York",
        ),
        ctx=ctx,
    )
    unit = await register_elevator(RegisterElevator(site_id=boston.id, unit_number="L1"), ctx=ctx)
    clock.set(datetime(2025, 3, 4, 2, 0, tzinfo=UTC))  # Mar 4 in London, 21:00 Mar 3 in Boston
    cmd = RecordInspection(
        elevator_id=unit.id,
        type=InspectionType.CAT1,
        performed_on=date(2025, 3, 4),
        performed_by="J. Inspector",
        result=InspectionResult.PASSED,
    )
    error = await refused(store, record_inspection(cmd, ctx=ctx), ValidationError)
    assert error.message == "The inspection date 2025-03-04 is in the future (today is 2025-03-03)."

    # a visit at 01:30 UTC on Mar 4 was done on Mar 3 in Boston: that is the day that counts
    arrived = datetime(2025, 3, 4, 1, 30, tzinfo=UTC)
    visit = RecordVisit(
        elevator_id=unit.id, type=VisitType.PREVENTIVE, arrived_at=arrived, complete=False
    )
    made = await record_visit(visit, ctx=ctx, templates=templates, blobs=MemoryBlobStore())
    done = store.state.visits[made.id].model_copy(
        update={"status": VisitStatus.COMPLETED, "completed_at": arrived}
    )
    site = store.state.sites[boston.id]
    item = pm_item(
        store.state.elevators[unit.id],
        [done],
        today=date(2025, 3, 10),
        rules=unit_rules(OrganizationSettings(), site),
    )
    assert item.last_done_on == date(2025, 3, 3)


async def test_settings_are_recorded_by_administrators_only_and_only_when_they_change(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    technician = as_actor(ctx, Role.TECHNICIAN, fleet.technician_id)
    cmd = ChangeOrganizationSettings(rule_set=RuleSet.UK_LOLER, organization_name="Acme Lifts")
    error = await refused(
        store, change_organization_settings(cmd, ctx=technician), AuthorizationError
    )
    assert error.message == "This needs an administrator; you are signed in as a technician."

    begin = len(store.events)
    await change_organization_settings(cmd, ctx=ctx)  # the first time: the organization itself
    hours = OperatingHours(opens="07:00", closes="19:00", days=(1, 2, 3, 4, 5))
    again = ChangeOrganizationSettings(rule_set=RuleSet.UK_LOLER, operating_hours=hours)
    await change_organization_settings(again, ctx=ctx)
    await change_organization_settings(again, ctx=ctx)  # nothing changes: nothing recorded
    assert types_of(store, begin) == ["organization.created", "organization.settings_changed"]
    assert store.events[-1].payload.to_json() == {
        "operating_hours": {"opens": "07:00:00", "closes": "19:00:00", "days": [1, 2, 3, 4, 5]}
    }
    overview = await settings_overview(store.unit_of_work)
    assert overview.organization is not None
    assert overview.organization.name == "Acme Lifts"
    assert overview.settings.rule_set is RuleSet.UK_LOLER
    assert overview.settings.operating_hours == hours
    assert [r.rules.rule_set for r in overview.sites] == [RuleSet.UK_LOLER]


async def test_impossible_settings_are_refused_with_the_field_named(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    zero = ChangeOrganizationSettings(cat1_interval_months=0)
    error = await refused(store, change_organization_settings(zero, ctx=ctx), ValidationError)
    assert error.message == "Cat1 interval (months) must be at least 1."
    assert error.field == "cat1_interval_months"
    with pytest.raises(ValidationError) as caught:
        ChangeOrganizationSettings(operating_hours={"opens": "19:00", "closes": "07:00"})
    assert "closing time must be after the opening time" in caught.value.message


async def test_a_sites_rule_set_is_set_by_administrators(
    store: InMemoryStore, ctx: ServiceContext, supervisor_ctx: ServiceContext, fleet: Fleet
) -> None:
    loler = UpdateSite(site_id=fleet.site_id, rule_set=RuleSet.UK_LOLER)
    await refused(store, update_site(loler, ctx=supervisor_ctx), AuthorizationError)
    await update_site(loler, ctx=ctx)
    assert store.state.sites[fleet.site_id].rule_set is RuleSet.UK_LOLER
    follow = UpdateSite(site_id=fleet.site_id, rule_set=None)  # back to the organization's
    await update_site(follow, ctx=ctx)
    assert store.state.sites[fleet.site_id].rule_set is None
    # a supervisor may still edit the site's other details
    await update_site(UpdateSite(site_id=fleet.site_id, access_notes="Key at desk"), ctx=ctx)


async def test_the_repeat_window_setting_decides_which_callback_repeats_another(
    store: InMemoryStore, ctx: ServiceContext, clock: FixedClock, fleet: Fleet
) -> None:
    await change_organization_settings(
        ChangeOrganizationSettings(repeat_callback_window_days=5), ctx=ctx
    )

    def call(when: datetime) -> OpenIncident:
        return OpenIncident(
            elevator_id=fleet.traction_id,
            reported_at=when,
            channel=IncidentChannel.PHONE,
            reported_trouble="Doors",
        )

    first = await open_incident(call(NOW - timedelta(days=7)), ctx=ctx)
    week_later = await open_incident(call(NOW), ctx=ctx)
    assert store.state.incidents[week_later.id].repeat_of is None  # 7 days > 5
    clock.advance(days=3)
    soon = await open_incident(call(NOW + timedelta(days=3)), ctx=ctx)
    assert store.state.incidents[soon.id].repeat_of == week_later.id
    assert first.id != week_later.id


def test_older_payload_versions_read_with_the_defaults_of_their_time() -> None:
    site = parse_payload(
        SiteCreated.TYPE,
        1,
        {"customer_id": str(UUID(int=1)), "name": "North", "address": "1 High St"},
    )
    assert isinstance(site, SiteCreated)
    assert site.rule_set is None  # follows the organization's
    unit = parse_payload(
        ElevatorRegistered.TYPE, 1, {"site_id": str(UUID(int=2)), "unit_number": "L1"}
    )
    assert isinstance(unit, ElevatorRegistered)
    # version 1 units carried passengers and had their own interval, 30 days by default
    assert (unit.carries_passengers, unit.maintenance_interval_days) == (True, 30)
    change = parse_payload(
        ElevatorStatusChanged.TYPE,
        1,
        {"previous": "operational", "new": "degraded", "reason": "slow"},
    )
    assert isinstance(change, ElevatorStatusChanged)
    assert change.effective_at is None  # it took effect when it was recorded
    assert ElevatorRegistered.VERSION == ElevatorStatusChanged.VERSION == 2
