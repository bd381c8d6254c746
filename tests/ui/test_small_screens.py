"""Small screens: at 1024x600 and 1280x720 every screen and form fits and nothing is cut off.

A widget given less room than its minimum size hint, or placed partly outside its parent
(scroll areas aside), shows clipped text; a window whose minimum size is larger than the
screen runs off its edge.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QHeaderView,
    QScrollBar,
    QSplitterHandle,
    QTabBar,
    QTableView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.domain.commands import CreateCustomer, CreateSite, OpenDeficiency, OpenIncident
from app.domain.enums import DeficiencySeverity, IncidentChannel
from app.services.customers import create_customer
from app.services.deficiencies import open_deficiency
from app.services.incidents import open_incident
from app.services.sites import create_site
from app.ui.main_window import MainWindow
from app.ui.session import Session
from app.ui.store_menu import NewStoreDialog
from app.ui.sync.bridge import SyncBridge
from app.ui.sync.sign_in import SignInDialog
from app.ui.views.dialogs.pin import ChoosePinDialog
from app.ui.views.dialogs.profile import ProfileDialog
from app.ui.views.screens.sites_and_units import FleetView
from app.ui.views.screens.work import WorkView
from app.ui.views.visit.form import VisitForm
from app.ui.widgets.reflow import TITLE_BAR
from tests.ui.conftest import NOW
from tests.ui.factories import Fleet
from tests.ui.fake_sync import FakeSyncPort

SCREENS = (QSize(1024, 600), QSize(1280, 720))
DECORATION = QSize(0, 64)
"""What the window's title bar and the desktop's task bar take from the screen's height."""


VISIT_FORM_SIZE = QSize(1000, 700)
"""The size the visit form asks for when it opens."""
MANAGED = (QHeaderView, QScrollBar, QSplitterHandle)
"""Parts a view or splitter sizes itself (a header's size hint is not its minimum)."""


def usable(screen: QSize) -> QSize:
    return screen - DECORATION


def _in_scroll_area(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    owner = parent.parentWidget() if parent is not None else None
    return isinstance(owner, QAbstractScrollArea) and owner.viewport() is parent


def clipped(root: QWidget) -> list[str]:
    """Every visible widget under ``root`` that is given less than it needs, or cut off."""
    found: list[str] = []
    for widget in root.findChildren(QWidget):
        if widget.isWindow() or not widget.isVisibleTo(root) or isinstance(widget, MANAGED):
            continue
        if isinstance(widget.parentWidget(), (QAbstractSpinBox, QComboBox, QTabBar)):
            continue  # the line edit of a spin box or combo box, a tab bar's scroll buttons
        name = f"{type(widget).__name__} {widget.objectName() or ''}".strip()
        text = getattr(widget, "text", None)
        if callable(text) and isinstance(text(), str) and text():
            name += f" {text()[:40]!r}"
        if isinstance(widget, QTabBar) and widget.count():
            needed = widget.tabRect(widget.count() - 1).right() - widget.tabRect(0).left()
            if needed > widget.width():
                found.append(f"{name}: tabs need {needed} px, the bar has {widget.width()}")
        hint = widget.minimumSizeHint().expandedTo(widget.minimumSize())
        if isinstance(widget, QAbstractScrollArea):  # tables and text boxes scroll
            hint = widget.minimumSize()
        if widget.width() < hint.width() or widget.height() < hint.height():
            found.append(f"{name}: {widget.width()}x{widget.height()} < {hint.toTuple()}")
        parent = widget.parentWidget()
        if parent is None or _in_scroll_area(widget):
            continue
        if not parent.rect().contains(widget.geometry()):
            found.append(f"{name}: {widget.geometry().getRect()} outside {parent.objectName()}")
    return found


def fits(window: QWidget, room: QSize) -> list[str]:
    """What is wrong with ``window`` shown in ``room``: too large a minimum, clipped parts."""
    minimum = window.minimumSizeHint().expandedTo(window.minimumSize())
    problems = []
    if minimum.width() > room.width() or minimum.height() > room.height():
        problems.append(f"needs at least {minimum.toTuple()}, the screen has {room.toTuple()}")
    return problems + clipped(window)


def settled(qtbot: QtBot, window: QWidget, room: QSize, tries: int = 5) -> list[str]:
    """What ``fits`` finds once the screen has loaded and laid out what it shows: a screen
    that is still filling in (figures arriving, rows wrapping) is measured again a little
    later, so only what stays clipped is reported."""
    found: list[str] = []
    for _ in range(tries):
        qtbot.wait(200)
        found = fits(window, room)
        if not found:
            break
    return found


def show_in(qtbot: QtBot, window: QWidget, room: QSize) -> None:
    """Show ``window`` at the size it asks for, no larger than ``room`` (as a window manager)."""
    window.resize(opening_size(window).boundedTo(room))
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(250)  # what the form loads on the worker arrives, then its layout settles


def report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{name}:\n  " + "\n  ".join(found) for name, found in problems.items())


def opening_size(window: QWidget) -> QSize:
    """The size ``window`` opens at: the one it set itself, else its size hint."""
    resized = window.testAttribute(Qt.WidgetAttribute.WA_Resized)
    return window.size() if resized else window.sizeHint()


def columns_fit(table: QTableView) -> bool:
    """Every column is in view without scrolling sideways."""
    return table.horizontalHeader().length() <= table.viewport().width()


@pytest.fixture
def port() -> FakeSyncPort:
    return FakeSyncPort()


@pytest.fixture
def bridge(session: Session, port: FakeSyncPort) -> Iterator[SyncBridge]:
    sync = SyncBridge(session, port)
    yield sync
    sync.stop()


@pytest.fixture
def main(qtbot: QtBot, session: Session, settings: QSettings, bridge: SyncBridge) -> MainWindow:
    window = MainWindow(session, settings, sync=bridge)
    qtbot.addWidget(window)
    bridge.start()
    return window


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s.width()}x{s.height()}")
def test_every_screen_fits(qtbot: QtBot, main: MainWindow, fleet: Fleet, screen: QSize) -> None:
    room = usable(screen)
    main.resize(room)
    main.show()
    qtbot.waitExposed(main)
    assert main.size() == room, f"the window needs {main.minimumSizeHint().toTuple()}"
    problems: dict[str, list[str]] = {}
    for name in main.views:
        main.go(name)
        if found := settled(qtbot, main, room):
            problems[name] = found
    main.open_unit(fleet.units["Harbour View/L1"])
    page = main.fleet.page
    qtbot.waitUntil(lambda: page.detail is not None, timeout=5000)
    if found := settled(qtbot, main, room):
        problems["unit page"] = found
    assert not problems, report(problems)


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s.width()}x{s.height()}")
def test_the_unit_and_work_lists_need_no_sideways_scrolling(
    qtbot: QtBot, main: MainWindow, fleet: Fleet, screen: QSize
) -> None:
    main.resize(usable(screen))
    main.show()
    main.go("Sites & Units")
    view = main.fleet
    assert isinstance(view, FleetView)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=5000)
    QApplication.processEvents()
    assert columns_fit(view.table)
    main.open_unit(fleet.units["Harbour View/L1"])
    qtbot.waitUntil(lambda: view.page.detail is not None, timeout=5000)
    qtbot.wait(200)  # the page lays out what it shows, the list gets what is left
    assert columns_fit(view.table)
    main.go("Work")
    work = main.views["Work"]
    assert isinstance(work, WorkView)
    work.scope.setCurrentText("All open and recent visits")
    qtbot.waitUntil(lambda: work.proxy.rowCount() > 0, timeout=5000)
    qtbot.wait(100)
    assert columns_fit(work.table)


