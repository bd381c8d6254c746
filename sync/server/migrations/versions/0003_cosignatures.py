"""Cosignatures: the checkpoints devices verified and cosigned, under row-level security.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05

Devices witness the ledger: each cosigns the checkpoints it verified (C2SP cosignature/v1) and
uploads the cosigned note; the server keeps it (append-only) and serves each device's newest.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT = "NULLIF(current_setting('app.current_org', true), '')::uuid"


def upgrade() -> None:
    op.create_table('cosignatures',
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('tree_size', sa.BigInteger(), nullable=False),
    sa.Column('root_hash', sa.LargeBinary(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('cosigned_at', sa.BigInteger(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.organization_id'], name=op.f('fk_cosignatures_organization_id_organizations')),
    sa.PrimaryKeyConstraint('organization_id', 'device_id', 'tree_size', name=op.f('pk_cosignatures'))
    )
    op.execute("ALTER TABLE cosignatures ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE cosignatures FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON cosignatures FOR ALL "
        f"USING (organization_id = {TENANT}) WITH CHECK (organization_id = {TENANT})"
    )


def downgrade() -> None:
    op.drop_table('cosignatures')
