"""The supervisor dashboard: KPI tiles for a period, charts, drill-down lists, filters."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.downtime import Period
from app.domain.enums import Manufacturer
from app.domain.figures import MetricFigures
from app.domain.pm import PM_SCHEDULE
from app.domain.settings import OrganizationSettings
from app.domain.wording import plural
from app.services.queries import DEFAULT_DAYS, Dashboard, DashboardFilter, trailing_period
from app.ui.backend import Backend
from app.ui.format import label, number
from app.ui.models.records import ComplianceTableModel, FleetTableModel, OpenCallbackTableModel
from app.ui.models.table import RowFilterProxy
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.screens.base import View, fit_columns, make_table
from app.ui.views.screens.dashboard_charts import CallbackChart, StatusChart
from app.ui.widgets.forms import find_data
from app.ui.widgets.reflow import TileGrid, scrolling

TILE_WIDTH = 170
"""The narrowest a KPI tile gets: its title and figure on one line each."""
LOWER_HEIGHT = 360
"""Room for the charts and the drill-down lists; a smaller screen scrolls to them."""

PERIODS = (("Last 30 days", 30), ("Last 90 days", 90), ("Last 12 months", 365), ("Year to date", 0))


def period_for(choice: int, today: date) -> Period:
    """The period of a selector entry (days; 0 means year to date)."""
    if choice == 0:
        end = today + timedelta(days=1)
        return Period.of_dates(date(today.year, 1, 1), end)
    return trailing_period(today, choice)


class KpiTile(QFrame):
    """A figure with its name and a one-line explanation."""

    def __init__(self, title: str, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"#{name} {{ background: palette(base); border-radius: 6px; }}")
        self.title = QLabel(title)
        self.title.setStyleSheet("color: #455a64; font-weight: 600;")
        self.title.setWordWrap(True)
        self.value = QLabel("—")
        self.value.setObjectName(f"{name}Value")
        self.value.setStyleSheet("font-size: 20pt; font-weight: 700;")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #607d8b; font-size: 8pt;")
        column = QVBoxLayout(self)
        column.setContentsMargins(10, 6, 10, 6)
        column.addWidget(self.title)
        column.addWidget(self.value)
        column.addWidget(self.note)

    def set_figure(self, value: str, note: str, *, warn: bool = False) -> None:
        self.value.setText(value)
        color = "#c62828" if warn else "palette(text)"
        self.value.setStyleSheet(f"font-size: 20pt; font-weight: 700; color: {color};")
        self.note.setText(note)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def tile_texts(
    m: MetricFigures, settings: OrganizationSettings | None = None
) -> dict[str, tuple[str, str, bool]]:
    """Value, explanation and warning flag of each KPI tile."""
    rules = settings or OrganizationSettings()
    pm, reg = m.pm_compliance_pct, m.regulatory_compliance_pct
    rate = m.callback_rate
    basis = "; 90-day minimum" if m.exposure_floored else ""
    target = rules.entrapment_response_target_minutes
    on_target = m.entrapment_on_target_pct
    return {
        "availability": (number(m.availability_pct, 2, "%"), "excluding planned downtime", False),
        "serviceAvailability": (
            number(m.service_availability_pct, 2, "%"),
            "all downtime counted",
            False,
        ),
        "callbackRate": (
            number(rate, 2),
            f"{plural(m.callbacks, 'callback')} / {m.exposure_unit_years:.1f} unit-years{basis}; "
            "good < 2",
            rate is not None and rate >= 4,
        ),
        "mtbf": (number(m.mtbf_hours, 0, " h"), f"{_plural(m.outages, 'unplanned outage')}", False),
        "mttr": (number(m.mttr_hours, 1, " h"), "mean time to repair", False),
        "pmCompliance": (
            (number(pm, 0, "%"), f"{m.pm_met} of {m.pm_due} on time; target ≥ 90%", pm < 90)
            if m.pm_due
            else ("—", "no visits due in the period", False)
        ),
        "regulatory": (
            number(reg, 0, "%"),
            f"{m.compliant_units} of {plural(m.active_units, 'unit')} compliant",
            reg is not None and reg < 100,
        ),
        "response": (
            number(m.mean_response_minutes, 0, " min"),
            f"P90 {number(m.p90_response_minutes, 0, ' min')}; "
            f"{_plural(m.responses, 'callback')} attended",
            False,
        ),
        "entrapments": (
            number(on_target, 0, "%"),
            f"{m.entrapments_on_target} of {m.entrapment_responses} reached in {target} min",
            on_target is not None and on_target < 100,
        ),
        "repeats": (
            number(m.repeat_callback_pct, 0, "%"),
            f"{m.repeat_callbacks} of {m.all_callbacks} within "
            f"{plural(rules.repeat_callback_window_days, 'day')} of another",
            (m.repeat_callback_pct or 0) > 20,
        ),
        "firstTimeFix": (
            number(m.first_time_fix_pct, 0, "%"),
            f"{m.first_time_fixes} of {m.all_callbacks} fixed on the first visit",
            False,
        ),
    }


def tile_tooltips(settings: OrganizationSettings) -> dict[str, str]:
    """How each figure is defined (docs/DOMAIN.md has the full definitions)."""
    hours = (
        f"Counted within the operating hours, {settings.operating_hours.describe()} at each site."
        if settings.operating_hours
        else "Counted around the clock (no operating hours set)."
    )
    return {
        "availability": "(operating time - all downtime) / (operating time - planned downtime). "
        + hours,
        "serviceAvailability": "(operating time - all downtime) / operating time. " + hours,
        "callbackRate": "Countable callbacks (not excluded from the KPIs) per unit-year in "
        "service. Exposure under 90 days counts as 90 days, so a new unit's first callback "
        "does not read as hundreds a year.",
        "mtbf": "(operating time - all downtime) / unplanned outages. Downtime runs from when the "
        "status really changed (an incident's report time), not when it was recorded. " + hours,
        "mttr": "Unplanned downtime / unplanned outages. " + hours,
        "pmCompliance": "Preventive visits done within the window either side of their due date "
        f"({settings.pm_window_percent}% of the interval) / visits due. " + PM_SCHEDULE,
        "regulatory": "Active units with no overdue required test of their site's rule set "
        "(ASME A17.1: Category 1 and 5; UK LOLER: thorough examination; custom: periodic "
        "inspection) and, where the rule set requires one, a valid certificate of operation.",
        "response": "Mean of arrival - report over every callback attended, excluded ones too; "
        "callbacks a technician found on site are left out (no response to time).",
        "entrapments": "Entrapments with a technician's arrival within the organization's "
        f"target ({plural(settings.entrapment_response_target_minutes, 'minute')} of the report).",
        "repeats": "Callbacks reported within the repeat window "
        f"({plural(settings.repeat_callback_window_days, 'day')}) after another on the same unit / "
        "every "
        "callback in the period.",
        "firstTimeFix": "Callbacks closed after exactly one callback visit / every callback in "
        "the period (one closed without a visit, or still open, is not a first-time fix).",
    }


class DashboardView(View):
    """Shows the figures at hand at once, then current ones if events came in since.

    A change of filter only re-adds the units' figures (``FleetFigures`` keeps them), so it
    answers at once; a recompute (after new events, or for a period not computed yet) runs in
    the background while the previous figures stay on screen, marked as updating.
    """

    TILES = (
        (
            ("Availability", "availability"),
            ("Service availability", "serviceAvailability"),
            ("MTBF", "mtbf"),
            ("MTTR", "mttr"),
            ("Callbacks / unit-year", "callbackRate"),
            ("Regulatory compliance", "regulatory"),
        ),
        (
            ("PM compliance", "pmCompliance"),
            ("Mean response", "response"),
            ("Entrapments on target", "entrapments"),
            ("Repeat callbacks", "repeats"),
            ("First-time fix", "firstTimeFix"),
        ),
    )

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.board: Dashboard | None = None
        self._filling = False
        self._fitted: set[str] = set()
        self.period = QComboBox()
        self.period.setObjectName("period")
        for text, days in PERIODS:
            self.period.addItem(text, days)
        self.period.setCurrentIndex(find_data(self.period, DEFAULT_DAYS))
        self.customer, self.site, self.maker = QComboBox(), QComboBox(), QComboBox()
        for combo, name in (
            (self.customer, "customerFilter"),
            (self.site, "siteFilter"),
            (self.maker, "makerFilter"),
        ):
            combo.setObjectName(name)
            combo.setMinimumWidth(120)
        self.customer.addItem("All customers", None)
        self.site.addItem("All sites", None)
        self.maker.addItem("All manufacturers", None)
        for maker in Manufacturer:
            self.maker.addItem(label(maker), maker)
        filters = QHBoxLayout()
        for text, combo in (
            ("Period", self.period),
            ("Customer", self.customer),
            ("Site", self.site),
            ("Make", self.maker),
        ):
            filters.addWidget(QLabel(text))
            filters.addWidget(combo)
            combo.currentIndexChanged.connect(self._filter_changed)
        filters.addStretch(1)
        self.tiles: dict[str, KpiTile] = {
            name: KpiTile(title, name) for tiles in self.TILES for title, name in tiles
        }
        self.tile_grid = TileGrid(
            list(self.tiles.values()), columns=len(self.TILES[0]), tile_width=TILE_WIDTH
        )
        self.status_chart, self.callback_chart = StatusChart(), CallbackChart()
        self.open_calls = OpenCallbackTableModel(self)
        self.overdue = ComplianceTableModel(self)
        self.expiring = ComplianceTableModel(self)
        self.lowest = FleetTableModel(self, with_caps=True)
        self.drill = QTabWidget()
        self.drill.setObjectName("drillDown")
        self.tables: dict[str, tuple[QTableView, RowFilterProxy]] = {}
        for title, model, name in (
            ("Open callbacks", self.open_calls, "openCallbacks"),
            ("Overdue PM && tests", self.overdue, "overdueItems"),
            ("Certificates expiring (60/30 days)", self.expiring, "expiringCertificates"),
            ("Lowest health", self.lowest, "lowestHealth"),
        ):
            table, proxy = make_table(model, name)
            table.activated.connect(lambda index, p=proxy: self._drill(p, index))
            self.tables[name] = (table, proxy)
            self.drill.addTab(table, title)
        charts = QSplitter(Qt.Orientation.Horizontal)
        charts.addWidget(self.status_chart.view)
        charts.addWidget(self.callback_chart.view)
        charts.setSizes([450, 750])
        lower = QSplitter(Qt.Orientation.Vertical)
        lower.setObjectName("dashboardSplitter")
        lower.addWidget(charts)
        lower.addWidget(self.drill)
        lower.setSizes([260, 240])
        lower.setMinimumHeight(LOWER_HEIGHT)
        self.updated = QLabel()
        self.updated.setObjectName("dashboardUpdated")
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addLayout(filters)
        layout.addWidget(self.tile_grid)
        layout.addWidget(lower, 1)
        layout.addWidget(self.updated)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(content))

    def current_filter(self) -> DashboardFilter:
        return DashboardFilter(
            period=period_for(self.period.currentData(), self.session.today()),
            customer_id=self.customer.currentData(),
            site_id=self.site.currentData(),
            manufacturer=Manufacturer(maker) if (maker := self.maker.currentData()) else None,
        )

    def _filter_changed(self) -> None:
        if not self._filling:
            self.refresh()

    def refresh(self) -> None:
        chosen, now = self.current_filter(), self.session.now()
        self.updated.setText("Updating…")
        self._ask(chosen, now, wait=False)

    def _ask(self, chosen: DashboardFilter, now: datetime, *, wait: bool) -> None:
        async def job(backend: Backend, _progress: Progress) -> Dashboard | None:
            return await backend.figures.dashboard(chosen, now=now, wait=wait)

        self.session.work(
            job,
            lambda board: self._answered(board, chosen, waited=wait),
            label="load the dashboard",
            parent=self,
        )

    def _answered(self, board: Dashboard | None, chosen: DashboardFilter, *, waited: bool) -> None:
        if board is not None:
            self.show_board(board)
        if not waited and (board is None or board.stale) and chosen == self.current_filter():
            self._ask(chosen, self.session.now(), wait=True)  # events may have come since

    def show_board(self, board: Dashboard) -> None:
        if board.filter != self.current_filter():
            return  # an answer for filters no longer chosen
        self.board = board
        self._fill_choices(board)
        tips = tile_tooltips(board.settings)
        for name, (value, note, warn) in tile_texts(board.metrics, board.settings).items():
            self.tiles[name].set_figure(value, note, warn=warn)
            self.tiles[name].setToolTip(tips[name])
        self.status_chart.show(board.by_status)
        self.callback_chart.show(list(board.callbacks_per_month))
        self.open_calls.set_rows(board.open_callbacks)
        self.overdue.set_rows(board.overdue)
        self.expiring.set_rows(board.expiring)
        self.lowest.set_rows(board.lowest_health)
        for name, (table, proxy) in self.tables.items():
            if name not in self._fitted and proxy.rowCount():
                # once: fitting asks every cell in view for its size, a call into Python
                # each, and would cost more than the rest of a filter change
                fit_columns(table, 220)
                self._fitted.add(name)
        counts = (len(board.open_callbacks), len(board.overdue), len(board.expiring))
        alerts = "/".join(str(d) for d in board.settings.certificate_alert_days)
        for tab, (title, count) in enumerate(
            zip(
                ("Open callbacks", "Overdue PM && tests", f"Certificates expiring ({alerts} days)"),
                counts,
                strict=True,
            )
        ):
            self.drill.setTabText(tab, f"{title} ({count})")
        period = board.metrics.period  # a period that includes today ends when computed
        self.updated.setText(
            f"{plural(len(board.rows), 'unit')} · {period.start:%Y-%m-%d} to "
            f"{period.end.astimezone():%Y-%m-%d %H:%M} · "
            + ("updating…" if board.stale else _age(board))
        )

    def _fill_choices(self, board: Dashboard) -> None:
        self._filling = True
        for combo, items in (
            (self.customer, [(c.name, c.id) for c in board.customers]),
            (self.site, [(s.name, s.id) for s in board.sites]),
        ):
            if combo.count() - 1 != len(items):
                chosen = combo.currentData()
                while combo.count() > 1:
                    combo.removeItem(1)
                for text, value in items:
                    combo.addItem(text, value)
                combo.setCurrentIndex(max(0, find_data(combo, chosen)))
        self._filling = False

    def _drill(self, proxy: RowFilterProxy, index: QModelIndex) -> None:
        row = proxy.row_object(index.row())
        unit = getattr(row, "unit", row)
        elevator_id = getattr(unit, "elevator_id", None)
        if elevator_id is not None:
            self.open_unit(elevator_id)


def _age(board: Dashboard) -> str:
    """When the figures were taken, and when the units changed since were brought up to date."""
    taken = f"{board.at.astimezone():%H:%M}"
    changed = None if board.changes_to is None else f"{board.changes_to.astimezone():%H:%M}"
    if changed is None or changed == taken:
        return f"as of {taken}"
    return f"as of {taken}, changes to {changed} included"
