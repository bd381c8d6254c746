"""Migrations: the models and the migrations agree; readiness follows the schema revision."""

from __future__ import annotations

from pathlib import Path

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from sync.server.app import create_app
from sync.server.db.engine import make_engine
from sync.server.db.migrate import current_revision, head_revision, upgrade
from sync.server.db.models import Base
from sync.server.db.roles import DatabaseUrls, drop_database, ensure_database
from tests.postgres import RUNTIME, PgCluster, settings_for


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(pg_urls: DatabaseUrls) -> None:
    engine = make_engine(pg_urls.owner, pool_size=1)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
        assert differences == []
        assert await current_revision(engine) == head_revision()
        await upgrade(engine, RUNTIME)  # a second run changes nothing and fails nothing
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_ready_says_503_until_the_schema_is_migrated(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    name = "t_empty_schema"
    await ensure_database(pg_cluster.superuser_url, name, owner="sitesync_owner")
    try:
        urls = pg_cluster.urls(name)
        app = create_app(settings_for(urls, tmp_path / "keys"))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                response = await client.get("/ready")
                assert response.status_code == 503
                assert response.json()["error"]["code"] == "SCHEMA_NOT_AT_HEAD"
                assert (await client.get("/health")).status_code == 200
            engine = make_engine(urls.owner, pool_size=1)
            try:
                await upgrade(engine, RUNTIME)
            finally:
                await engine.dispose()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                assert (await client.get("/ready")).status_code == 200
    finally:
        await drop_database(pg_cluster.superuser_url, name)
