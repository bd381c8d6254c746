"""Self-check steps about the machine: library versions and the keyring SiteSync would use."""

from __future__ import annotations

import importlib
import platform
import sqlite3
import sys
from importlib import metadata
from typing import Final

from app.domain.errors import KeyStoreError
from app.keystore import KeyringKeyStore
from app.selfcheck.checks import Check, CheckFailed, attempt

PLATFORM_BACKENDS: Final = {
    "linux": ("keyring.backends.SecretService", "secretstorage"),
    "win32": ("keyring.backends.Windows", "win32ctypes.pywin32.win32cred"),
    "darwin": ("keyring.backends.macOS",),
}
"""The keyring backend a platform's secure storage needs, and the modules it cannot work without."""


def versions() -> str:
    """Python, SQLite, Qt and PySide6 versions, in one line."""
    import PySide6
    from PySide6.QtCore import qVersion

    return (
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"Qt {qVersion()} (PySide6 {PySide6.__version__}), {platform.system()} "
        f"{platform.machine()}"
    )


def keyring_report() -> str:
    """Which keyring backend is in use and whether SiteSync accepts it as secure storage.

    Fails only when this installation lacks the backends (their entry points, or the modules
    the platform's backend needs); a machine with no keyring service is a supported setup.
    """
    import keyring

    found = sorted(ep.name for ep in metadata.entry_points(group="keyring.backends"))
    if not found:
        raise CheckFailed("no keyring backends are registered in this installation")
    for module in PLATFORM_BACKENDS.get(sys.platform, ()):
        importlib.import_module(module)
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    try:
        KeyringKeyStore(backend=backend)
    except KeyStoreError as refused:
        return (
            f"{name} in use, not secure storage ({refused.message.rstrip('.')}); new stores "
            "protect their device key with an offline-unlock password instead. "
            f"Backends in this installation: {', '.join(found)}"
        )
    return f"{name} in use, accepted as secure storage for device keys"


def environment_checks() -> list[Check]:
    """The versions and keyring checks."""
    return [attempt("versions", versions), attempt("keyring", keyring_report)]
