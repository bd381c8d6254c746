"""QtCharts of the dashboard: units by status, callbacks per month."""

from __future__ import annotations

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QFont, QPainter

from app.domain.enums import ElevatorStatus
from app.services.queries import MonthCount
from app.ui.format import STATUS_COLORS, label


def _view(title: str, name: str) -> QChartView:
    chart = QChart()
    chart.setTitle(title)
    chart.legend().setVisible(False)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    view = QChartView(chart)
    view.setObjectName(name)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(200)
    return view


def _axes(chart: QChart, series: QAbstractBarSeries, categories: list[str], top: int) -> None:
    for axis in chart.axes():
        chart.removeAxis(axis)
    x = QBarCategoryAxis()
    x.append(categories)
    y = QValueAxis()
    y.setRange(0, max(1, top))
    if top <= 5:  # whole numbers only: one tick per count
        y.setTickCount(max(1, top) + 1)
    else:
        y.applyNiceNumbers()
    y.setLabelFormat("%d")
    small = QFont()
    small.setPointSize(8)
    x.setLabelsFont(small)
    y.setLabelsFont(small)
    horizontal = isinstance(series, QHorizontalStackedBarSeries)
    chart.addAxis(x, Qt.AlignmentFlag.AlignLeft if horizontal else Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignBottom if horizontal else Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x)
    series.attachAxis(y)


class StatusChart:
    """One bar per status, in the status colour."""

    def __init__(self) -> None:
        self.view = _view("Units by status", "statusChart")
        self.counts: dict[ElevatorStatus, int] = {}

    def show(self, counts: dict[ElevatorStatus, int]) -> None:
        self.counts = dict(counts)
        chart = self.view.chart()
        chart.removeAllSeries()
        series = QHorizontalStackedBarSeries()
        statuses = list(counts)
        for status in statuses:
            bar = QBarSet(label(status))
            bar.setColor(STATUS_COLORS[status])
            bar.append([float(counts[s]) if s is status else 0.0 for s in statuses])
            series.append(bar)
        series.setBarWidth(0.7)
        chart.addSeries(series)
        # the count beside each status: a stacked series' own labels would print every zero
        names = [f"{label(s)} ({counts[s]})" for s in statuses]
        _axes(chart, series, names, max(counts.values(), default=0))


class CallbackChart:
    """Countable callbacks and entrapments per month, for the last 12 months."""

    def __init__(self) -> None:
        self.view = _view("Callbacks per month (12 months)", "callbackChart")
        self.view.chart().legend().setVisible(True)
        self.view.chart().legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.months: list[MonthCount] = []

    def show(self, months: list[MonthCount]) -> None:
        self.months = list(months)
        chart = self.view.chart()
        chart.removeAllSeries()
        calls, traps = QBarSet("Callbacks"), QBarSet("Entrapments")
        calls.setColor(QColor("#1565c0"))
        traps.setColor(QColor("#c62828"))
        calls.append([float(m.callbacks) for m in months])
        traps.append([float(m.entrapments) for m in months])
        series = QBarSeries()
        series.append(calls)
        series.append(traps)
        series.setLabelsVisible(True)  # each bar's count above it
        series.setLabelsFormat("@value")
        series.setLabelsPrecision(3)
        series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
        calls.setLabelColor(QColor("#1565c0"))
        traps.setLabelColor(QColor("#c62828"))
        chart.addSeries(series)
        _axes(
            chart,
            series,
            [m.month.strftime("%b %y" if m.month.month == 1 else "%b") for m in months],
            max((m.callbacks for m in months), default=0) + 1,  # room for the labels on top
        )
