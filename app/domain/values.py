"""Value types shared by entities and event payloads.

Everything that goes into a signed event must fit the canonical JSON profile: no floats
(decimals travel as strings), UTC timestamps as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    WithJsonSchema,
)

from app.audit.envelope import format_timestamp


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a time zone is required (use UTC)")
    return value.astimezone(UTC)


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("decimal values must be given as strings or integers, not floats")
    return value


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


UtcDatetime = Annotated[
    datetime,
    AfterValidator(_require_aware),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]
"""An aware datetime, normalised to UTC, serialised in the canonical timestamp form."""

_DECIMAL_TEXT: Final = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "examples": ["1.6"]}

DecimalStr = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"anyOf": [_DECIMAL_TEXT, {"type": "integer"}]}, mode="validation"),
    WithJsonSchema(_DECIMAL_TEXT, mode="serialization"),
]
"""A decimal carried as a plain string (never a float) in JSON; given as a string or an
integer (a JSON number with a fraction would already have been rounded to binary)."""

Text = Annotated[str, BeforeValidator(_strip)]
"""Free text with surrounding white space removed."""


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
"""Optional free text: surrounding white space removed, an empty answer becomes None."""


def text_key(text: str) -> str:
    """How names and unit numbers compare: trimmed and case-folded (' L1' and 'l1' are one)."""
    return text.strip().casefold()


class DomainModel(BaseModel):
    """Base of every domain value: immutable, strict about unknown fields.

    Validators are built on a model's first use rather than at import (``defer_build``): the
    app starts without building those of the many commands and payloads it may not use.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
