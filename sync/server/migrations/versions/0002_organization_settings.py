"""The organization's settings and the rejected events, as projections under row-level security.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

``organization_settings`` holds the fold of ``organization.*`` events (a store without them uses
the default settings); ``rejected_events`` the events the shared reducers refused (kept in the
ledger, applied to nothing).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT = "NULLIF(current_setting('app.current_org', true), '')::uuid"
NEW_TABLES = ("organization_settings", "rejected_events")


def upgrade() -> None:
    op.create_table('organization_settings',
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('doc', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('last_index', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('organization_id', 'id', name=op.f('pk_organization_settings'))
    )
    op.create_table('rejected_events',
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('doc', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('last_index', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('organization_id', 'event_id', name=op.f('pk_rejected_events'))
    )
    for table in NEW_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} FOR ALL "
            f"USING (organization_id = {TENANT}) WITH CHECK (organization_id = {TENANT})"
        )


def downgrade() -> None:
    op.drop_table('rejected_events')
    op.drop_table('organization_settings')
