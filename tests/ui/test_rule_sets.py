"""The rules of the jurisdiction on the unit page and the dashboard: a UK lift under LOLER, a US
elevator under ASME A17.1, and what each is held to.

Two sites are added to the seeded fleet, their units registered in June 2023 (so a test never
done by June 2025 is missing): Clifton Court in Bristol, whose lifts have current LOLER thorough
examinations and no Category 1 test, and Back Bay Plaza in Boston under ASME A17.1, with one
elevator tested to A17.1 and one with only a LOLER examination on file.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from app.domain.commands import (
    ChangeOrganizationSettings,
    CreateSite,
    RecordInspection,
    RegisterElevator,
)
from app.domain.entities import Certificate
from app.domain.enums import InspectionResult, InspectionType, Role, RuleSet
from app.domain.settings import OrganizationSettings
from app.services.context import Actor, Changes
from app.services.elevators import register_elevator
from app.services.inspections import record_inspection
from app.services.organization import change_organization_settings
from app.services.sites import create_site
from app.ui.errors import ErrorReport
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime
from app.ui.session import Session
from app.ui.views.screens.dashboard import DashboardView
from app.ui.views.screens.settings import SettingsView
from app.ui.views.unit.page import UnitPage
from tests.ui.conftest import make_session
from tests.ui.factories import Fleet

ADMIN = Actor(UUID("00000000-0000-4000-8000-0000000000a1"), Role.ADMIN, "Ada Admin")
REGISTERED = datetime(2023, 6, 1, 9, 0, tzinfo=UTC)
CERT = Certificate(number="MA-1", issued_on=date(2025, 1, 1), expires_on=date(2026, 1, 1))


@dataclass(frozen=True)
class Sites:
    clifton: UUID
    uk_passenger: UUID
    uk_goods: UUID
    us_tested: UUID
    us_loler_only: UUID


async def _inspect(fleet: Fleet, unit: UUID, kind: InspectionType, on: date) -> None:
    cmd = RecordInspection(
        elevator_id=unit,
        type=kind,
        performed_on=on,
        performed_by="Inspector",
        result=InspectionResult.PASSED,
    )
    await record_inspection(cmd, ctx=fleet.context(ADMIN))


async def add_two_jurisdictions(fleet: Fleet) -> Sites:
    ctx = fleet.context(ADMIN)
    now = fleet.clock.current
    fleet.clock.current = REGISTERED
    customer = fleet.customers["Harbour Estates"]
    clifton = await create_site(
        CreateSite(
            customer_id=customer,
            name="Clifton Court",
            address="2 Clifton Down, Bristol",
            time_zone="Europe/London",
        ),
        ctx=ctx,
    )
    boston = await create_site(
        CreateSite(
            customer_id=customer,
            name="Back Bay Plaza",
            address="100 Boylston Street, Boston",
            time_zone="America/New_York",
            rule_set=RuleSet.ASME_A17_1,
        ),
        ctx=ctx,
    )

    async def unit(site: UUID, number: str, **fields: object) -> UUID:
        command = RegisterElevator(
            site_id=site, unit_number=number, installation_date=date(2015, 5, 1), **fields
        )
        return (await register_elevator(command, ctx=ctx)).id

    sites = Sites(
        clifton=clifton.id,
        uk_passenger=await unit(clifton.id, "P1"),
        uk_goods=await unit(clifton.id, "G1", carries_passengers=False),
        us_tested=await unit(boston.id, "E1", certificate=CERT),
        us_loler_only=await unit(boston.id, "E2", certificate=CERT),
    )
    fleet.clock.current = now
    loler = InspectionType.LOLER
    await _inspect(fleet, sites.uk_passenger, loler, date(2025, 3, 1))  # due Sep 1 (6 months)
    await _inspect(fleet, sites.uk_goods, loler, date(2024, 8, 1))  # due Aug 1 2025 (12 months)
    await _inspect(fleet, sites.us_tested, InspectionType.CAT1, date(2024, 9, 1))
    await _inspect(fleet, sites.us_tested, InspectionType.CAT5, date(2023, 9, 1))
    await _inspect(fleet, sites.us_loler_only, loler, date(2025, 3, 1))
    return sites


def _window(
    qtbot: QtBot,
    runtime: CoreRuntime,
    fleet: Fleet,
    tmp_path: Path,
    shown: list[ErrorReport],
    actor: Actor = ADMIN,
) -> tuple[Session, MainWindow]:
    session = make_session(runtime, fleet, tmp_path, actor, shown)
    window = MainWindow(session, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    return session, window


def _open(qtbot: QtBot, window: MainWindow, unit: UUID, *, after: int = 0) -> UnitPage:
    page = window.fleet.page
    before = page.detail
    window.open_unit(unit)
    qtbot.waitUntil(
        lambda: (
            page.detail is not None
            and page.detail.elevator.id == unit
            and (after == 0 or page.detail is not before)
        ),
        timeout=10000,
    )
    return page


def compliance_rows(page: UnitPage) -> dict[str, str]:
    """Rule -> status as the unit page's Compliance tab shows them."""
    model = page.tabs.compliance
    found = {}
    for row in range(model.rowCount()):
        rule = str(model.index(row, 1).data())
        found[rule] = str(model.index(row, 4).data())
    return found


