"""File → New store, Open store, Open recent and Import fleet, on real SQLite stores.

This computer has no secure keyring in these tests (the keyring is set to the failing
backend), so every new store is sealed under an offline-unlock password typed in the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QLocale, QSettings
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit
from pytestqt.qtbot import QtBot

from app.bootstrap import StoreFiles, open_workspace
from app.domain.enums import RuleSet
from app.services.organization import organization_settings
from app.ui.app import Startup, start_gui
from app.ui.store_menu import ImportReport, NewStoreDialog, local_rule_set
from app.ui.stores import RecentStores

PASSWORD = "correct horse battery"
ADMIN_PIN = "2468"

GOOD_CSV = (
    "customer,site,site_address,unit_number,manufacturer\n"
    "Harbour Estates,Pier House,1 Pier Road,L1,KONE\n"
    "Harbour Estates,Pier House,1 Pier Road,L2,Otis\n"
)
BAD_CSV = (
    "customer,site,site_address,unit_number,capacity_kg\n"
    "Harbour Estates,Pier House,1 Pier Road,L3,heavy\n"
    "Harbour Estates,,1 Pier Road,L4,\n"
)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(before)


def _app() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app


def _answer(qtbot: QtBot, startup: Startup, text: str, *, expect: str = "") -> None:
    """Type ``text`` into the password dialog the opener shows and press OK."""
    opener = startup.opener
    assert opener is not None
    qtbot.waitUntil(
        lambda: (
            opener.dialog is not None
            and opener.dialog.isVisible()
            and expect in opener.dialog.labelText()
        ),
        timeout=15000,
    )
    dialog = opener.dialog
    assert isinstance(dialog, QInputDialog)
    dialog.setTextValue(text)
    dialog.accept()


def _enter_pin(qtbot: QtBot, startup: Startup, pin: str) -> None:
    """Type the administrator's PIN the start-up asks for once a store opens."""
    qtbot.waitUntil(
        lambda: (
            startup.gate is not None
            and isinstance(startup.gate.dialog, QInputDialog)
            and startup.gate.dialog.isVisible()
        ),
        timeout=15000,
    )
    assert startup.gate is not None
    dialog = startup.gate.dialog
    assert isinstance(dialog, QInputDialog)
    dialog.setTextValue(pin)
    dialog.accept()


def _new_store(path: Path) -> None:
    async def create() -> None:
        ws = await StoreFiles().create(path, "First Lifts", PASSWORD, ADMIN_PIN)
        await ws.close()

    asyncio.run(create())


def _start(qtbot: QtBot, path: Path, tmp_path: Path) -> Startup:
    quits: list[bool] = []
    return start_gui(
        _app(),
        path,
        data_dir=tmp_path / "data",
        settings_path=tmp_path / "settings.ini",
        quit_app=lambda: quits.append(True),
        stores=StoreFiles(),
    )


def _close(startup: Startup) -> None:
    if startup.window is not None:
        startup.window.close()
    startup.shutdown()


def test_a_wrong_unlock_password_asks_again_instead_of_leaving(
    qtbot: QtBot, tmp_path: Path, no_keyring: None
) -> None:
    store = tmp_path / "first.sqlite"
    _new_store(store)
    startup = _start(qtbot, store, tmp_path)
    try:
        _answer(qtbot, startup, "not the password")
        _answer(qtbot, startup, PASSWORD, expect="That password is wrong. Try again.")
        _enter_pin(qtbot, startup, ADMIN_PIN)
        qtbot.waitUntil(lambda: startup.window is not None, timeout=15000)
        assert startup.exit_code == 0
        assert startup.window is not None
        assert "First Lifts" in startup.window.store_label.text()
        assert RecentStores(startup.settings).paths() == [store]
    finally:
        _close(startup)


