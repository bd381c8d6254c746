"""Server settings, read from the environment (``SITESYNC_*``; ``DATABASE_URL`` also works).

Outside development a weak secret is refused at start: the JWT secret must be set, at least
32 characters and not a value found in examples; ``DATABASE_URL`` must point at a real
PostgreSQL (the embedded one is for trials).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal, Self

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH: Final = 32
WEAK_SECRETS: Final = frozenset(
    {"changeme", "change-me", "secret", "dev", "development", "test", "password", "sitesync"}
)


def default_server_dir() -> Path:
    """The server's data folder (embedded database, keys) under the user's data directory."""
    return Path(platformdirs.user_data_dir("SiteSync", appauthor=False)) / "server"


class ServerSettings(BaseSettings):
    """Everything a server process needs to know, typed and checked."""

    model_config = SettingsConfigDict(env_prefix="SITESYNC_", frozen=True, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(
        default_factory=default_server_dir,
        validation_alias=AliasChoices("SITESYNC_SERVER_DATA_DIR", "SITESYNC_DATA_DIR"),
    )
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SITESYNC_DATABASE_URL", "DATABASE_URL")
    )
    """The runtime role's connection (owns nothing, cannot bypass row-level security)."""
    admin_database_url: str | None = None
    """The owner role's connection, for migrations and the admin commands."""
    runtime_role: str = "sitesync_app"
    """The role the migrations grant table privileges to."""
    pool_size: int = Field(default=10, ge=1, le=200)

    jwt_secret: SecretStr | None = None
    jwt_issuer: str = "sitesync"
    jwt_audience: str = "sitesync-api"
    access_token_seconds: int = Field(default=15 * 60, ge=60, le=3600)
    refresh_token_days: int = Field(default=7, ge=1, le=30)
    refresh_grace_seconds: int = Field(default=30, ge=0, le=300)
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=60)

    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=64 * 1024, ge=8)
    argon2_parallelism: int = Field(default=1, ge=1)
    login_limit_per_account: int = Field(default=10, ge=1)
    login_limit_per_address: int = Field(default=100, ge=1)
    login_window_seconds: int = Field(default=15 * 60, ge=1)

    ledger_key_dir: Path | None = None
    """Where the ledger's signing keys live (default: ``<data_dir>/keys``)."""
    ledger_key: SecretStr | None = None
    """The current ledger key as base64 of its 32-byte seed (instead of a key file)."""
    ledger_name: str = Field(default="sitesync-ledger", pattern=r"^[^\s+]+$")
    """The checkpoint key name and the prefix of every organization's log origin."""

    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    max_blob_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    max_chunk_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)

    @property
    def keys_dir(self) -> Path:
        """The folder of ledger and server-device key files."""
        return self.ledger_key_dir or self.data_dir / "keys"

    @property
    def development(self) -> bool:
        return self.environment != "production"

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> Self:
        if self.development:
            return self
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
        if not secret:
            raise ValueError(
                "SITESYNC_JWT_SECRET is not set; production needs a random secret of at least "
                f"{MIN_SECRET_LENGTH} characters (for example: openssl rand -base64 48)."
            )
        if len(secret) < MIN_SECRET_LENGTH or secret.strip().lower() in WEAK_SECRETS:
            raise ValueError(
                f"SITESYNC_JWT_SECRET is too weak: use a random value of at least "
                f"{MIN_SECRET_LENGTH} characters (for example: openssl rand -base64 48)."
            )
        if not self.database_url:
            raise ValueError(
                "DATABASE_URL is not set; production needs a PostgreSQL connection for the "
                "runtime role (the embedded database is for trials only)."
            )
        return self