def test_a_uk_lift_is_held_to_loler_not_to_asme_tests(
    qtbot: QtBot,
    runtime: CoreRuntime,
    fleet: Fleet,
    tmp_path: Path,
    shown_errors: list[ErrorReport],
) -> None:
    sites = asyncio.run(add_two_jurisdictions(fleet))
    _session, window = _window(qtbot, runtime, fleet, tmp_path, shown_errors)

    # Before its site is put under UK LOLER, Clifton Court follows the organization's rule
    # set (ASME A17.1 by default): the lift shows Category 1 missing and is capped at 40.
    page = _open(qtbot, window, sites.uk_passenger)
    assert compliance_rows(page)["Category 1 test"] == "Missing"
    assert "Certificate of operation" in compliance_rows(page)
    assert "capped at 40: required test overdue: Category 1 test" in page.health.caps.text()
    assert "rules: ASME A17.1 (organization's)" in page.facts.text()

    # The administrator puts the site under UK LOLER on the Settings screen.
    window.go("Settings")
    settings = window.views["Settings"]
    assert isinstance(settings, SettingsView)
    qtbot.waitUntil(lambda: settings.sites.rowCount() > 0, timeout=10000)
    row = next(
        r
        for r in range(settings.site_proxy.rowCount())
        if settings.site_proxy.row_object(r).site.id == sites.clifton
    )
    settings.site_table.selectRow(row)
    settings.site_rule_set.setCurrentIndex(settings.site_rule_set.findText("UK LOLER"))
    settings.apply_site.click()
    qtbot.waitUntil(
        lambda: fleet.store.state.sites[sites.clifton].rule_set is not None, timeout=10000
    )

    page = _open(qtbot, window, sites.uk_passenger, after=1)
    qtbot.waitUntil(lambda: "LOLER thorough examination" in compliance_rows(page), timeout=10000)
    assert compliance_rows(page) == {
        "Preventive maintenance": "Missing",
        "LOLER thorough examination": "Ok",  # examined Mar 1: due Sep 1
    }
    assert page.health.caps.text() == "No caps applied."
    assert "rules: UK LOLER (site's own)" in page.facts.text()
    assert "no certificate of operation (none under UK LOLER)" in page.facts.text()

    goods = _open(qtbot, window, sites.uk_goods)
    assert compliance_rows(goods)["LOLER thorough examination"] == "Ok"  # 12 months: Aug 1
    assert "goods-only lift" in goods.facts.text()
    assert not shown_errors


def test_the_dashboard_counts_each_unit_against_its_own_rule_set(
    qtbot: QtBot,
    runtime: CoreRuntime,
    fleet: Fleet,
    tmp_path: Path,
    shown_errors: list[ErrorReport],
) -> None:
    asyncio.run(add_two_jurisdictions(fleet))
    session, window = _window(qtbot, runtime, fleet, tmp_path, shown_errors)
    board = window.views["Dashboard"]
    assert isinstance(board, DashboardView)
    qtbot.waitUntil(lambda: board.board is not None and not board.board.stale, timeout=10000)
    assert board.board is not None

    def overdue_units() -> dict[str, set[str]]:
        """The required tests overdue (not PM: none of the new units has had a visit yet)."""
        found: dict[str, set[str]] = {}
        assert board.board is not None
        for item in board.board.overdue:
            if item.item.rule.value != "preventive_maintenance":
                found.setdefault(item.unit.title, set()).add(item.item.rule.value)
        return found

    under_asme = board.board.metrics
    late = overdue_units()
    assert "cat1_test" in late["Clifton Court / P1"]  # held to ASME: Category 1 missing
    assert "cat1_test" in late["Back Bay Plaza / E2"]  # a LOLER report is no A17.1 test
    assert "Back Bay Plaza / E1" not in late  # tested to A17.1: compliant

    # the whole organization moves to UK LOLER; Back Bay Plaza names ASME A17.1 itself
    command = ChangeOrganizationSettings(rule_set=RuleSet.UK_LOLER)
    runtime.run_sync(lambda _p: change_organization_settings(command, ctx=fleet.context(ADMIN)))
    session.changed.emit(Changes())
    qtbot.waitUntil(
        lambda: (
            board.board is not None
            and not board.board.stale
            and board.board.settings.rule_set is RuleSet.UK_LOLER
        ),
        timeout=10000,
    )
    late = overdue_units()
    assert "Clifton Court / P1" not in late  # current LOLER examination: compliant
    assert "Clifton Court / G1" not in late
    assert "cat1_test" in late["Back Bay Plaza / E2"]  # its site is still under ASME A17.1
    now = board.board.metrics
    assert now.compliant_units > under_asme.compliant_units
    text = board.tiles["regulatory"].note.text()
    assert text == f"{now.compliant_units} of {now.active_units} units compliant"
    assert not shown_errors