def test_new_store_import_and_open_recent_from_the_file_menu(
    qtbot: QtBot, tmp_path: Path, no_keyring: None
) -> None:
    first = tmp_path / "first.sqlite"
    _new_store(first)
    startup = _start(qtbot, first, tmp_path)
    try:
        _answer(qtbot, startup, PASSWORD)
        _enter_pin(qtbot, startup, ADMIN_PIN)
        qtbot.waitUntil(lambda: startup.window is not None, timeout=15000)
        menu = startup.store_menu
        assert menu is not None
        # File → New store: the organization's name and the file, then its password
        dialog = menu.new_store()
        assert isinstance(dialog, NewStoreDialog)
        dialog.ok.click()
        assert dialog.problem.text() == "Enter the organization's name."
        second = tmp_path / "second"
        dialog.organization.setText("Second Lifts")
        dialog.file.setText(str(second))
        dialog.ok.click()
        assert "4 to 64 characters" in dialog.problem.text()  # the administrator's PIN
        dialog.pin.setText("1357")
        dialog.again.setText("1375")
        dialog.ok.click()
        assert dialog.problem.text() == "The two PINs differ. Type the same PIN twice."
        dialog.again.setText("1357")
        dialog.ok.click()
        _answer(qtbot, startup, "short", expect="no secure keyring")
        qtbot.waitUntil(lambda: startup.errors.last is not None, timeout=15000)
        assert startup.errors.last is not None
        assert "at least 10 characters" in startup.errors.last.message
        dialog = menu.new_store()
        dialog.organization.setText("Second Lifts")
        dialog.rule_set.setCurrentIndex(dialog.rule_set.findData(RuleSet.UK_LOLER))
        dialog.file.setText(str(second))
        dialog.pin.setText("1357")
        dialog.again.setText("1357")
        dialog.ok.click()
        _answer(qtbot, startup, PASSWORD, expect="no secure keyring")
        _enter_pin(qtbot, startup, "1357")  # the PIN chosen at creation is the one asked
        qtbot.waitUntil(
            lambda: (
                startup.window is not None and "Second Lifts" in startup.window.store_label.text()
            ),
            timeout=15000,
        )
        assert startup.store_path == second.with_suffix(".sqlite")
        assert startup.window is not None
        assert startup.window.profile_label.text() == "Signed in: Administrator (Admin)"
        # File → Import fleet: a bad file is reported line by line and nothing is written
        menu = startup.store_menu
        assert menu is not None
        bad = tmp_path / "bad.csv"
        bad.write_text(BAD_CSV, "utf-8")
        menu.import_file(bad)
        qtbot.waitUntil(lambda: isinstance(menu.report, ImportReport), timeout=15000)
        assert menu.report is not None
        report = menu.report.text.toPlainText()
        assert "nothing was imported" in report
        assert "line 2" in report
        assert "line 3" in report
        good = tmp_path / "good.csv"
        good.write_text(GOOD_CSV, "utf-8")
        menu.report = None
        menu.import_file(good)
        qtbot.waitUntil(lambda: menu.report is not None, timeout=15000)
        assert menu.report is not None
        assert menu.report.text.toPlainText() == (
            "Imported 2 units; created 1 customer and 1 site from good.csv."
        )
        # File → Open recent lists the first store; choosing it asks its password
        menu._fill_recent()
        entries = [a.text() for a in menu.recent_menu.actions()]
        assert entries == [f"first.sqlite  —  {tmp_path}"]
        menu.recent_menu.actions()[0].trigger()
        _answer(qtbot, startup, PASSWORD)
        _enter_pin(qtbot, startup, ADMIN_PIN)
        qtbot.waitUntil(
            lambda: (
                startup.window is not None and "First Lifts" in startup.window.store_label.text()
            ),
            timeout=15000,
        )
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        assert RecentStores(settings).paths() == [first, second.with_suffix(".sqlite")]
    finally:
        _close(startup)

    async def units() -> tuple[int, RuleSet]:
        ws = await open_workspace(second.with_suffix(".sqlite"), password=lambda: PASSWORD)
        try:
            async with ws.store.unit_of_work() as uow:
                return len(await uow.elevators.list_all()), (
                    await organization_settings(uow)
                ).rule_set
        finally:
            await ws.close()

    count, rule_set = asyncio.run(units())
    assert count == 2  # the bad file wrote nothing, the good one both units
    assert rule_set is RuleSet.UK_LOLER  # chosen in the dialog, kept through the password step


@pytest.mark.parametrize(
    ("territory", "expected"),
    [
        (QLocale.Country.UnitedKingdom, RuleSet.UK_LOLER),
        (QLocale.Country.UnitedStates, RuleSet.ASME_A17_1),
        (QLocale.Country.Canada, RuleSet.ASME_A17_1),
    ],
)
def test_a_new_store_offers_the_rules_of_where_it_is_made(
    qtbot: QtBot, territory: QLocale.Country, expected: RuleSet
) -> None:
    assert local_rule_set(territory) is expected
    dialog = NewStoreDialog()
    qtbot.addWidget(dialog)
    offered = {RuleSet(dialog.rule_set.itemData(i)) for i in range(dialog.rule_set.count())}
    assert offered == {RuleSet.ASME_A17_1, RuleSet.UK_LOLER}
    assert RuleSet(dialog.rule_set.currentData()) is local_rule_set(QLocale.system().territory())


def test_cancelling_the_unlock_password_leaves_with_exit_code_1(
    qtbot: QtBot, tmp_path: Path, no_keyring: None
) -> None:
    store = tmp_path / "first.sqlite"
    _new_store(store)
    quits: list[bool] = []
    startup = start_gui(
        _app(),
        store,
        data_dir=tmp_path / "data",
        settings_path=tmp_path / "settings.ini",
        quit_app=lambda: quits.append(True),
        stores=StoreFiles(),
    )
    try:
        opener = startup.opener
        assert opener is not None
        qtbot.waitUntil(lambda: opener.dialog is not None and opener.dialog.isVisible())
        assert opener.dialog is not None
        assert opener.dialog.textEchoMode() is QLineEdit.EchoMode.Password
        opener.dialog.reject()
        qtbot.waitUntil(lambda: quits == [True], timeout=5000)
        assert startup.exit_code == 1
        assert startup.window is None
    finally:
        _close(startup)
