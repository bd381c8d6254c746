"""Blobs the sync queue has moved to or from the server.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sync_blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.String(length=40), nullable=False),
    sa.Column('done_at', sa.String(length=27), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_sync_blobs'))
    )


def downgrade() -> None:
    op.drop_table('sync_blobs')