# -- every setting changes what the screens show ---------------------------------------------


def _settings_view(qtbot: QtBot, window: MainWindow) -> SettingsView:
    window.go("Settings")
    view = window.views["Settings"]
    assert isinstance(view, SettingsView)
    qtbot.waitUntil(lambda: view.overview is not None, timeout=10000)
    return view


def _unit_text(qtbot: QtBot, window: MainWindow, unit: UUID) -> str:
    page = _open(qtbot, window, unit, after=1)
    model = page.tabs.compliance
    cells = [
        str(model.index(row, column).data())
        for row in range(model.rowCount())
        for column in range(1, model.columnCount())
    ]
    return " | ".join([page.facts.text(), *cells])


def _dashboard_text(qtbot: QtBot, window: MainWindow, fleet: Fleet) -> str:
    window.go("Dashboard")
    board = window.views["Dashboard"]
    assert isinstance(board, DashboardView)
    board.refresh()
    on_record = [o.settings for o in fleet.store.state.organizations.values()]
    current = on_record[0] if on_record else OrganizationSettings()
    qtbot.waitUntil(
        lambda: (
            board.board is not None and not board.board.stale and board.board.settings == current
        ),
        timeout=10000,
    )
    tiles = [f"{t.value.text()} {t.note.text()} {t.toolTip()}" for t in board.tiles.values()]
    tabs = [board.drill.tabText(n) for n in range(board.drill.count())]
    return " | ".join([*tiles, *tabs])


def _set(view: SettingsView, field: str, value: object) -> None:
    if field == "rule_set":
        view.rule_set.setCurrentIndex(view.rule_set.findData(value))
    elif field == "certificate_alert_days":
        view.alerts.setText(str(value))
    elif field == "operating_hours":
        view.around_the_clock.setChecked(False)
    else:
        view.spins[field].setValue(int(str(value)))


CASES = {
    # setting: (new value, where it shows: a unit of Sites, or the dashboard)
    "rule_set": (RuleSet.UK_LOLER, "uk_passenger"),
    "default_maintenance_interval_days": (45, "uk_passenger"),
    "pm_window_percent": (20, "uk_passenger"),
    "cat1_interval_months": (24, "us_tested"),
    "cat5_interval_months": (36, "us_tested"),
    "loler_passenger_interval_months": (3, "uk_passenger"),
    "loler_goods_interval_months": (6, "uk_goods"),
    "custom_interval_months": (24, "uk_passenger"),
    "certificate_alert_days": ("90, 30", "dashboard"),
    "entrapment_response_target_minutes": (15, "dashboard"),
    "repeat_callback_window_days": (90, "dashboard"),
    "operating_hours": ("07:00-19:00 Mon-Fri", "dashboard"),
}


@pytest.mark.parametrize("field", list(CASES))
def test_every_setting_changes_what_the_screens_show(
    qtbot: QtBot,
    runtime: CoreRuntime,
    fleet: Fleet,
    tmp_path: Path,
    shown_errors: list[ErrorReport],
    field: str,
) -> None:
    """Each setting, changed by the administrator on the Settings screen, changes a screen."""
    assert set(CASES) == set(OrganizationSettings.model_fields)  # every setting is covered
    sites = asyncio.run(add_two_jurisdictions(fleet))
    if field.startswith("loler"):  # the LOLER intervals apply where LOLER is in force
        asyncio.run(_organization(fleet, rule_set=RuleSet.UK_LOLER))
    if field == "custom_interval_months":
        asyncio.run(_organization(fleet, rule_set=RuleSet.CUSTOM))
    _session, window = _window(qtbot, runtime, fleet, tmp_path, shown_errors)
    value, where = CASES[field]

    def shown() -> str:
        if where == "dashboard":
            return _dashboard_text(qtbot, window, fleet)
        return _unit_text(qtbot, window, getattr(sites, where))

    before = shown()
    view = _settings_view(qtbot, window)
    _set(view, field, value)
    view.save.click()
    qtbot.waitUntil(
        lambda: (
            bool(fleet.store.state.organizations)
            and next(iter(fleet.store.state.organizations.values())).settings
            != OrganizationSettings(**_baseline(field))
        ),
        timeout=10000,
    )
    settings = next(iter(fleet.store.state.organizations.values())).settings
    assert getattr(settings, field) != getattr(OrganizationSettings(**_baseline(field)), field)
    assert shown() != before
    assert not view.errors.any
    assert not shown_errors


def _baseline(field: str) -> dict[str, object]:
    if field.startswith("loler"):
        return {"rule_set": RuleSet.UK_LOLER}
    if field == "custom_interval_months":
        return {"rule_set": RuleSet.CUSTOM}
    return {}


async def _organization(fleet: Fleet, **settings: object) -> None:
    cmd = ChangeOrganizationSettings(organization_name="Test Lifts Ltd", **settings)
    await change_organization_settings(cmd, ctx=fleet.context(ADMIN))
