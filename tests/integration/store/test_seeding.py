"""The seeding helpers benchmarks build their stores with: realistic, verifiable, repeatable."""

from pathlib import Path

from app.audit.chain import StaticDeviceKeys, verify_events
from app.demo.seeding import change_status, seed_events
from app.domain.enums import ElevatorStatus
from app.store import open_store


async def hashes_of_a_seeded_store(path: Path) -> list[str]:
    store = await open_store(path, create=True)
    try:
        seeded = await seed_events(store, events=60, units=5, commit_every=7)
        assert seeded.events == await store.count_events() == 60
        more = await change_status(seeded.ctx, seeded.elevators[0], ElevatorStatus.DEGRADED, "x")
        assert more.events[0].device_seq == 61
        stored = [e async for e in store.iter_stored_events()]
        verify_events(stored, StaticDeviceKeys(await store.device_keys()))
        return [e.hash for e in stored]
    finally:
        await store.close()


async def test_the_same_seed_gives_the_same_signed_log(tmp_path: Path) -> None:
    first = await hashes_of_a_seeded_store(tmp_path / "a.sqlite")
    second = await hashes_of_a_seeded_store(tmp_path / "b.sqlite")
    assert first == second
    assert len(set(first)) == 61
