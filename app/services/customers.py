"""Use cases of customers: create and edit."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from app.domain.commands import CreateCustomer, UpdateCustomer
from app.domain.events import NewEvent
from app.domain.payloads import CustomerCreated, CustomerUpdated
from app.services.common import (
    Created,
    changed_fields,
    given_fields,
    must_get,
    refuse_taken_name,
    run,
)
from app.services.context import Changes, ServiceContext
from app.services.ports import UnitOfWork


async def _check_name_free(uow: UnitOfWork, name: str, *, exclude: UUID | None = None) -> None:
    existing = await uow.customers.find_by_name(name)
    refuse_taken_name(
        existing, "A customer named '{name}' already exists.", kind="customer", exclude=exclude
    )


async def create_customer(cmd: CreateCustomer, *, ctx: ServiceContext) -> Created:
    """Create a customer; the name must be unused."""
    customer_id = ctx.ids.new_id()

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        await _check_name_free(uow, cmd.name)
        return [NewEvent(customer_id, CustomerCreated(**cmd.model_dump()))]

    return Created(customer_id, await run(ctx, decide))


async def update_customer(cmd: UpdateCustomer, *, ctx: ServiceContext) -> Changes:
    """Change the given fields of a customer."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        customer = await must_get(uow.customers, cmd.customer_id, "customer")
        changes = changed_fields(customer, given_fields(cmd, key="customer_id"))
        if "name" in changes:
            await _check_name_free(uow, changes["name"], exclude=customer.id)
        return [NewEvent(customer.id, CustomerUpdated(**changes))] if changes else []

    return await run(ctx, decide)
