"""File dialogs open in the user's documents folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.ui.views.visit import parts_and_photos
from app.ui.views.visit.parts_and_photos import PhotoStrip
from tests.ui.factories import PNG_1PX


def test_the_photo_picker_opens_in_the_documents_folder(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = tmp_path / "door.png"
    photo.write_bytes(PNG_1PX)
    opened_in: list[str] = []

    class Dialog:  # the person picks one photo in the dialog
        @staticmethod
        def getOpenFileNames(
            _parent: QWidget, _caption: str, folder: str, _filter: str
        ) -> tuple[list[str], str]:
            opened_in.append(folder)
            return [str(photo)], ""

    monkeypatch.setattr(parts_and_photos, "QFileDialog", Dialog)
    strip = PhotoStrip()
    qtbot.addWidget(strip)
    strip._choose()
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    assert documents
    assert opened_in == [documents]
    assert strip.paths == [str(photo)]
