"""Checklist templates and the evaluation of one answer against a template item.

Rules:

- pass/fail items need an outcome (pass, fail or N/A) and take no reading;
- reading items need a number unless marked N/A; the reading is parsed from what the user typed
  (``Decimal``; "1,5" is read as 1.5 when there is no '.'; the item's unit may follow the number);
  a reading outside the item's band fails the item whatever outcome was chosen;
- text items need text and photo items at least one photo, unless marked N/A;
- a mandatory item must be answered (N/A counts as an answer) before a visit completes.

Templates are JSON files (one template each) read by :func:`load_templates`; each item may name
the ``severity_on_fail`` of the deficiency a failure opens (default ``deficient``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Self

from pydantic import ValidationError as PydanticValidationError
from pydantic import model_validator

from app.domain.entities import ChecklistItem, ChecklistTemplate
from app.domain.enums import DeficiencySeverity, DriveType, ItemKind, ItemOutcome
from app.domain.errors import NotFoundError, ValidationError
from app.domain.forms import user_error

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_MAX_READING_CHARS = 24


class TemplateItem(ChecklistItem):
    """A template item as shipped: a checklist item plus the severity a failure implies."""

    severity_on_fail: DeficiencySeverity = DeficiencySeverity.DEFICIENT


class TemplateDefinition(ChecklistTemplate):
    """A checklist template as read from its JSON file, checked for consistency."""

    items: tuple[TemplateItem, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        keys = [item.key for item in self.items]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"item keys appear more than once: {', '.join(duplicates)}")
        for item in self.items:
            banded = item.min_value is not None or item.max_value is not None
            if item.kind is ItemKind.READING and not item.unit:
                raise ValueError(f"reading item {item.key!r} needs a unit")
            if banded and item.kind is not ItemKind.READING:
                raise ValueError(f"item {item.key!r} has a band but is not a reading")
            lo, hi = item.min_value, item.max_value
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"item {item.key!r}: min_value {lo} is above max_value {hi}")
        return self


def severity_on_fail(item: ChecklistItem) -> DeficiencySeverity:
    """The severity of the deficiency opened when ``item`` fails."""
    if isinstance(item, TemplateItem):
        return item.severity_on_fail
    return DeficiencySeverity.DEFICIENT


def parse_reading(raw: str, item: ChecklistItem) -> Decimal:
    """Parse the reading a user typed for ``item``; raise a ValidationError naming both."""
    shown = raw.strip()
    text = shown.replace("\u2212", "-").replace(" ", "")
    if item.unit and text.lower().endswith(item.unit.replace(" ", "").lower()):
        text = text[: -len(item.unit.replace(" ", ""))]
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not shown:
        raise ValidationError(
            f"Enter a reading for '{item.label}'.",
            field="reading",
            hint=f"Type the measured value in {item.unit}, or mark the item N/A.",
        )
    if len(text) > _MAX_READING_CHARS or not _NUMBER.fullmatch(text):
        raise ValidationError(
            f"Reading '{shown}' for '{item.label}' is not a number.",
            field="reading",
            hint=f"Type digits only, e.g. 0.4 ({item.unit}); a comma works as decimal point.",
        )
    return Decimal(text)


def describe_band(item: ChecklistItem) -> str:
    """The item's tolerance band in words, e.g. ``0.2 to 0.6 mm``."""
    unit = f" {item.unit}" if item.unit else ""
    lo, hi = item.min_value, item.max_value
    if lo is not None and hi is not None:
        return f"{lo} to {hi}{unit}"
    if lo is not None:
        return f"at least {lo}{unit}"
    if hi is not None:
        return f"at most {hi}{unit}"
    return "no limits"


def in_band(item: ChecklistItem, value: Decimal) -> bool:
    """Whether ``value`` lies inside the item's tolerance band (limits included)."""
    lo, hi = item.min_value, item.max_value
    return (lo is None or value >= lo) and (hi is None or value <= hi)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """An answer judged against its template item: what the visit records."""

    item: ChecklistItem
    outcome: ItemOutcome
    value: Decimal | None
    text: str | None
    photos: tuple[str, ...]

    @property
    def failed(self) -> bool:
        return self.outcome is ItemOutcome.FAIL

    def problem(self) -> str:
        """What a deficiency opened for this failure says."""
        detail = ""
        if self.value is not None and not in_band(self.item, self.value):
            unit = f" {self.item.unit}" if self.item.unit else ""
            detail = f": reading {self.value}{unit} outside {describe_band(self.item)}"
        note = f" ({self.text})" if self.text else ""
        return f"{self.item.label} failed{detail}{note}"


