"""Canonical bytes: byte equality with the rfc8785 reference, and every profile rule enforced."""

import json
import unicodedata
from enum import StrEnum
from typing import Any, Final

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.audit import ProfileViolation, Rule, canonicalize, check_profile, parse_canonical
from app.audit.canonical import (
    _FAST_DECODE,
    MAX_DEPTH,
    MAX_SAFE_INTEGER,
    JsonValue,
    _Bad,
    _encode,
    _FloatSeen,
    _walk,
)

# Characters where encoders disagree if they are going to: controls, escapes, DEL, separators,
# the edges of the BMP, private use just below the surrogates' sort position, and non-BMP.
TRICKY = [
    "\x00",
    "\x08",
    "\t",
    "\n",
    "\x0c",
    "\r",
    "\x1f",
    '"',
    "\\",
    "/",
    "\x7f",
    "\x80",
    "é",
    "\u2028",
    "\u2029",
    "\ud7ff",
    "\ue000",
    "\uf8ff",
    "\ufeff",
    "\uffff",
    "\U00010000",
    "\U0001f600",
    "\U0010ffff",
    "a",
    "Z",
    "0",
    " ",
]

nfc_text = st.text(
    alphabet=st.one_of(st.sampled_from(TRICKY), st.characters(exclude_categories=["Cs"])),
    max_size=12,
).map(lambda s: unicodedata.normalize("NFC", s))

profile_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER),
    st.sampled_from([0, -1, 1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]),
    nfc_text,
)

profile_values: st.SearchStrategy[Any] = st.recursive(
    profile_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.dictionaries(nfc_text, children, max_size=6),
    ),
    max_leaves=40,
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile_values)
def test_canonicalize_equals_rfc8785_reference(value: JsonValue) -> None:
    assert canonicalize(value) == rfc8785.dumps(value)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(nfc_text, profile_scalars, min_size=1, max_size=10))
def test_parse_canonical_round_trips(value: dict[str, JsonValue]) -> None:
    data = canonicalize(value)
    assert parse_canonical(data) == value


def test_non_bmp_keys_sort_by_utf16_code_units() -> None:
    # U+10000 is D800 DC00 in UTF-16, so it sorts before U+E000; by code point it would not.
    value: JsonValue = {"\ue000": 1, "\U00010000": 2, "a": 3}
    expected = '{"a":3,"\U00010000":2,"\ue000":1}'.encode()
    assert canonicalize(value) == expected == rfc8785.dumps(value)
    assert parse_canonical(expected) == value


def test_rfc8785_escapes_and_integers() -> None:
    value: JsonValue = {"s": '\x00\x1f"\\/\u2028\x7f', "n": [-MAX_SAFE_INTEGER, 0, True, None]}
    assert (
        canonicalize(value)
        == b'{"n":[-9007199254740991,0,true,null],"s":"\\u0000\\u001f\\"\\\\/\xe2\x80\xa8\x7f"}'
    )


def _untyped(value: Any) -> Any:
    """Let the type checker through so the runtime check can be tested."""
    return value


class Colour(StrEnum):
    RED = "red"


def test_str_subclasses_encode_as_their_text() -> None:
    assert canonicalize({"c": Colour.RED}) == b'{"c":"red"}'


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ({"a": 1.5}, Rule.NO_FLOATS),
        ({"a": 1.0}, Rule.NO_FLOATS),
        ([float("nan")], Rule.NO_FLOATS),
        ({"a": 2**53}, Rule.INTEGER_RANGE),
        ({"a": -(2**53)}, Rule.INTEGER_RANGE),
        ({"a": "e\u0301"}, Rule.NFC),
        ({"e\u0301": 1}, Rule.NFC),
        ({"a": "\ud800"}, Rule.UTF8),
        ({"\udfff": 1}, Rule.UTF8),
        ({1: "x"}, Rule.JSON_TYPE),
        ({"a": (1, 2)}, Rule.JSON_TYPE),
        ({"a": b"bytes"}, Rule.JSON_TYPE),
    ],
)
def test_canonicalize_rejects_values_outside_the_profile(value: Any, rule: Rule) -> None:
    with pytest.raises(ProfileViolation) as caught:
        canonicalize(value)
    assert caught.value.rule == rule


def test_violation_names_where_it_happened() -> None:
    with pytest.raises(ProfileViolation, match=r"at \$\.payload\.items\[2\]") as caught:
        check_profile(_untyped({"payload": {"items": [1, 2, 0.5]}}))
    assert caught.value.rule == Rule.NO_FLOATS


