"""The health score with its breakdown, caps and confidence."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QWidget

from app.domain.health import HealthScore, caps_text
from app.ui.format import BAND_COLORS, label

_NAMES = {
    "age": "Age",
    "maintenance_compliance": "Maintenance compliance",
    "incident_frequency": "Incident frequency",
}


class HealthPanel(QGroupBox):
    """Score, band, the three weighted components and any caps applied."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Health score", parent)
        self.score = QLabel("—")
        self.score.setObjectName("healthScore")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.caps = QLabel()
        self.caps.setObjectName("healthCaps")
        self.caps.setWordWrap(True)
        self._grid = QGridLayout(self)
        self._grid.addWidget(self.score, 0, 0, 2, 1)
        self._grid.addWidget(self.summary, 0, 1, 1, 3)
        self._rows: list[QLabel] = []

    def show_score(self, health: HealthScore) -> None:
        color = BAND_COLORS[health.band].name()
        self.score.setText(str(health.score))
        self.score.setStyleSheet(f"font-size: 28pt; font-weight: 700; color: {color};")
        self.summary.setText(
            f"{label(health.band)} — weighted {health.weighted_score:.1f}, "
            f"confidence {health.confidence:.0%}"
            + (
                f" (last visit {health.inputs.last_visit_on})"
                if health.inputs.last_visit_on
                else " (no visit on record)"
            )
        )
        for widget in self._rows:
            self._grid.removeWidget(widget)
            widget.deleteLater()
        self._rows = []
        for row, part in enumerate(health.components, start=1):
            cells = [
                QLabel(_NAMES.get(part.name, part.name)),
                QLabel(f"{part.score:.0f} × {part.weight:.1f}"),
                QLabel(part.detail),
            ]
            cells[2].setWordWrap(True)  # a narrow page wraps the detail rather than clip it
            for column, cell in enumerate(cells, start=1):
                self._grid.addWidget(cell, row, column)
                self._rows.append(cell)
        if health.caps:
            self.caps.setText(f"⚠ {caps_text(health.caps)}")
            self.caps.setStyleSheet("color: #c62828;")
        else:
            self.caps.setText("No caps applied.")
            self.caps.setStyleSheet("")
        self._grid.addWidget(self.caps, len(health.components) + 1, 1, 1, 3)
