"""The checklist part of the visit form: one row per item, readings checked as typed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from app.domain.checklists import describe_band, evaluate, in_band, parse_reading
from app.domain.commands import ItemAnswer
from app.domain.entities import ChecklistItem, ChecklistTemplate
from app.domain.enums import ItemKind, ItemOutcome
from app.domain.errors import ValidationError
from app.domain.work import ItemResult
from app.ui.stores import documents_folder
from app.ui.widgets.forms import error_label

OUT_OF_BAND = "background: #ffd7d7; color: #8b0000;"
IN_BAND = "background: #e3f5e1;"
_CHOICES = (
    ("Pass", ItemOutcome.PASS),
    ("Fail", ItemOutcome.FAIL),
    ("N/A", ItemOutcome.NOT_APPLICABLE),
)


class ItemRow(QWidget):
    """The input of one checklist item and its error line."""

    changed = Signal()

    def __init__(self, item: ChecklistItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.photos: list[str] = []
        self.recorded: ItemResult | None = None  # the answer stored on the visit, if any
        self._baseline: dict[str, Any] | None = None  # the inputs showing that stored answer
        self.error = error_label(f"itemError_{item.key}")
        self.band = QLabel()
        self.choices = QButtonGroup(self)
        self.na = QCheckBox("N/A")
        self.na.setObjectName(f"na_{item.key}")
        self.value = QLineEdit()
        self.value.setObjectName(f"value_{item.key}")
        self.photo_button = QPushButton("Add photo…")
        self.inputs = QHBoxLayout(self)
        self.inputs.setContentsMargins(0, 0, 0, 0)
        if item.kind is ItemKind.PASS_FAIL:
            for index, (text, outcome) in enumerate(_CHOICES):
                radio = QRadioButton(text)
                radio.setObjectName(f"{outcome.value}_{item.key}")
                self.choices.addButton(radio, index)
                self.inputs.addWidget(radio)
            self.choices.idToggled.connect(lambda *_: self.changed.emit())
        else:
            if item.kind is ItemKind.READING:
                self.value.setPlaceholderText(f"reading in {item.unit}")
                self.value.setMaximumWidth(140)
                self.band.setText(f"{item.unit}, allowed {describe_band(item)}")
                self.value.textChanged.connect(self._check_reading)
            elif item.kind is ItemKind.TEXT:
                self.value.setPlaceholderText("answer")
            if item.kind is ItemKind.PHOTO:
                self.photo_button.clicked.connect(self._add_photo)
                self.inputs.addWidget(self.photo_button)
            else:
                self.inputs.addWidget(self.value)
            self.inputs.addWidget(self.band)
            self.inputs.addWidget(self.na)
            self.value.textChanged.connect(lambda _t: self.changed.emit())
            self.na.toggled.connect(self._na_toggled)
        self.inputs.addStretch(1)

    def outcome(self) -> ItemOutcome | None:
        if self.item.kind is ItemKind.PASS_FAIL:
            chosen = self.choices.checkedId()
            return _CHOICES[chosen][1] if chosen >= 0 else None
        return ItemOutcome.NOT_APPLICABLE if self.na.isChecked() else None

    def unchanged(self) -> bool:
        """Whether the row still shows the answer stored on the visit."""
        return self._baseline is not None and self.state() == self._baseline

    def answered(self) -> bool:
        if self.unchanged():
            return True
        if self.item.kind is ItemKind.PASS_FAIL:
            return self.outcome() is not None
        if self.na.isChecked():
            return True
        if self.item.kind is ItemKind.PHOTO:
            return bool(self.photos)
        return bool(self.value.text().strip())

    def _na_toggled(self, checked: bool) -> None:
        self.value.setEnabled(not checked)
        self.photo_button.setEnabled(not checked)
        self.changed.emit()

    def _check_reading(self, text: str) -> None:
        """Colour the reading: red out of band or not a number, green inside the band."""
        self.error.hide()
        if not text.strip():
            self.value.setStyleSheet("")
            return
        try:
            value = parse_reading(text, self.item)
        except ValidationError as error:
            self.value.setStyleSheet(OUT_OF_BAND)
            self.show_error(error.message)
            return
        ok = in_band(self.item, value)
        self.value.setStyleSheet(IN_BAND if ok else OUT_OF_BAND)
        if not ok:
            self.show_error(
                f"Out of band ({describe_band(self.item)}): this item will fail and "
                "open a deficiency."
            )

    @property
    def out_of_band(self) -> bool:
        return self.value.styleSheet() == OUT_OF_BAND

    def _add_photo(self) -> None:
        files, _filter = QFileDialog.getOpenFileNames(
            self, "Photos for this item", documents_folder(), "Images (*.png *.jpg *.jpeg)"
        )
        self.photos += files
        self._show_photo_count()
        self.changed.emit()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def answer(self) -> ItemAnswer | None:
        """The answer as the command takes it; None when unanswered or already stored as it is.

        Raises a ValidationError on bad input.
        """
        if not self.answered() or self.unchanged():
            return None
        outcome = self.outcome()
        reading = (
            self.value.text() if self.item.kind is ItemKind.READING and outcome is None else None
        )
        text = self.value.text() if self.item.kind is ItemKind.TEXT and outcome is None else None
        # Photos are read from disk later, on the core worker; the paths stand in to validate.
        photos = tuple(self.photos) if outcome is None else ()
        evaluate(self.item, outcome=outcome, reading=reading, text=text, photos=photos)
        return ItemAnswer(key=self.item.key, outcome=outcome, reading=reading, text=text)

    def state(self) -> dict[str, Any]:
        outcome = self.outcome()
        return {
            "outcome": outcome.value if outcome else None,
            "value": self.value.text(),
            "photos": self.photos,
        }

    def restore(self, state: dict[str, Any]) -> None:
        outcome = state.get("outcome")
        if self.item.kind is ItemKind.PASS_FAIL and outcome:
            index = [o.value for _t, o in _CHOICES].index(outcome)
            button = self.choices.button(index)
            button.setChecked(True)
        elif outcome == ItemOutcome.NOT_APPLICABLE.value:
            self.na.setChecked(True)
        self.value.setText(str(state.get("value") or ""))
        self.photos = [str(p) for p in state.get("photos", [])]
        self._show_photo_count()

    def prefill(self, result: ItemResult) -> None:
        """Show the answer stored on the visit; the row counts as answered until changed."""
        outcome = result.outcome
        shown = outcome if self.item.kind is ItemKind.PASS_FAIL else None
        if outcome is ItemOutcome.NOT_APPLICABLE:
            shown = outcome
        value = result.text if self.item.kind is ItemKind.TEXT else result.value
        self.restore(
            {"outcome": shown.value if shown else None, "value": value or "", "photos": []}
        )
        self.recorded = result
        self.mark_recorded()
        stored = QLabel("✓ recorded")
        stored.setObjectName(f"recorded_{self.item.key}")
        stored.setStyleSheet("color: #607d8b;")
        stored.setToolTip("Stored on the visit; change it to record a new answer")
        self.inputs.insertWidget(self.inputs.count() - 1, stored)
        if result.photos:
            self.photo_button.setText(f"Add photo… ({len(result.photos)} recorded)")

    def mark_recorded(self) -> None:
        """What the row shows now is stored on the visit."""
        self._baseline = self.state()

    def _show_photo_count(self) -> None:
        if self.item.kind is ItemKind.PHOTO:
            self.photo_button.setText(f"Add photo… ({len(self.photos)})")


class ChecklistPanel(QWidget):
    """Every item of the chosen template, grouped by section."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, ItemRow] = {}
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(1, 1)
        self.template: ChecklistTemplate | None = None

    def set_template(self, template: ChecklistTemplate | None) -> None:
        while self.grid.count():
            child = self.grid.takeAt(0)
            widget = child.widget() if child else None
            if widget is not None:
                widget.deleteLater()
        self.rows, self.template = {}, template
        if template is None:
            return
        line, section = 0, None
        for item in template.items:
            if item.section != section:
                section = item.section
                title = QLabel(section)
                title.setStyleSheet("font-weight: 600; margin-top: 6px;")
                self.grid.addWidget(title, line, 0, 1, 2)
                line += 1
            row = ItemRow(item)
            row.changed.connect(self.changed)
            name = QLabel(item.label + (" *" if item.mandatory else ""))
            name.setWordWrap(True)
            name.setMinimumWidth(260)
            self.grid.addWidget(name, line, 0)
            self.grid.addWidget(row, line, 1)
            self.grid.addWidget(row.error, line + 1, 1)
            self.rows[item.key] = row
            line += 2

    def answers(self) -> tuple[list[ItemAnswer], dict[str, str]]:
        """Every answer given, and an error message per item that cannot be accepted."""
        answers, problems = [], {}
        for key, row in self.rows.items():
            try:
                answer = row.answer()
            except ValidationError as error:
                problems[key] = error.message
                continue
            if answer is not None:
                answers.append(answer)
        return answers, problems

    def unanswered_mandatory(self) -> list[str]:
        """The labels of the mandatory items not answered yet."""
        return [r.item.label for r in self.rows.values() if r.item.mandatory and not r.answered()]

    def item_photos(self, answers: list[ItemAnswer]) -> dict[str, tuple[str, ...]]:
        """The photo files of the ``answers`` that are photos, by item key."""
        return {
            a.key: tuple(self.rows[a.key].photos)
            for a in answers
            if a.outcome is None and self.rows[a.key].photos
        }

    def state(self) -> dict[str, Any]:
        """What a draft keeps of the checklist: each row's inputs."""
        return {key: row.state() for key, row in self.rows.items()}

    def restore(self, items: dict[str, Any]) -> None:
        """Fill in the rows of a draft that the chosen checklist has."""
        for key, item in items.items():
            if key in self.rows:
                self.rows[key].restore(item)

    def clear_errors(self) -> None:
        for row in self.rows.values():
            if not row.out_of_band:
                row.error.hide()

    def prefill(self, results: tuple[ItemResult, ...]) -> None:
        """Show the answers stored on the visit."""
        for result in results:
            row = self.rows.get(result.key)
            if row is not None:
                row.prefill(result)
