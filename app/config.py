"""Settings, read from the environment (``SITESYNC_*``) with per-OS defaults."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """The per-user data folder (e.g. ~/.local/share/SiteSync on Linux)."""
    return Path(platformdirs.user_data_dir("SiteSync", appauthor=False))


class Settings(BaseSettings):
    """Desktop application settings."""

    model_config = SettingsConfigDict(env_prefix="SITESYNC_", frozen=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    demo_seed: int = 7
    demo_units: int = 58

    @property
    def user_db(self) -> Path:
        """The user's own store: where commands work when no --db is given."""
        return self.data_dir / "sitesync.sqlite"

    @property
    def demo_db(self) -> Path:
        """The demo store, created on first use."""
        return self.data_dir / "demo" / "sitesync-demo.sqlite"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "logs" / "sitesync.log"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"
