"""Photos travel through the blob queue: resumed uploads, verified downloads, never blocking."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from app.domain import payloads as p
from app.domain.enums import VisitType
from sync.client.api import BLOB_CHUNK
from tests.e2e.conftest import Organization
from tests.e2e.support import new_laptop, sync_all
from tests.postgres import ServerProcess

pytestmark = pytest.mark.timeout(90)


async def test_a_photo_upload_resumes_and_reaches_the_other_laptop(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    sam = await new_laptop("sam", tmp_path, server.url, organization.id, "sam@example.com")
    tom = await new_laptop("tom", tmp_path, server.url, organization.id, "tom@example.com")
    try:
        customer, site, unit, visit = uuid4(), uuid4(), uuid4(), uuid4()
        await sam.record(customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
        await sam.record(site, p.SiteCreated(customer_id=customer, name="North", address="1 St"))
        await sam.record(unit, p.ElevatorRegistered(site_id=site, unit_number="L1"))
        await sam.record(
            visit,
            p.VisitStarted(
                elevator_id=unit,
                site_id=site,
                type=VisitType.PREVENTIVE,
                technician_id=sam.actor.user_id,
                arrived_at=datetime.now(UTC),
            ),
        )
        photo = os.urandom(2 * BLOB_CHUNK + 1000)
        digest = await sam.ws.blobs.put(photo)
        assert digest == hashlib.sha256(photo).hexdigest()
        await sam.record(visit, p.VisitPhotoAttached(sha256=digest, caption="Machine room"))
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
    finally:
        await sam.close()
        await tom.close()
