"""Form input for commands: the command base class and the one pydantic-error converter.

Pydantic's own ``ValidationError`` must never reach a person. :class:`Command` converts it at
construction, and services convert any that escapes while deciding (see
``app.services.common.run``), both through :func:`user_error`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from pydantic import ValidationError as PydanticValidationError
from pydantic import ValidationInfo, field_validator
from pydantic_core import ErrorDetails

from app.audit.canonical import MAX_SAFE_INTEGER
from app.domain.errors import ValidationError
from app.domain.values import DomainModel

MAX_TEXT: Final = 10_000
"""Longest text any form field takes (notes, reasons, descriptions)."""
MAX_LINE: Final = 200
"""Longest name or other one-line field (customer, site, person, serial number)."""
MAX_UNIT_NUMBER: Final = 40
"""Longest unit number."""

_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters no text may hold (NUL, escape...); tab and line breaks are kept."""
_LINE_BREAK: Final = re.compile("[\t\n\r\x0b\x0c\x85\u2028\u2029]")


class FormError(ValidationError, ValueError):
    """A form check failed: our ValidationError, and a ValueError so pydantic validators report it.

    Raised inside a validator it is wrapped by pydantic and unwrapped by :func:`user_error`;
    raised by a service it reaches the caller as the ValidationError it is.
    """


_SUFFIXES = {
    "_kg": " (kg)",
    "_mps": " (m/s)",
    "_days": " (days)",
    "_years": " (years)",
    "_months": " (months)",
    "_minutes": " (minutes)",
    "_percent": " (%)",
}

_FRIENDLY = {
    "missing": "{label} is required.",
    "int_parsing": "{label} must be a whole number.",
    "int_from_float": "{label} must be a whole number.",
    "int_type": "{label} must be a whole number.",
    "decimal_parsing": "{label} must be a number.",
    "decimal_type": "{label} must be a number.",
    "date_parsing": "{label} must be a date (YYYY-MM-DD).",
    "date_from_datetime_parsing": "{label} must be a date (YYYY-MM-DD).",
    "date_type": "{label} must be a date (YYYY-MM-DD).",
    "datetime_parsing": "{label} must be a date and time.",
    "datetime_from_date_parsing": "{label} must be a date and time.",
    "datetime_type": "{label} must be a date and time.",
    "timezone_aware": "{label} must carry a time zone.",
    "uuid_parsing": "{label} does not refer to a valid record.",
    "uuid_type": "{label} does not refer to a valid record.",
    "enum": "{label} must be one of: {expected}.",
    "literal_error": "{label} must be one of: {expected}.",
    "greater_than": "{label} must be greater than {gt}.",
    "greater_than_equal": "{label} must be at least {ge}.",
    "less_than": "{label} must be less than {lt}.",
    "less_than_equal": "{label} must be at most {le}.",
    "string_too_long": "{label} is too long (at most {max_length} characters).",
    "string_type": "{label} must be text.",
    "bool_parsing": "{label} must be yes or no.",
    "bytes_type": "{label} must be a file's contents.",
    "extra_forbidden": "{label} is not a field of this form.",
}


def field_label(name: str) -> str:
    """A readable label for a field name: ``capacity_kg`` -> ``Capacity (kg)``."""
    suffix = ""
    for end, shown in _SUFFIXES.items():
        if name.endswith(end):
            name, suffix = name[: -len(end)], shown
            break
    if name.endswith("_id"):
        name = name[:-3]
    words = name.replace("_", " ").strip() or "This form"
    return words[0].upper() + words[1:] + suffix


def _describe(error: ErrorDetails) -> tuple[str, str | None, str | None]:
    """Message, field path and hint for one pydantic error."""
    loc = [str(part) for part in error["loc"]]
    field = ".".join(loc) or None
    names = [str(part) for part in error["loc"] if isinstance(part, str)]
    label = field_label(names[-1]) if names else "This form"
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, ValidationError):
        return cause.message, cause.field or field, cause.hint
    template = _FRIENDLY.get(error["type"])
    if template is not None:
        try:
            return template.format(label=label, **ctx), field, None
        except (KeyError, IndexError):
            pass
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"{label}: {message}", field, None


