"""Canonical JSON bytes: RFC 8785 (JCS) over SiteSync's restricted profile.

The profile: JSON objects with string keys, arrays, strings, booleans, null and integers within
+-(2**53 - 1). No floats (decimals travel as strings, money as integer cents), every string and key
in Unicode NFC without lone surrogates, no duplicate keys, at most `MAX_DEPTH` nested containers.
Anything outside the profile is rejected with the rule it broke, never coerced.

`rfc8785.dumps` is the reference encoder. The fast path below uses the C JSON encoder with sorted
keys, which produces the same bytes on this profile except for key order when keys hold characters
at or above U+10000 (JCS orders keys by UTF-16 code units, Python by code points); such values go
through the reference encoder. `tests/unit/audit/test_canonical.py` proves the byte equality.
"""

import json
import re
import unicodedata
from typing import Any, Final, NoReturn

import rfc8785

from app.audit.errors import ProfileViolation, Rule

type JsonValue = bool | int | str | list[JsonValue] | dict[str, JsonValue] | None

MAX_SAFE_INTEGER: Final = 2**53 - 1
MAX_DEPTH: Final = 64

_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_NON_BMP: Final = re.compile("[\U00010000-\U0010ffff]")
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_ENCODER: Final = json.JSONEncoder(
    ensure_ascii=False,
    separators=(",", ":"),
    sort_keys=True,
    check_circular=False,  # the profile walk bounds depth, so cycles never reach the encoder
    allow_nan=False,
)


