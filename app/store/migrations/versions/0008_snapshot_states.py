"""Snapshot states: an entity's whole fold state at the snapshot a store was joined from.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sync_bases') as batch:
        batch.add_column(sa.Column('state', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sync_bases') as batch:
        batch.drop_column('state')
