"""A profile's PIN lives in the signed log: removing it by hand does not pass unnoticed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from app.audit.errors import AuditError
from app.audit_trail import verify_store
from app.bootstrap import StoreFiles
from app.services.context import Actor
from app.services.profiles import has_pin, pin_matches, set_profile_pin

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def no_keyring() -> object:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(before)


async def test_a_pin_is_checked_and_deleting_it_by_hand_breaks_verification(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.sqlite"
    ws = await StoreFiles().create(path, "Acme Lifts", PASSWORD)
    try:
        admin = await ws.actor()
        assert not await has_pin(ws.unit_of_work, admin.user_id)
        await set_profile_pin(admin.user_id, "2468", ctx=ws.context(admin))
        assert await has_pin(ws.unit_of_work, admin.user_id)
        assert await pin_matches(ws.unit_of_work, admin.user_id, "2468")
        assert not await pin_matches(ws.unit_of_work, admin.user_id, "2469")
        assert isinstance(admin, Actor)
    finally:
        await ws.close()
    await verify_store(path)  # intact
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM events WHERE type = 'user.pin_set'")
    with pytest.raises(AuditError):
        await verify_store(path)