def evaluate(
    item: ChecklistItem,
    *,
    outcome: ItemOutcome | None,
    reading: str | None = None,
    text: str | None = None,
    photos: tuple[str, ...] = (),
) -> Evaluation:
    """Judge one answer against its item (see the module rules)."""
    label = item.label
    na = outcome is ItemOutcome.NOT_APPLICABLE
    if item.kind is not ItemKind.READING and reading:
        raise ValidationError(
            f"'{label}' takes no reading.",
            field="reading",
            hint="Choose pass, fail or N/A instead.",
        )
    if item.kind is ItemKind.PASS_FAIL and outcome is None:
        raise ValidationError(f"Choose pass, fail or N/A for '{label}'.", field="outcome")
    value: Decimal | None = None
    if item.kind is ItemKind.READING:
        if na and reading:
            raise ValidationError(
                f"'{label}' is marked N/A but has a reading.",
                field="reading",
                hint="Clear the reading or choose pass/fail.",
            )
        if not na:
            value = parse_reading(reading or "", item)
            if not in_band(item, value):
                outcome = ItemOutcome.FAIL
    if item.kind is ItemKind.TEXT and not na and not text:
        raise ValidationError(
            f"Write the answer for '{label}'.", field="text", hint="Or mark the item N/A."
        )
    if item.kind is ItemKind.PHOTO and not na and not photos:
        raise ValidationError(
            f"'{label}' needs a photo.", field="photos", hint="Take a photo, or mark the item N/A."
        )
    return Evaluation(item, outcome or ItemOutcome.PASS, value, text, photos)


def missing_mandatory(template: ChecklistTemplate, answered: Iterable[str]) -> list[ChecklistItem]:
    """The mandatory items of ``template`` not among the ``answered`` keys, in template order."""
    done = set(answered)
    return [item for item in template.items if item.mandatory and item.key not in done]


def require_mandatory(template: ChecklistTemplate, answered: Iterable[str]) -> None:
    """Raise a ValidationError listing the mandatory items still unanswered."""
    missing = missing_mandatory(template, answered)
    if not missing:
        return
    names = ", ".join(f"'{item.label}'" for item in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    count = f"{len(missing)} mandatory checklist item" + ("s are" if len(missing) > 1 else " is")
    raise ValidationError(
        f"{count} not recorded yet: {names}{more}.",
        field="items",
        hint="Record them (N/A is an answer) before completing the visit.",
    )


def template_item(template: ChecklistTemplate, key: str) -> ChecklistItem:
    """The item ``key`` of ``template``; raise a ValidationError if it has none."""
    item = template.item(key)
    if item is None:
        raise ValidationError(
            f"Checklist '{template.name}' has no item '{key}'.",
            field="key",
            hint="Refresh the checklist and choose an item from it.",
        )
    return item


class TemplateCatalog:
    """The checklist templates known to this installation, by (id, version)."""

    def __init__(self, templates: Iterable[ChecklistTemplate]) -> None:
        self._by_key: dict[tuple[str, int], ChecklistTemplate] = {}
        for template in templates:
            key = (template.template_id, template.version)
            if key in self._by_key:
                raise ValidationError(
                    f"Checklist template '{key[0]}' version {key[1]} is defined twice.",
                    hint="Remove one of the two template files.",
                )
            self._by_key[key] = template

    def get(self, template_id: str, version: int | None = None) -> ChecklistTemplate:
        """The template ``template_id`` at ``version`` (the latest when None)."""
        if version is None:
            versions = [v for (tid, v) in self._by_key if tid == template_id]
            version = max(versions, default=0)
        found = self._by_key.get((template_id, version))
        if found is None:
            raise NotFoundError(
                f"Checklist template '{template_id}' version {version} is not installed.",
                hint="Update SiteSync, or choose another checklist.",
            )
        return found

    def title(self, template_id: str | None, version: int | None = None) -> str:
        """The template's name as people read it (its id and version if it is not installed)."""
        if not template_id:
            return ""
        found = self._by_key.get((template_id, version or 0)) if version else None
        if found is None and version is None:
            found = next((t for (tid, _v), t in self._by_key.items() if tid == template_id), None)
        if found is not None:
            return found.name
        return f"{template_id} v{version}" if version else template_id

    def all(self) -> list[ChecklistTemplate]:
        """Every template, sorted by id and version."""
        return [self._by_key[key] for key in sorted(self._by_key)]

    def for_drive_type(self, drive_type: DriveType) -> list[ChecklistTemplate]:
        """The latest version of each template that applies to ``drive_type``."""
        latest: dict[str, ChecklistTemplate] = {}
        for template in self.all():
            if drive_type in template.drive_types:
                latest[template.template_id] = template
        return list(latest.values())


def load_templates(directory: Path) -> list[ChecklistTemplate]:
    """Read every ``*.json`` template in ``directory``, sorted by file name."""
    templates: list[ChecklistTemplate] = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            templates.append(TemplateDefinition.model_validate(data))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError(
                f"Checklist template file {path.name} cannot be read: {exc}.",
                hint="Reinstall SiteSync or fix the file.",
            ) from exc
        except PydanticValidationError as exc:
            error = user_error(exc)
            raise ValidationError(
                f"Checklist template file {path.name} is invalid: {error.message}",
                field=error.field,
                hint="Reinstall SiteSync or fix the file.",
            ) from exc
    TemplateCatalog(templates)  # refuses duplicate (id, version) pairs
    return templates