def _dialogs(main: MainWindow, fleet: Fleet) -> dict[str, Callable[[], QDialog | None]]:
    unit_id = fleet.units["Harbour View/L1"]
    unit = fleet.store.state.elevators[unit_id]
    records = main.forms.records
    incident = next(iter(fleet.store.state.incidents.values()))
    deficiency = next(iter(fleet.store.state.deficiencies.values()))
    visit = next(iter(fleet.store.state.visits.values()))
    title = "Harbour View / L1"
    return {
        "visit form": lambda: main.forms.record_visit(unit_id),
        "continue visit": lambda: main.forms.open_visit(visit),
        "addendum": lambda: main.forms.add_addendum(visit),
        "deficiency status": lambda: records.change_deficiency(deficiency, title),
        "status": lambda: main.forms.change_status(unit),
        "callback": lambda: main.forms.log_callback(unit_id),
        "close callback": lambda: main.forms.close_callback(incident),
        "schedule visit": lambda: main.forms.schedule_visit(unit_id),
        "customer": records.add_customer,
        "certificate": lambda: records.renew_certificate(unit, title),
        "deficiency": lambda: records.open_deficiency(unit, title),
        "switch profile": lambda: ProfileDialog(main.session, main),
        "new store": lambda: NewStoreDialog(main),
        "choose PIN": lambda: ChoosePinDialog("Sam Super", main),
    }


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s.width()}x{s.height()}")
def test_every_form_fits(qtbot: QtBot, main: MainWindow, fleet: Fleet, screen: QSize) -> None:
    room = usable(screen)
    main.resize(room)
    main.show()
    problems: dict[str, list[str]] = {}
    for name, open_it in _dialogs(main, fleet).items():
        dialog = open_it()
        assert dialog is not None
        qtbot.addWidget(dialog)
        qtbot.wait(100)
        show_in(qtbot, dialog, room)
        if found := settled(qtbot, dialog, room):
            problems[name] = found
        if isinstance(dialog, VisitForm):
            dialog.draft.pause()  # no autosave once this test's core worker has stopped
        dialog.reject()
    incident = next(iter(fleet.store.state.incidents.values()))
    visit = next(iter(fleet.store.state.visits.values()))
    loading: tuple[tuple[str, Callable[[], None]], ...] = (
        ("site", lambda: main.forms.records.add_site(None)),
        ("unit", lambda: main.forms.records.add_unit(None)),
        ("edit callback", lambda: main.forms.records.edit_callback(incident)),
        ("cancel visit", lambda: main.forms.records.cancel_visit(visit)),
    )
    for name, later in loading:
        main.forms.records.last_dialog = None
        later()
        qtbot.waitUntil(lambda: main.forms.records.last_dialog is not None, timeout=5000)
        dialog = main.forms.records.last_dialog
        assert dialog is not None
        qtbot.addWidget(dialog)
        show_in(qtbot, dialog, room)
        if found := settled(qtbot, dialog, room):
            problems[name] = found
        dialog.reject()
    main.open_unit(fleet.units["Harbour View/L1"])
    detail = main.fleet.page
    qtbot.waitUntil(lambda: detail.detail is not None, timeout=5000)
    assert detail.detail is not None
    inspection = main.forms.records.record_inspection(detail.detail, "Harbour View / L1")
    qtbot.addWidget(inspection)
    show_in(qtbot, inspection, room)
    if found := settled(qtbot, inspection, room):
        problems["inspection"] = found
    inspection.reject()
    assert main.sync is not None
    main.sync.sign_in_action.trigger()
    sign_in = main.sync.dialog
    assert isinstance(sign_in, SignInDialog)
    show_in(qtbot, sign_in, room)
    if found := settled(qtbot, sign_in, room):
        problems["sign in"] = found
    sign_in.reject()
    assert not problems, report(problems)


