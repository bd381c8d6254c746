"""Liveness and readiness: ``/health`` (the process answers), ``/ready`` (it can serve)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sync.server.db.migrate import current_revision, head_revision
from sync.server.deps import StateDep
from sync.server.errors import envelope, log, responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    schema_revision: str


@router.get("/health", response_model=Health)
@router.head("/health", include_in_schema=False)
async def health() -> Health:
    """The process is up (says nothing about the database)."""
    return Health()


@router.get("/ready", response_model=Ready, responses=responses(503))
async def ready(state: StateDep) -> Ready | JSONResponse:
    """The database answers and its schema is the one this server was built for."""
    head = head_revision()
    try:
        revision = await current_revision(state.engine)
    except Exception as exc:  # any failure means "not ready"; the reason goes to the log
        log.warning("not ready: %r", exc)
        return envelope(
            503,
            "NOT_READY",
            "The database is not reachable.",
            hint="Check DATABASE_URL and that PostgreSQL is running.",
            headers={"Retry-After": "5"},
        )
    if revision != head:
        return envelope(
            503,
            "SCHEMA_NOT_AT_HEAD",
            f"The database schema is at {revision or 'nothing'}, this server needs {head}.",
            hint="Run 'sitesync-server migrate'.",
            headers={"Retry-After": "30"},
        )
    return Ready(schema_revision=head)
