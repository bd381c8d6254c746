"""Witnesses: the newest checkpoint each device cosigned, and fork alarms with their evidence.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sync_fork_alarms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('detected_at', sa.String(length=27), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('first_note', sa.Text(), nullable=False),
    sa.Column('second_note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_fork_alarms'))
    )
    op.create_table('sync_witnesses',
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('own', sa.Boolean(), nullable=False),
    sa.Column('origin', sa.Text(), nullable=False),
    sa.Column('tree_size', sa.Integer(), nullable=False),
    sa.Column('root_hash', sa.LargeBinary(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('sent', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sa.String(length=27), nullable=False),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_sync_witnesses'))
    )


def downgrade() -> None:
    op.drop_table('sync_witnesses')
    op.drop_table('sync_fork_alarms')
