"""Fixtures of the UI tests: offscreen Qt, a running core worker, a seeded in-memory store."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.services.context import Actor
from app.ui.errors import ErrorPresenter, ErrorReport
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime
from app.ui.session import Session
from tests.ui.factories import SUPERVISOR, TECHNICIAN, Fleet, seed_fleet
from tests.ui.fake_backend import FakeBackend

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


class FixedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


@pytest.fixture
def runtime(qtbot: QtBot) -> Iterator[CoreRuntime]:
    """A started core worker, stopped after the test."""
    core = CoreRuntime()
    core.start()
    yield core
    core.stop()


@pytest.fixture
def fleet() -> Fleet:
    return asyncio.run(seed_fleet())


@pytest.fixture
def shown_errors() -> list[ErrorReport]:
    return []


def make_session(
    runtime: CoreRuntime, fleet: Fleet, data_dir: Path, actor: Actor, shown: list[ErrorReport]
) -> Session:
    def show(report: ErrorReport, _parent: QWidget | None) -> None:
        shown.append(report)
        return None

    presenter = ErrorPresenter(log_file=data_dir / "log.txt", show=show)
    clock = FixedClock()  # the session's and the figures' "now": one clock, as in the app
    return Session(
        runtime,
        FakeBackend(fleet, clock=clock),
        clock=clock,
        errors=presenter,
        data_dir=data_dir,
        actor=actor,
    )


@pytest.fixture
def session(
    runtime: CoreRuntime, fleet: Fleet, tmp_path: Path, shown_errors: list[ErrorReport]
) -> Session:
    """A supervisor's session over the seeded store."""
    return make_session(runtime, fleet, tmp_path, SUPERVISOR, shown_errors)


@pytest.fixture
def tech_session(
    runtime: CoreRuntime, fleet: Fleet, tmp_path: Path, shown_errors: list[ErrorReport]
) -> Session:
    """A technician's session over the seeded store."""
    return make_session(runtime, fleet, tmp_path, TECHNICIAN, shown_errors)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot: QtBot, session: Session, settings: QSettings) -> MainWindow:
    main = MainWindow(session, settings)
    qtbot.addWidget(main)
    main.show()
    return main
