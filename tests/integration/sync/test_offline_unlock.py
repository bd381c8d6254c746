"""Offline unlock: an argon2id verifier kept in the store after an online sign-in."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import nacl.pwhash
import pytest

from app.store import Store, open_store
from sync.client.offline_unlock import Hardness, KnownUser, OfflineUnlock, UnlockError

FAST = Hardness(nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN)
ANN = KnownUser(UUID("01234567-89ab-7def-8123-456789abcdef"), "Ann@Example.com", "Ann Field")
PASSWORD = "correct horse battery"


async def test_the_store_unlocks_offline_after_an_online_sign_in(
    store: Store, store_path: Path
) -> None:
    await OfflineUnlock(store, hardness=FAST).remember(ANN, PASSWORD)
    await store.close()
    reopened = await open_store(store_path)  # a new session, no network involved
    try:
        unlock = OfflineUnlock(reopened, hardness=FAST)
        assert await unlock.unlock("ann@example.com", PASSWORD) == ANN
        assert await unlock.known_users() == [ANN]
        stored = "".join((await reopened.meta()).values())
        assert PASSWORD not in stored
        assert "$argon2id$" in stored
    finally:
        await reopened.close()


async def test_a_wrong_password_can_be_tried_again(store: Store) -> None:
    unlock = OfflineUnlock(store, hardness=FAST)
    await unlock.remember(ANN, PASSWORD)
    for _ in range(3):
        with pytest.raises(UnlockError, match="password is wrong") as caught:
            await unlock.unlock(ANN.email, "not it")
        assert caught.value.hint is not None
    assert await unlock.unlock(ANN.email, PASSWORD) == ANN


async def test_a_user_who_never_signed_in_online_is_told_to(store: Store) -> None:
    unlock = OfflineUnlock(store, hardness=FAST)
    with pytest.raises(UnlockError, match="has not signed in on this store while online"):
        await unlock.unlock("bob@example.com", PASSWORD)
    await unlock.remember(ANN, PASSWORD)
    await unlock.forget(ANN.email)
    assert await unlock.known_users() == []
    with pytest.raises(UnlockError, match="has not signed in"):
        await unlock.unlock(ANN.email, PASSWORD)


async def test_the_default_cost_is_libsodium_moderate(store: Store) -> None:
    unlock = OfflineUnlock(store)
    await unlock.remember(ANN, PASSWORD)
    stored = "".join((await store.meta()).values())
    assert f"m={nacl.pwhash.argon2id.MEMLIMIT_MODERATE // 1024}" in stored
    assert await unlock.unlock(ANN.email, PASSWORD) == ANN