class _Bad(Exception):
    """Internal: a profile failure on its way up the walk, collecting the path it came from."""

    def __init__(self, rule: Rule, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail
        self.path: list[str] = []

    def violation(self) -> ProfileViolation:
        where = "$" + "".join(reversed(self.path))
        return ProfileViolation(self.rule, f"{self.detail} at {where}")


class _FloatSeen(Exception):
    """Internal: the decoder met a number with a fraction or exponent, or NaN/Infinity."""

    def __init__(self, literal: str) -> None:
        super().__init__(literal)
        self.literal = literal


def _reject_float(literal: str) -> NoReturn:
    raise _FloatSeen(literal)


def _key_step(key: str) -> str:
    return f".{key}" if _IDENTIFIER.fullmatch(key) else f"[{json.dumps(key)}]"


def _check_text(text: str, what: str) -> None:
    """Check a non-ASCII string or key: no lone surrogates, NFC."""
    if _SURROGATE.search(text):
        raise _Bad(Rule.UTF8, f"{what} contains a lone surrogate")
    if not unicodedata.is_normalized("NFC", text):
        raise _Bad(Rule.NFC, f"{what} is not in Unicode NFC")


def _walk(value: Any, depth: int) -> bool:
    """Check `value` against the profile; True when some key needs UTF-16 key ordering."""
    kind = type(value)
    if kind is str:
        if not value.isascii():
            _check_text(value, "string")
        return False
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return False
        raise _Bad(Rule.INTEGER_RANGE, f"integer {value} is outside +-(2**53-1)")
    if kind is dict or (kind is not list and isinstance(value, dict)):
        if depth >= MAX_DEPTH:
            raise _Bad(Rule.NESTING_DEPTH, f"more than {MAX_DEPTH} nested containers")
        utf16 = False
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Bad(Rule.JSON_TYPE, f"object key {key!r} is not a string")
            try:
                if not key.isascii():
                    _check_text(key, "key")
                    utf16 = utf16 or _NON_BMP.search(key) is not None
                if _walk(item, depth + 1):
                    utf16 = True
            except _Bad as bad:
                bad.path.append(_key_step(key))
                raise
        return utf16
    if kind is list or isinstance(value, list):
        if depth >= MAX_DEPTH:
            raise _Bad(Rule.NESTING_DEPTH, f"more than {MAX_DEPTH} nested containers")
        utf16 = False
        for index, item in enumerate(value):
            try:
                if _walk(item, depth + 1):
                    utf16 = True
            except _Bad as bad:
                bad.path.append(f"[{index}]")
                raise
        return utf16
    if value is None or kind is bool:
        return False
    if isinstance(value, float):
        raise _Bad(Rule.NO_FLOATS, f"float {value!r} is not allowed (use a string or integer)")
    # Subclasses (StrEnum, IntEnum) encode as their base value; check exactly that value.
    if isinstance(value, str):
        return _walk(str.__str__(value), depth)
    if isinstance(value, int):
        return _walk(int.__int__(value), depth)
    raise _Bad(Rule.JSON_TYPE, f"{kind.__name__} is not a JSON profile type")


def _encode(value: Any, utf16: bool) -> bytes:
    if utf16:
        return rfc8785.dumps(value)
    return _ENCODER.encode(value).encode()


def check_profile(value: JsonValue) -> None:
    """Raise ProfileViolation unless `value` lies inside the canonical profile."""
    try:
        _walk(value, 0)
    except _Bad as bad:
        raise bad.violation() from None


def canonicalize(value: JsonValue) -> bytes:
    """Return the RFC 8785 canonical bytes of a profile value; raise ProfileViolation otherwise."""
    try:
        utf16 = _walk(value, 0)
    except _Bad as bad:
        raise bad.violation() from None
    return _encode(value, utf16)


_DIGITS_AS_ZERO: Final = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_NUMBER: Final = b"0" * 16
"""A run of 16 digits once every digit reads ``0`` (a C scan, unlike a regex that tries
each position again)."""


def _needs_walk(data: bytes) -> bool:
    """False when the profile walk cannot fail on what ``data`` decodes to and its output
    would re-encode to ``data`` only if canonical.

    ASCII bytes decode to ASCII strings unless they hold escapes, and an escape of a character
    the encoder writes raw never re-encodes to itself (a lone surrogate fails to encode): so no
    NFC, surrogate or UTF-16 key order question is left. At most ``MAX_DEPTH`` brackets in all
    bound the nesting, and no run of 16 digits bounds every integer below 10**15. The decoder
    refuses floats itself. Any doubt (a long number or many brackets inside a string) walks.
    """
    return (
        not data.isascii()
        or data.count(b"{") + data.count(b"[") > MAX_DEPTH
        or _LONG_NUMBER in data.translate(_DIGITS_AS_ZERO)
    )


_FAST_DECODE: Final = json.JSONDecoder(
    parse_float=_reject_float, parse_constant=_reject_float
).decode


def parse_canonical(data: bytes) -> JsonValue:
    """Strictly parse canonical bytes; raise ProfileViolation naming the first rule broken."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileViolation(Rule.UTF8, f"invalid UTF-8 at byte {exc.start}") from None
    try:
        value = _FAST_DECODE(text)
        if _encode(value, _needs_walk(data) and _walk(value, 0)) == data:
            return value  # type: ignore[no-any-return]
    except (ValueError, RecursionError, _Bad, _FloatSeen):
        pass
    # Slow path, only for bad input: find the precise rule, in the documented order.
    value = _diagnose(text)
    canonical = canonicalize(value)
    offset = next(
        (i for i, (a, b) in enumerate(zip(data, canonical, strict=False)) if a != b),
        min(len(data), len(canonical)),
    )
    raise ProfileViolation(
        Rule.NON_CANONICAL_BYTES,
        f"bytes are not the RFC 8785 canonical form (first difference at byte {offset})",
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ProfileViolation(Rule.DUPLICATE_KEY, f"duplicate object key {key!r}")
            seen.add(key)
    return result


def _diagnose(text: str) -> JsonValue:
    """Raise the first rule `text` breaks (syntax, duplicates, floats, profile) or return it."""
    try:
        json.loads(text)
    except RecursionError:
        raise ProfileViolation(Rule.NESTING_DEPTH, "JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ProfileViolation(
            Rule.JSON_SYNTAX, f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:  # integer literal longer than Python's digit limit
        raise ProfileViolation(Rule.INTEGER_RANGE, str(exc)) from None
    json.loads(text, object_pairs_hook=_no_duplicates)
    try:
        value: JsonValue = json.loads(text, parse_float=_reject_float, parse_constant=_reject_float)
    except _FloatSeen as seen:
        raise ProfileViolation(
            Rule.NO_FLOATS, f"number {seen.literal} is not an integer (use a string or integer)"
        ) from None
    check_profile(value)
    return value
