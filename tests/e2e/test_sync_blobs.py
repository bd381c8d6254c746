"""Photos travel through the blob queue: resumed uploads, verified downloads, never blocking."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from app.domain import payloads as p
from app.domain.enums import VisitType
from sync.client.api import BLOB_CHUNK, BlobPart
from sync.client.errors import TransientSyncError
from tests.e2e.conftest import Organization
from tests.e2e.support import Laptop, new_laptop, sync_all
from tests.postgres import ServerProcess

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def laptops(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> AsyncIterator[tuple[Laptop, Laptop]]:
    """Sam's and Tom's laptops, joined to the organization before anything is recorded."""
    sam = await new_laptop("sam", tmp_path, server.url, organization.id, "sam@example.com")
    tom = await new_laptop("tom", tmp_path, server.url, organization.id, "tom@example.com")
    try:
        yield sam, tom
    finally:
        await sam.close()
        await tom.close()


async def _photo_taken(laptop: Laptop, photo: bytes) -> str:
    """A visit on a new unit with ``photo`` attached, recorded offline; the photo's hash."""
    customer, site, unit, visit = uuid4(), uuid4(), uuid4(), uuid4()
    await laptop.record(customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
    await laptop.record(site, p.SiteCreated(customer_id=customer, name="North", address="1 St"))
    await laptop.record(unit, p.ElevatorRegistered(site_id=site, unit_number="L1"))
    await laptop.record(
        visit,
        p.VisitStarted(
            elevator_id=unit,
            site_id=site,
            type=VisitType.PREVENTIVE,
            technician_id=laptop.actor.user_id,
            arrived_at=datetime.now(UTC),
        ),
    )
    digest = await laptop.ws.blobs.put(photo)
    assert digest == hashlib.sha256(photo).hexdigest()
    await laptop.record(visit, p.VisitPhotoAttached(sha256=digest, caption="Machine room"))
    return digest


async def test_a_photo_upload_resumes_and_reaches_the_other_laptop(
    laptops: tuple[Laptop, Laptop],
) -> None:
    sam, tom = laptops
    photo = os.urandom(2 * BLOB_CHUNK + 1000)
    digest = await _photo_taken(sam, photo)
    # an earlier run was cut after the first chunk
    partial = await sam.api.put_blob_chunk(digest, photo[:BLOB_CHUNK], 0, len(photo))
    assert (partial.received, partial.complete) == (BLOB_CHUNK, False)

    first = await sam.sync()
    assert first.ok, first
    assert first.blobs_up == 1
    status = await sam.api.blob_status(digest)
    assert status.complete
    again = await sam.sync()
    assert again.blobs_up == 0  # moved once, not asked about again

    got = await tom.sync()
    assert got.ok, got
    assert got.blobs_down == 1
    assert await tom.ws.blobs.get(digest) == photo
    await sync_all([sam, tom])


async def test_a_photo_download_cut_off_resumes_where_it_stopped(
    laptops: tuple[Laptop, Laptop],
) -> None:
    sam, tom = laptops
    photo = os.urandom(2 * BLOB_CHUNK + 1000)
    digest = await _photo_taken(sam, photo)
    assert (await sam.sync()).ok
    fetch = tom.api.get_blob_part
    asked: list[int] = []

    async def cut_after_one_chunk(sha256: str, start: int, length: int) -> BlobPart:
        asked.append(start)
        if len(asked) == 2:
            raise TransientSyncError("The network went away.")
        return await fetch(sha256, start, length)

    tom.api.get_blob_part = cut_after_one_chunk  # type: ignore[method-assign]
    cut = await tom.sync()
    assert not cut.ok
    assert cut.pulled == 5  # the events are in; the photo waits
    assert await tom.ws.blobs.get(digest) is None
    assert await tom.ws.blobs.downloaded(digest) == BLOB_CHUNK

    resumed = await tom.sync()
    assert resumed.ok, resumed
    assert resumed.blobs_down == 1
    assert asked == [0, BLOB_CHUNK, BLOB_CHUNK, 2 * BLOB_CHUNK]
    assert await tom.ws.blobs.get(digest) == photo
    assert not tom.ws.blobs.partial_of(digest).exists()


async def test_a_damaged_part_of_a_download_is_dropped_and_fetched_again(
    laptops: tuple[Laptop, Laptop],
) -> None:
    sam, tom = laptops
    photo = os.urandom(BLOB_CHUNK + 1000)
    digest = await _photo_taken(sam, photo)
    assert (await sam.sync()).ok
    # an earlier run kept a first chunk that the disk has since damaged
    await tom.ws.blobs.receive(digest, 0, b"\0" * BLOB_CHUNK)

    damaged = await tom.sync()
    assert damaged.ok, damaged
    assert damaged.blobs_down == 0
    assert await tom.ws.blobs.get(digest) is None
    assert await tom.ws.blobs.downloaded(digest) == 0

    # a part longer than the blob (another file under its name) is dropped at once
    await tom.ws.blobs.receive(digest, 0, os.urandom(len(photo) + 10))
    again = await tom.sync()
    assert again.blobs_down == 1
    assert await tom.ws.blobs.get(digest) == photo
    assert not tom.ws.blobs.partial_of(digest).exists()