def test_nesting_beyond_max_depth_is_refused() -> None:
    deep: JsonValue = []
    for _ in range(MAX_DEPTH):
        deep = [deep]
    with pytest.raises(ProfileViolation) as caught:
        canonicalize(deep)
    assert caught.value.rule == Rule.NESTING_DEPTH
    with pytest.raises(ProfileViolation) as caught:
        parse_canonical(b"[" * 100_000 + b"]" * 100_000)
    assert caught.value.rule == Rule.NESTING_DEPTH


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b'{"a":"\xff"}', Rule.UTF8),
        (b'{"a":"\xed\xa0\x80"}', Rule.UTF8),  # a surrogate encoded as UTF-8 (CESU)
        (b'{"a":"\\ud800"}', Rule.UTF8),  # a lone surrogate through an escape
        (b'{"a":1', Rule.JSON_SYNTAX),
        (b"", Rule.JSON_SYNTAX),
        (b"\xef\xbb\xbf{}", Rule.JSON_SYNTAX),  # BOM
        (b'{"a":1,"a":1}', Rule.DUPLICATE_KEY),
        (b'{"a":{"b":1,"b":2}}', Rule.DUPLICATE_KEY),
        (b'{"a":1.5}', Rule.NO_FLOATS),
        (b'{"a":1e3}', Rule.NO_FLOATS),
        (b'{"a":NaN}', Rule.NO_FLOATS),
        (b'{"a":-Infinity}', Rule.NO_FLOATS),
        (b'{"a":9007199254740992}', Rule.INTEGER_RANGE),
        (b'{"a":' + b"9" * 5000 + b"}", Rule.INTEGER_RANGE),
        ('{"a":"e\u0301"}'.encode(), Rule.NFC),
        ('{"e\u0301":1}'.encode(), Rule.NFC),
        (b'{"b":1,"a":2}', Rule.NON_CANONICAL_BYTES),
        (b'{"a": 1}', Rule.NON_CANONICAL_BYTES),
        (b'{"a":1}\n', Rule.NON_CANONICAL_BYTES),
        (b' {"a":1}', Rule.NON_CANONICAL_BYTES),
        (b'{"a":"\\u00e9"}', Rule.NON_CANONICAL_BYTES),
        (b'{"a":"\\/"}', Rule.NON_CANONICAL_BYTES),
        (b'{"a":-0}', Rule.NON_CANONICAL_BYTES),
        ('{"\ue000":1,"\U00010000":2}'.encode(), Rule.NON_CANONICAL_BYTES),
    ],
)
def test_parse_canonical_names_the_rule(data: bytes, rule: Rule) -> None:
    with pytest.raises(ProfileViolation) as caught:
        parse_canonical(data)
    assert caught.value.rule == rule


def test_rule_order_syntax_before_duplicates_before_floats() -> None:
    with pytest.raises(ProfileViolation) as caught:
        parse_canonical(b'{"a":1.5,"a":1,')
    assert caught.value.rule == Rule.JSON_SYNTAX
    with pytest.raises(ProfileViolation) as caught:
        parse_canonical(b'{"a":1.5,"a":1}')
    assert caught.value.rule == Rule.DUPLICATE_KEY


def test_pretty_json_of_the_same_value_is_not_canonical() -> None:
    value: JsonValue = {"b": [1, "x"], "a": {"z": None, "y": True}}
    pretty = json.dumps(value, indent=2).encode()
    with pytest.raises(ProfileViolation) as caught:
        parse_canonical(pretty)
    assert caught.value.rule == Rule.NON_CANONICAL_BYTES
    assert parse_canonical(canonicalize(value)) == value


# Values near and past the profile's edges, for the fast check of ASCII bytes: any text (NFC or
# not, lone surrogates included), integers either side of 2**53, nesting either side of the
# depth limit.
edge_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.sampled_from([10**15 - 1, 10**15, MAX_SAFE_INTEGER, MAX_SAFE_INTEGER + 1]),
    st.lists(st.sampled_from([*TRICKY, "e\u0301", "\ud800", "\udc00"]), max_size=4).map("".join),
    st.text(max_size=8),
)
edge_values: st.SearchStrategy[Any] = st.recursive(
    edge_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=30,
)


def _verdict(data: bytes) -> JsonValue | Rule:
    try:
        return parse_canonical(data)
    except ProfileViolation as violation:
        return violation.rule


_REJECTED: Final = object()


def _reference_fast_path(data: bytes) -> object:
    """What the strict parser accepted before its shortcut for ASCII bytes: the profile walk on
    every input, then the re-encoded bytes compared. Rejected bytes take the same diagnosis."""
    try:
        value = _FAST_DECODE(data.decode("utf-8"))
        if _encode(value, _walk(value, 0)) == data:
            return value
    except (ValueError, RecursionError, _Bad, _FloatSeen):
        pass
    return _REJECTED


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edge_values, st.booleans(), st.booleans(), st.integers(min_value=0, max_value=70))
def test_parse_canonical_accepts_exactly_what_the_full_walk_accepts(
    value: Any, ascii_only: bool, sort_keys: bool, depth: int
) -> None:
    for _ in range(depth):
        value = [value]
    try:
        data = json.dumps(
            value, ensure_ascii=ascii_only, separators=(",", ":"), sort_keys=sort_keys
        ).encode("utf-8", "surrogatepass")
    except ValueError:
        return
    reference = _reference_fast_path(data)
    verdict = _verdict(data)
    if reference is _REJECTED:
        assert isinstance(verdict, Rule)
    else:
        assert verdict == reference
        assert canonicalize(verdict) == data  # accepted bytes are exactly the canonical bytes


def test_ascii_bytes_at_the_edges_of_the_profile() -> None:
    deepest: JsonValue = 1
    for _ in range(MAX_DEPTH):
        deepest = [deepest]
    assert parse_canonical(canonicalize(deepest)) == deepest
    assert _verdict(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)) == Rule.NESTING_DEPTH
    assert parse_canonical(b'{"a":999999999999999,"b":-999999999999999}') is not None
    assert parse_canonical(b'{"a":9007199254740991,"b":"12345678901234567"}') is not None
    assert _verdict(b'{"a":-9007199254740992}') == Rule.INTEGER_RANGE
    assert _verdict(b'{"a":"e\\u0301"}') == Rule.NFC
    assert _verdict(b'{"e\\u0301":1}') == Rule.NFC
    assert _verdict(b'{"a":"\\udc00"}') == Rule.UTF8
