"""Row-level security as DESIGN.md section 6 says: the catalog and the behaviour (A6, A7)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from sync.server.admin import create_organization
from sync.server.db.engine import make_engine, transaction
from sync.server.db.models import GLOBAL_TABLES, TENANT_TABLES
from sync.server.db.roles import DatabaseUrls, connect
from tests.postgres import RUNTIME

TENANT_EXPR = "current_setting('app.current_org'"


async def _catalog(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await connect(url)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
        return rows
    finally:
        await conn.close()


async def test_every_table_is_declared_tenant_or_global(pg_urls: DatabaseUrls) -> None:
    rows = await _catalog(
        pg_urls.owner,
        "SELECT tablename FROM pg_tables "
        "WHERE schemaname = 'public' AND tablename <> 'alembic_version'",
    )
    tables = {row["tablename"] for row in rows}
    assert tables == TENANT_TABLES | GLOBAL_TABLES
    assert not TENANT_TABLES & GLOBAL_TABLES


async def test_every_tenant_table_forces_rls_with_a_read_and_write_policy(
    pg_urls: DatabaseUrls,
) -> None:
    rows = await _catalog(
        pg_urls.owner,
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               p.polcmd::text AS polcmd, pg_get_expr(p.polqual, p.polrelid) AS using_expr,
               pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
        LEFT JOIN pg_policy p ON p.polrelid = c.oid
        WHERE c.relkind = 'r'
        """,
    )
    seen: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        seen.setdefault(row["relname"], []).append(row)
    problems = []
    for table in sorted(TENANT_TABLES):
        found = seen.get(table, [])
        if not found or not found[0]["relrowsecurity"]:
            problems.append(f"{table}: row-level security not enabled")
            continue
        if not found[0]["relforcerowsecurity"]:
            problems.append(f"{table}: row-level security not forced")
        reads = [
            r for r in found if r["polcmd"] in ("*", "r") and TENANT_EXPR in (r["using_expr"] or "")
        ]
        writes = [
            r for r in found if r["polcmd"] in ("*", "a") and TENANT_EXPR in (r["check_expr"] or "")
        ]
        if not reads:
            problems.append(f"{table}: no tenant policy for reads")
        if not writes:
            problems.append(f"{table}: no tenant policy for writes")
    assert problems == []


async def test_every_tenant_key_and_unique_constraint_includes_the_organization(
    pg_urls: DatabaseUrls,
) -> None:
    rows = await _catalog(
        pg_urls.owner,
        """
        SELECT t.relname AS table_name, i.relname AS index_name, x.indisprimary,
               array_agg(a.attname ORDER BY k.ord) AS columns
        FROM pg_index x
        JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
        CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        WHERE x.indisunique
        GROUP BY t.relname, i.relname, x.indisprimary
        """,
    )
    keyed = {row["table_name"] for row in rows if row["indisprimary"]}
    assert keyed >= TENANT_TABLES, f"tenant tables without a primary key: {TENANT_TABLES - keyed}"
    bad = [
        f"{row['table_name']}.{row['index_name']} {list(row['columns'])}"
        for row in rows
        if row["table_name"] in TENANT_TABLES and row["columns"][0] != "organization_id"
    ]
    assert bad == []


async def test_the_runtime_role_owns_nothing_and_cannot_bypass_rls(pg_urls: DatabaseUrls) -> None:
    role = await _catalog(
        pg_urls.owner,
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1",
        RUNTIME,
    )
    assert [tuple(r) for r in role] == [(False, False)]
    owned = await _catalog(
        pg_urls.owner,
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = $1
        """,
        RUNTIME,
    )
    assert owned == []
    memberships = await _catalog(
        pg_urls.owner,
        """
        SELECT g.rolname FROM pg_auth_members m
        JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
        WHERE u.rolname = $1
        """,
        RUNTIME,
    )
    assert memberships == [], "the runtime role must not inherit another role's rights"


async def test_no_tenant_set_reads_zero_rows(pg_urls: DatabaseUrls) -> None:
    org = await create_organization(pg_urls.runtime, "Acme Lifts")
    engine = make_engine(pg_urls.runtime, pool_size=1)
    try:
        async with transaction(engine, org) as conn:
            assert await conn.fetchval("SELECT count(*) FROM organizations") == 1
        async with transaction(engine, None) as conn:
            for table in sorted(TENANT_TABLES):
                assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    finally:
        await engine.dispose()


async def test_a_tenant_cannot_see_or_write_another_tenants_rows(pg_urls: DatabaseUrls) -> None:
    first = await create_organization(pg_urls.runtime, "First")
    second = await create_organization(pg_urls.runtime, "Second")
    engine = make_engine(pg_urls.runtime, pool_size=1)
    try:
        async with transaction(engine, first) as conn:
            names = await conn.fetch("SELECT name FROM organizations")
            assert [r["name"] for r in names] == ["First"]
            changed = await conn.execute(
                "UPDATE organizations SET name = 'Taken' WHERE organization_id = $1", second
            )
            assert changed == "UPDATE 0"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with transaction(engine, first) as conn:
                await conn.execute(
                    "INSERT INTO alarms (organization_id, alarm_id, kind, detail) "
                    "VALUES ($1, $2, 'test', 'x')",
                    second,
                    uuid4(),
                )
    finally:
        await engine.dispose()


async def test_a_pooled_connection_never_carries_a_tenant_into_the_next_transaction(
    pg_urls: DatabaseUrls,
) -> None:
    org = await create_organization(pg_urls.runtime, "Acme Lifts")
    engine = make_engine(pg_urls.runtime, pool_size=1)  # one connection: every request reuses it
    try:
        backends = set()
        async with transaction(engine, org) as conn:
            backends.add(await conn.fetchval("SELECT pg_backend_pid()"))
            assert await conn.fetchval("SELECT count(*) FROM organizations") == 1
        try:
            async with transaction(engine, org) as conn:
                backends.add(await conn.fetchval("SELECT pg_backend_pid()"))
                raise RuntimeError("a request that fails half-way")
        except RuntimeError:
            pass
        async with transaction(engine, None) as conn:
            backends.add(await conn.fetchval("SELECT pg_backend_pid()"))
            assert await conn.fetchval("SELECT current_setting('app.current_org', true)") == ""
            assert await conn.fetchval("SELECT count(*) FROM organizations") == 0
        async with engine.connect() as plain:
            setting = await plain.exec_driver_sql("SELECT current_setting('app.current_org', true)")
            assert setting.scalar() in ("", None)
        assert len(backends) == 1, "the test must reuse one pooled connection"
    finally:
        await engine.dispose()


async def test_the_runtime_role_cannot_change_the_ledger(pg_urls: DatabaseUrls) -> None:
    org = await create_organization(pg_urls.runtime, "Acme Lifts")
    engine = make_engine(pg_urls.runtime, pool_size=1)
    try:
        for statement in (
            "UPDATE events SET status = 'accepted'",
            "DELETE FROM checkpoints",
            "DELETE FROM ledger_nodes",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with transaction(engine, org) as conn:
                    await conn.execute(statement)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with transaction(engine, org) as conn:
                await conn.fetch("SELECT * FROM login_directory")
    finally:
        await engine.dispose()