def test_a_form_opens_no_larger_than_the_screen(
    qtbot: QtBot, main: MainWindow, fleet: Fleet
) -> None:
    free = QApplication.primaryScreen().availableGeometry().size() - QSize(0, TITLE_BAR)
    assert free.width() < VISIT_FORM_SIZE.width()  # the test screen is narrower than the form
    form = main.forms.record_visit(fleet.units["Harbour View/L1"])
    assert isinstance(form, VisitForm)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: len(form.checklist.rows) > 5, timeout=5000)
    assert form.isVisible()
    assert form.width() <= free.width()
    assert form.height() <= free.height()
    assert form.save_button.geometry().bottom() < form.height()  # Save stays in view
    form.draft.pause()
    form.reject()


@pytest.fixture
def long_texts(fleet: Fleet) -> None:
    """Records with the long names and texts a real company types."""

    async def add() -> None:
        sup = fleet.context()
        customer = await create_customer(
            CreateCustomer(
                name="Bristol Harbourside Property Management Ltd",
                contact_name="Alexandra Montgomery-Whitfield",
                contact_phone="+44 117 496 0000 ext. 2231",
                contact_email="facilities.helpdesk@harbourside-property.example.co.uk",
            ),
            ctx=sup,
        )
        await create_site(
            CreateSite(
                customer_id=customer.id,
                name="Harbourside Exchange, North Tower",
                address="Unit 4, Harbourside Exchange, Canons Way, Bristol BS1 5LF",
                time_zone="Europe/London",
            ),
            ctx=sup,
        )
        unit = fleet.units["Harbour View/L1"]
        await open_incident(
            OpenIncident(
                elevator_id=unit,
                reported_at=NOW,
                channel=IncidentChannel.PHONE,
                reporter="Front desk",
                reported_trouble="Car stops between floors 3 and 4 and the doors open slowly",
            ),
            ctx=sup,
        )
        await open_deficiency(
            OpenDeficiency(
                elevator_id=unit,
                severity=DeficiencySeverity.DEFICIENT,
                description="Landing door gib worn on the third floor, replace at next visit",
            ),
            ctx=sup,
        )

    asyncio.run(add())


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s.width()}x{s.height()}")
def test_the_record_lists_need_no_sideways_scrolling(
    qtbot: QtBot, long_texts: None, main: MainWindow, screen: QSize
) -> None:
    """Customers & Sites, Callbacks, Deficiencies and Audit leave out less important columns."""
    main.resize(usable(screen))
    main.show()
    qtbot.waitExposed(main)
    wide: dict[str, list[str]] = {}
    for name in ("Customers & Sites", "Callbacks", "Deficiencies", "Audit"):
        main.go(name)
        view = main.views[name]
        tables = view.findChildren(QTableView)
        loaded = lambda found=tables: all(t.model().rowCount() > 0 for t in found)  # noqa: E731
        qtbot.waitUntil(loaded, timeout=5000)
        qtbot.wait(100)
        for table in tables:
            if not columns_fit(table):
                header = table.horizontalHeader()
                model = table.model()
                shown = [
                    f"{model.headerData(c, Qt.Orientation.Horizontal)} {header.sectionSize(c)}"
                    for c in range(model.columnCount())
                    if not header.isSectionHidden(c)
                ]
                wide.setdefault(name, []).append(
                    f"{table.objectName()}: {header.length()} px of columns "
                    f"({', '.join(shown)}) in {table.viewport().width()} px"
                )
            assert not table.isColumnHidden(0), f"{name} keeps its first column"
    assert not wide, wide
