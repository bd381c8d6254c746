"""The read side: what the screens show, computed from the projections (no Qt, no events).

Every query reads through the repositories of ``ports`` and returns plain frozen values;
figures come from ``app.domain`` (metrics, health, compliance) so the screens and the reports
agree. A fleet is read with one query per kind of record (``fleet.load_fleet``); its figures
are kept per store by ``figures.FleetFigures`` (in memory and saved in the store: a cache,
the only thing this side writes) and filtered without computing them again.
"""

from app.services.queries.dashboard import (
    DEFAULT_DAYS,
    Dashboard,
    DashboardFilter,
    OpenCallback,
    board,
    dashboard,
    trailing_period,
)
from app.services.queries.figures import FleetFigures, FleetList
from app.services.queries.fleet import (
    FleetData,
    FleetRow,
    fleet,
    fleet_rows,
    load_fleet,
    load_unit_record,
    matches,
)
from app.services.queries.lists import (
    ComplianceRow,
    UnitDetail,
    callback_log,
    profiles,
    unit_audit_trail,
    unit_detail,
    user_names,
    visit_log,
)
from app.services.queries.snapshot import (
    FleetSnapshot,
    MonthCount,
    callbacks_per_month,
    months_back,
)

__all__ = [
    "DEFAULT_DAYS",
    "ComplianceRow",
    "Dashboard",
    "DashboardFilter",
    "FleetData",
    "FleetFigures",
    "FleetList",
    "FleetRow",
    "FleetSnapshot",
    "MonthCount",
    "OpenCallback",
    "UnitDetail",
    "board",
    "callback_log",
    "callbacks_per_month",
    "dashboard",
    "fleet",
    "fleet_rows",
    "load_fleet",
    "load_unit_record",
    "matches",
    "months_back",
    "profiles",
    "trailing_period",
    "unit_audit_trail",
    "unit_detail",
    "user_names",
    "visit_log",
]
