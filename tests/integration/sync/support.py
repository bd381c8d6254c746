"""Small helpers for the sync tests: record events through the real recorder."""

from __future__ import annotations

from app.demo.seeding import record
from app.domain import payloads as p
from app.services.context import ServiceContext


async def record_unit(ctx: ServiceContext, name: str) -> str:
    """Record a customer (named ``name``); the id of its event."""
    changes = await record(ctx, ctx.ids.new_id(), p.CustomerCreated(name=name, contact_name="Ann"))
    return str(changes.events[0].event_id)
