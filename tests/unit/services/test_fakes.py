"""The fakes keep the promises of the Protocols they stand in for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from app.demo import generate_demo
from app.domain.entities import Customer
from app.services.ports import LogMark
from tests.fakes import (
    FixedClock,
    InMemoryStore,
    InMemoryUnitOfWork,
    MemoryBlobStore,
    MemoryKeyStore,
    SequentialIds,
)

AT = datetime(2025, 1, 1, tzinfo=UTC)
AS_OF = date(2026, 11, 26)


def customer(name: str) -> Customer:
    return Customer(
        id=SequentialIds().new_id(),
        organization_id=SequentialIds(5).new_id(),
        name=name,
        created_at=AT,
        updated_at=AT,
    )


async def test_staged_changes_are_visible_only_after_commit() -> None:
    store = InMemoryStore()
    acme = customer("Acme")
    async with store.unit_of_work() as writer:
        await writer.customers.put(acme)
        assert await writer.customers.get(acme.id) == acme
        async with store.unit_of_work() as reader:
            assert await reader.customers.get(acme.id) is None
        await writer.commit()
    async with store.unit_of_work() as reader:
        assert await reader.customers.find_by_name(" ACME ") == acme


async def test_leaving_without_commit_or_failing_discards_everything() -> None:
    store = InMemoryStore()
    async with store.unit_of_work() as uow:
        await uow.customers.put(customer("Acme"))
    uow = store.unit_of_work()
    with pytest.raises(RuntimeError, match="boom"):
        await _fail_inside(uow)
    assert store.state.customers == {}
    assert store.version == 0


async def _fail_inside(uow: InMemoryUnitOfWork) -> None:
    async with uow:
        await uow.customers.put(customer("Acme"))
        raise RuntimeError("boom")


def test_sequential_ids_are_version_7_and_increasing() -> None:
    ids = SequentialIds()
    first, second = ids.new_id(), ids.new_id()
    assert (first.version, first.variant) == (7, "specified in RFC 4122")
    assert first < second
    assert SequentialIds().new_id() == first


def test_clock_and_stores() -> None:
    clock = FixedClock(AT)
    assert clock.advance(minutes=5) == AT + timedelta(minutes=5)
    assert clock.advance(timedelta(hours=1)) == clock.now()
    keys = MemoryKeyStore()
    keys.set("device", b"seed")
    assert keys.secure
    assert keys.get("device") == b"seed"
    keys.delete("device")
    assert keys.get("device") is None


async def test_blob_store_is_content_addressed() -> None:
    blobs = MemoryBlobStore()
    digest = await blobs.put(b"abc")
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert await blobs.get(digest) == b"abc"


async def test_whole_table_reads_give_each_unit_its_own_reads_and_the_mark_moves() -> None:
    store = InMemoryStore()
    await generate_demo(
        uow=store.unit_of_work, blobs=MemoryBlobStore(), seed=3, units=6, as_of=AS_OF, months=2
    )
    async with store.unit_of_work() as uow:
        units = [u.id for u in await uow.elevators.list_all()]
        for kind in ("status_history", "visits", "incidents", "inspections", "deficiencies"):
            repository = getattr(uow, kind)
            grouped: dict[UUID, list[object]] = {}
            for item in await repository.list_all():
                grouped.setdefault(item.elevator_id, []).append(item)
            own = {unit: await repository.for_elevator(unit) for unit in units}
            assert grouped == {unit: found for unit, found in own.items() if found}, kind
        assert await uow.visits.summaries() == [v.summary() for v in await uow.visits.list_all()]
        assert await uow.events.mark() == LogMark(len(store.events), store.sealed[-1].hash)
    assert await InMemoryStore().unit_of_work().events.mark() == LogMark()