def user_error(exc: PydanticValidationError) -> ValidationError:
    """Turn pydantic's ValidationError into ours: the first problem, its field and a hint."""
    errors = exc.errors()
    if not errors:
        return ValidationError("The form is invalid.", hint="Check the values and try again.")
    message, field, hint = _describe(errors[0])
    if len(errors) > 1:
        message = f"{message} ({len(errors) - 1} more problem(s) in this form.)"
    return ValidationError(message, field=field, hint=hint or "Correct it and try again.")


def _canonical(value: Any, field: str) -> Any:
    """Strings in Unicode NFC, without control characters and capped; integers in range."""
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise FormError(
                f"{field_label(field)} contains a control character (such as a NUL byte), "
                "which no text may hold.",
                field=field,
                hint="Remove it (retype the text rather than pasting it).",
            )
        if len(value) > MAX_TEXT:
            raise FormError(
                f"{field_label(field)} is too long ({len(value):,} characters; at most "
                f"{MAX_TEXT:,} characters).",
                field=field,
                hint="Shorten it.",
            )
        return unicodedata.normalize("NFC", value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        raise FormError(
            f"{field_label(field)} is far too large.", field=field, hint="Check the number."
        )
    if isinstance(value, list | tuple):
        return type(value)(_canonical(item, field) for item in value)
    if isinstance(value, dict):
        return {key: _canonical(item, field) for key, item in value.items()}
    return value


class Command(DomainModel):
    """Base of commands: invalid input raises our ValidationError, never pydantic's.

    ``REQUIRED`` maps text fields that may not be blank to the message shown when they are; for
    edit commands the check applies only to the fields given. ``ONE_LINE`` maps names and other
    one-line fields to their longest length: they take no line breaks or tabs. Every text
    field refuses control characters (a NUL byte, an escape sequence) and more than
    ``MAX_TEXT`` characters.
    """

    REQUIRED: ClassVar[Mapping[str, str]] = {}
    ONE_LINE: ClassVar[Mapping[str, int]] = {}

    @field_validator("*", mode="before")
    @classmethod
    def _canonical_input(cls, value: Any, info: ValidationInfo) -> Any:
        # Events accept only NFC strings and JSON-safe integers: fix or refuse input here,
        # where the person who typed it can still correct it.
        return _canonical(value, str(info.field_name))

    @field_validator("*")
    @classmethod
    def _required_text(cls, value: Any, info: ValidationInfo) -> Any:
        message = cls.REQUIRED.get(str(info.field_name))
        if message is not None and (value is None or (isinstance(value, str) and not value)):
            raise FormError(message, field=info.field_name, hint="Fill it in and try again.")
        return value

    @field_validator("*")
    @classmethod
    def _one_line(cls, value: Any, info: ValidationInfo) -> Any:
        field = str(info.field_name)
        limit = cls.ONE_LINE.get(field)
        if limit is None or not isinstance(value, str):
            return value
        if _LINE_BREAK.search(value):
            raise FormError(
                f"{field_label(field)} must fit on one line (no line breaks or tabs).",
                field=field,
                hint="Type it on a single line.",
            )
        if len(value) > limit:
            raise FormError(
                f"{field_label(field)} is too long ({len(value):,} characters; at most "
                f"{limit} characters).",
                field=field,
                hint="Shorten it.",
            )
        return value

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except PydanticValidationError as exc:
            raise user_error(exc) from exc


def parse_command[C: Command](cls: type[C], data: Mapping[str, Any]) -> C:
    """Build a command from form values (a mapping of field names to what the user entered)."""
    return cls(**data)


def require_text(value: str | None, message: str, *, hint: str | None = None) -> str:
    """Return ``value`` unless it is missing or blank; raise a FormError otherwise."""
    if value is None or not value.strip():
        raise FormError(message, hint=hint)
    return value
