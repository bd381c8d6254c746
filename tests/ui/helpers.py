"""What a user does with the mouse and keyboard, for the UI tests."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.domain.enums import ItemKind
from app.ui.app import Startup
from app.ui.views.dialogs.pin import FIRST_PIN_WARNING, ChoosePinDialog
from app.ui.views.visit.checklist import ChecklistPanel


def _mouse(widget: QWidget, kind: QEvent.Type, x: float, y: float, buttons: Qt.MouseButton) -> None:
    local = QPointF(x, y)
    event = QMouseEvent(
        kind,
        local,
        widget.mapToGlobal(local),
        Qt.MouseButton.LeftButton if kind is not QEvent.Type.MouseMove else Qt.MouseButton.NoButton,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def draw_signature(widget: QWidget) -> None:
    """Press, drag in a zig-zag and release the left button on ``widget``."""
    left = Qt.MouseButton.LeftButton
    _mouse(widget, QEvent.Type.MouseButtonPress, 20, 50, left)
    for step in range(1, 12):
        _mouse(widget, QEvent.Type.MouseMove, 20 + step * 15, 50 + (-1) ** step * 20, left)
    _mouse(widget, QEvent.Type.MouseButtonRelease, 200, 50, Qt.MouseButton.NoButton)


def answer_checklist(
    qtbot: QtBot, panel: ChecklistPanel, readings: dict[str, str] | None = None
) -> None:
    """Click Pass on every pass/fail item, type in-band readings, tick N/A on the rest."""
    for key, row in panel.rows.items():
        item = row.item
        if item.kind is ItemKind.PASS_FAIL:
            button = row.findChild(QWidget, f"pass_{key}")
            assert button is not None
            tick(qtbot, button)
        elif item.kind is ItemKind.READING:
            low = item.min_value if item.min_value is not None else 0
            QTest.keyClicks(row.value, (readings or {}).get(key, str(low)))
        else:
            tick(qtbot, row.na)


def tick(qtbot: QtBot, box: QWidget) -> None:
    """Click a check box or radio button on its indicator."""
    QTest.mouseClick(
        box, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(6, box.height() // 2)
    )


def set_first_admin_pin(qtbot: QtBot, startup: Startup, pin: str = "2468") -> None:
    """A store without any PIN opens: its administrator's first switch sets the PIN, warned."""
    qtbot.waitUntil(
        lambda: (
            startup.gate is not None
            and isinstance(startup.gate.dialog, ChoosePinDialog)
            and startup.gate.dialog.isVisible()
        ),
        timeout=15000,
    )
    assert startup.gate is not None
    choose = startup.gate.dialog
    assert isinstance(choose, ChoosePinDialog)
    intro = choose.findChild(QLabel, "choosePinIntro")
    assert isinstance(intro, QLabel)
    assert FIRST_PIN_WARNING in intro.text()
    choose.pin.setText(pin)
    choose.again.setText(pin)
    choose.ok.click()
