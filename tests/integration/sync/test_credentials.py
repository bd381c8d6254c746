"""Where a signed-in store keeps its refresh token: the OS keyring (read back after every
write), memory only without a secure keyring, never for a demo store."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from uuid import UUID

import pytest
from keyring.backends import fail

from app.domain.errors import KeyStoreError
from app.keystore import (
    KEY_STORAGE_DEMO,
    KEY_STORAGE_KEYRING,
    KEY_STORAGE_PASSWORD,
    InsecureDemoKeyStore,
    KeyringKeyStore,
    SecureStorageUnavailable,
)
from sync.client.credentials import (
    DemoStoreError,
    KeyringTokenVault,
    MemoryTokenVault,
    refresh_token_name,
    token_vault_for,
)
from tests.integration.keys.test_keystores import DictKeyring, PlaintextKeyring

DEVICE = UUID("01234567-89ab-7def-8123-456789abcdef")


def test_the_refresh_token_lives_in_the_keyring() -> None:
    backend = DictKeyring()
    vault = token_vault_for(KEY_STORAGE_KEYRING, DEVICE, keyring=KeyringKeyStore(backend=backend))
    assert isinstance(vault, KeyringTokenVault)
    assert vault.persistent
    vault.save("refresh-abc")
    assert vault.load() == "refresh-abc"
    assert ("SiteSync", refresh_token_name(DEVICE)) in backend.data
    vault.clear()
    assert vault.load() is None
    vault.clear()  # nothing to clear is fine


def test_a_keyring_that_drops_writes_is_caught_on_save() -> None:
    keys = KeyringKeyStore(backend=DictKeyring(lossy=True))
    vault = token_vault_for(KEY_STORAGE_KEYRING, DEVICE, keyring=keys)
    with pytest.raises(KeyStoreError, match="did not keep the secret"):
        vault.save("refresh-abc")


@pytest.mark.parametrize("backend", [fail.Keyring(), PlaintextKeyring()])  # type: ignore[no-untyped-call]
def test_a_missing_or_plaintext_keyring_is_never_used(backend: object) -> None:
    with pytest.raises(SecureStorageUnavailable):
        token_vault_for(KEY_STORAGE_KEYRING, DEVICE, keyring=KeyringKeyStore(backend=backend))


def test_without_a_keyring_tokens_are_never_written(tmp_path: Path) -> None:
    vault = token_vault_for(KEY_STORAGE_PASSWORD, DEVICE)
    assert isinstance(vault, MemoryTokenVault)
    assert not vault.persistent
    vault.save("refresh-abc")
    assert vault.load() == "refresh-abc"
    assert not list(tmp_path.iterdir())


def test_a_demo_store_is_never_signed_in(tmp_path: Path) -> None:
    with pytest.raises(DemoStoreError, match="demo store cannot be signed in") as caught:
        token_vault_for(KEY_STORAGE_DEMO, DEVICE)
    assert caught.value.hint is not None
    assert "new store" in caught.value.hint
    with pytest.raises(DemoStoreError):
        KeyringTokenVault(InsecureDemoKeyStore(tmp_path / "k.json"), DEVICE)


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (Debian: dbus, gnome-keyring); "
    ".ci/run installs them",
)
def test_secret_service_keeps_the_refresh_token(tmp_path: Path) -> None:
    """The real OS keyring: gnome-keyring's Secret Service on a private session bus."""
    script = textwrap.dedent(f"""
        from uuid import UUID
        from app.keystore import KEY_STORAGE_KEYRING
        from sync.client.credentials import token_vault_for
        vault = token_vault_for(KEY_STORAGE_KEYRING, UUID("{DEVICE}"))
        vault.save("refresh-secret-service-xyz")
        again = token_vault_for(KEY_STORAGE_KEYRING, UUID("{DEVICE}"))
        assert again.load() == "refresh-secret-service-xyz"
        again.clear()
        assert vault.load() is None
        print("ok")
    """)
    shell = (
        "echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null; "
        f"exec {sys.executable} -c '{script}'"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", shell],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok", done.stdout
