"""Key stores: the OS keyring (refusing insecure or lossy backends), the password-sealed file,
and the demo-only plain file."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from app.domain.errors import KeyStoreError
from app.keystore import (
    InsecureDemoKeyStore,
    KeyringKeyStore,
    PasswordFileKeyStore,
    SecureStorageUnavailable,
    new_sealed_key_store,
)

SEED = bytes(range(32))


class DictKeyring(KeyringBackend):
    """A keyring backend that keeps secrets (or, with ``lossy``, silently drops them)."""

    priority = 5

    def __init__(self, *, lossy: bool = False) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.lossy = lossy
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if not self.lossy:
            self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.data.pop((service, username), None)


class PlaintextKeyring(DictKeyring):
    """Named like keyrings.alt's plain-text backend, which must never be used."""


def test_keyring_round_trip_reads_back_every_write() -> None:
    store = KeyringKeyStore(backend=DictKeyring())
    store.set("device-key:1", SEED)
    assert store.get("device-key:1") == SEED
    store.delete("device-key:1")
    assert store.get("device-key:1") is None


def test_keyring_that_drops_writes_is_detected() -> None:
    store = KeyringKeyStore(backend=DictKeyring(lossy=True))
    with pytest.raises(KeyStoreError, match="did not keep the secret"):
        store.set("device-key:1", SEED)


@pytest.mark.parametrize("backend", [fail.Keyring(), PlaintextKeyring()])  # type: ignore[no-untyped-call]
def test_missing_or_plaintext_keyring_is_refused(backend: KeyringBackend) -> None:
    with pytest.raises(SecureStorageUnavailable, match="Secure storage unavailable"):
        KeyringKeyStore(backend=backend)


def test_password_file_seals_the_key(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite.device-key.sealed.json"
    PasswordFileKeyStore(path, "correct horse").set("device-key:1", SEED)
    assert SEED.hex() not in path.read_text("utf-8")
    assert SEED not in path.read_bytes()
    assert PasswordFileKeyStore(path, "correct horse").get("device-key:1") == SEED
    with pytest.raises(KeyStoreError, match="password is wrong"):
        PasswordFileKeyStore(path, "wrong").get("device-key:1")
    assert path.stat().st_mode & 0o077 == 0


def test_password_is_required(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="password is required"):
        PasswordFileKeyStore(tmp_path / "k.json", "")


def test_a_new_password_needs_ten_characters(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="at least 10 characters") as caught:
        new_sealed_key_store(tmp_path / "s.sqlite", lambda: "123456789")
    assert caught.value.hint is not None
    assert not list(tmp_path.iterdir())
    store = new_sealed_key_store(tmp_path / "s.sqlite", lambda: "1234567890")
    store.set("device-key:1", SEED)
    assert store.get("device-key:1") == SEED


def test_demo_key_store_says_it_is_insecure(tmp_path: Path) -> None:
    store = InsecureDemoKeyStore(tmp_path / "demo.INSECURE-demo-device-key.json")
    assert store.secure is False
    store.set("device-key:1", SEED)
    assert store.get("device-key:1") == SEED


def test_no_dbus_means_no_secure_storage() -> None:
    """Without a session bus the Secret Service backend is unusable: refused, never used."""
    script = textwrap.dedent("""
        from app.keystore import KeyringKeyStore, SecureStorageUnavailable
        try:
            KeyringKeyStore()
        except SecureStorageUnavailable as exc:
            print("refused:", exc)
        else:
            print("accepted")
    """)
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "DBUS_SESSION_BUS_ADDRESS": "disabled:"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert done.stdout.startswith("refused: Secure storage unavailable"), done.stdout + done.stderr


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (Debian: dbus, gnome-keyring); "
    ".ci/run installs them",
)
def test_secret_service_keyring_round_trip(tmp_path: Path) -> None:
    """The real OS keyring path: gnome-keyring's Secret Service on a private session bus."""
    script = textwrap.dedent("""
        from app.keystore import KeyringKeyStore
        store = KeyringKeyStore()
        store.set("device-key:test", bytes(range(32)))
        assert store.get("device-key:test") == bytes(range(32))
        store.delete("device-key:test")
        print("ok", type(store._backend).__module__)
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
    assert done.stdout.startswith("ok keyring.backends.SecretService"), done.stdout
