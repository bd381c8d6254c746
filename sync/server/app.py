"""``create_app()``: the FastAPI application of the SiteSync server (the composition root).

Nothing is built at import time. ``create_app(settings)`` wires routes, error handlers and
limits; its lifespan opens the database engine and loads the keys. Several processes can run
the same app against one database: they share nothing but PostgreSQL.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from sync.protocol import PROTOCOL_VERSION, PushRequest
from sync.server import errors
from sync.server.auth.passwords import Passwords
from sync.server.db.engine import make_engine
from sync.server.keys import load_keys
from sync.server.limits import BodyLimit
from sync.server.rest import fleet, people, review, work
from sync.server.routes import auth, blobs, devices, health, ledger, sync
from sync.server.settings import ServerSettings
from sync.server.state import ServerState


class ConfigurationError(Exception):
    """The settings cannot start a server (the message says which and what to do)."""


def build_state(settings: ServerSettings) -> ServerState:
    """The shared state of one process, from its settings."""
    if not settings.database_url:
        raise ConfigurationError(
            "DATABASE_URL is not set. Start the server with 'sitesync-server serve', which "
            "starts an embedded PostgreSQL when DATABASE_URL is unset."
        )
    if settings.jwt_secret is None:
        raise ConfigurationError(
            "SITESYNC_JWT_SECRET is not set. 'sitesync-server serve' makes one in its data "
            "folder for development; production must set it."
        )
    seed = settings.ledger_key.get_secret_value() if settings.ledger_key else None
    return ServerState(
        settings=settings,
        engine=make_engine(settings.database_url, pool_size=settings.pool_size),
        keys=load_keys(settings.keys_dir, current_seed=seed),
        passwords=Passwords(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        ),
        jwt_secret=settings.jwt_secret.get_secret_value().encode(),
    )


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """The server application (``uvicorn --factory sync.server.app:create_app``)."""
    settings = settings or ServerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = build_state(settings)
        app.state.server = state
        if not gc.get_freeze_count():
            # What start-up built (modules, schemas, validators) lives as long as the process:
            # kept out of the collector's full passes, which otherwise walk all of it mid-push.
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            state.verifiers.shutdown(wait=False)
            await state.engine.dispose()

    app = FastAPI(
        title="SiteSync server",
        version=f"protocol {PROTOCOL_VERSION}",
        description="Sync, ledger and REST API of SiteSync. Every error answers "
        '`{"error": {"code": ..., "message": ...}}`.',
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(
        BodyLimit, default=settings.max_body_bytes, blobs=settings.max_chunk_bytes + 4096
    )
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(devices.router)
    app.include_router(sync.router)
    app.include_router(ledger.router)
    app.include_router(blobs.router)
    for rest in (fleet, work, people, review):
        app.include_router(rest.router)
    _document_models(app, PushRequest)
    return app


def _document_models(app: FastAPI, *models: type[BaseModel]) -> None:
    """Add schemas to the OpenAPI components for bodies a route parses itself."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
