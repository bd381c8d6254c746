"""The organization and its settings, rejected events, units following the default interval.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

``organizations`` holds the projection of ``organization.*`` events (a store without them uses
the default settings); ``rejected_events`` marks the events of the log the reducers refused;
a unit's maintenance interval may be empty (it follows the organization's default).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('organizations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations'))
    )
    op.create_table('rejected_events',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_rejected_events'))
    )
    with op.batch_alter_table('elevators', schema=None) as batch_op:
        batch_op.alter_column('maintenance_interval_days', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE elevators SET maintenance_interval_days = 30 WHERE maintenance_interval_days IS NULL")
    with op.batch_alter_table('elevators', schema=None) as batch_op:
        batch_op.alter_column('maintenance_interval_days', existing_type=sa.Integer(), nullable=False)
    op.drop_table('rejected_events')
    op.drop_table('organizations')
