"""What the REST routes share: pages, reading projections, request bodies made from commands."""

from __future__ import annotations

from typing import Annotated, Any, Final
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel, ConfigDict, create_model

from sync.server.db.engine import transaction
from sync.server.deps import Tenant
from sync.server.errors import not_found
from sync.server.store.mappings import PgMapping

MAX_PER_PAGE: Final = 200

PageQuery = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1")]
PerPageQuery = Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Items per page")]


class Page[T](BaseModel):
    """One page of a list: its items and where it lies in the whole."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data: list[T]
    page: int
    per_page: int
    total: int


async def page_of[T: BaseModel](
    tenant: Tenant,
    mapping: PgMapping[T],
    filters: dict[str, Any],
    order: str,
    page: int,
    per_page: int,
) -> Page[T]:
    """A page of ``mapping``'s projections matching ``filters`` (column = value)."""
    where, args = [], []
    for column, value in filters.items():
        if value is not None:
            args.append(value.value if hasattr(value, "value") else value)
            where.append(f"{column} = ${len(args)}")
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    async with transaction(tenant.state.engine, tenant.org) as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM {mapping.table}{clause}", *args)
        rows = await conn.fetch(
            f"SELECT doc::text FROM {mapping.table}{clause} ORDER BY {order} "
            f"LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
            *args,
            per_page,
            (page - 1) * per_page,
        )
    return Page[T](
        data=[mapping.load(r[0]) for r in rows], page=page, per_page=per_page, total=total
    )


async def one_of[T: BaseModel](tenant: Tenant, mapping: PgMapping[T], key: UUID, what: str) -> T:
    """One projection by key; 404 if it does not exist in the principal's organization."""
    async with transaction(tenant.state.engine, tenant.org) as conn:
        doc = await conn.fetchval(mapping.select_one, key)
    if doc is None:
        raise not_found(what)
    return mapping.load(doc)


def body_of(command: type[BaseModel], *, name: str, without: str = "") -> type[BaseModel]:
    """A request body with ``command``'s fields but ``without`` (it comes from the path).

    The command itself is built from the body, so its checks run and answer in our words.
    """
    fields: dict[str, Any] = {
        field: (info.annotation, info)
        for field, info in command.model_fields.items()
        if field != without
    }
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(extra="forbid", frozen=True), **fields
    )
    return model
