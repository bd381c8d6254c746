"""The UUIDv7 generator: version and variant bits, time in the top bits, strictly increasing."""

from __future__ import annotations

import time
from itertools import pairwise
from uuid import RFC_4122, UUID

from app.ids import Uuid7Generator, uuid7_from


def _unix_ms(value: UUID) -> int:
    return value.int >> 80


def test_every_id_is_a_version_7_rfc_9562_uuid() -> None:
    ids = Uuid7Generator()
    for _ in range(1_000):
        made = ids.new_id()
        assert made.version == 7
        assert made.variant == RFC_4122  # the variant bits are 10


def test_ids_carry_the_time_they_were_made() -> None:
    before = time.time_ns() // 1_000_000
    made = Uuid7Generator().new_id()
    after = time.time_ns() // 1_000_000
    assert before <= _unix_ms(made) <= after


def test_ids_strictly_increase_as_numbers_and_as_text() -> None:
    ids = Uuid7Generator()
    made = [ids.new_id() for _ in range(20_000)]
    assert all(a.int < b.int for a, b in pairwise(made))
    assert made == sorted(made, key=str)
    assert len(set(made)) == len(made)


def test_many_ids_in_one_millisecond_or_a_clock_stepping_back_stay_in_order() -> None:
    now = [1_750_000_000_000]
    ids = Uuid7Generator(lambda: now[0])
    made = [ids.new_id() for _ in range(5_000)]  # more than the 12-bit counter holds
    assert _unix_ms(made[-1]) == now[0] + 1  # the counter ran out: the next millisecond is used
    now[0] -= 60_000  # the clock is set back a minute
    made += [ids.new_id() for _ in range(10)]
    assert all(a.int < b.int for a, b in pairwise(made))
    assert {m.version for m in made} == {7}


def test_the_fields_sit_where_rfc_9562_puts_them() -> None:
    made = uuid7_from(0x0123_4567_89AB, 0xCDE, 0x3FFF_FFFF_FFFF_FFFF)
    assert str(made) == "01234567-89ab-7cde-bfff-ffffffffffff"
    overflowing = uuid7_from(2**48 + 5, 0x1FFF, 2**64 - 1)
    assert overflowing.version == 7
    assert overflowing.variant == RFC_4122
    assert _unix_ms(overflowing) == 5
