"""Sync state: the account the store is joined to, cursor and checkpoint, per-event answers,
conflict records, snapshot bases and the log of sync runs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sync_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('server_url', sa.Text(), nullable=False),
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.Text(), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('ledger_origin', sa.Text(), nullable=False),
    sa.Column('ledger_key_name', sa.Text(), nullable=False),
    sa.Column('ledger_public_key', sa.LargeBinary(), nullable=False),
    sa.Column('joined_at', sa.String(length=27), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_account'))
    )
    op.create_table('sync_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cursor', sa.Integer(), nullable=False),
    sa.Column('checkpoint_size', sa.Integer(), nullable=False),
    sa.Column('checkpoint_root', sa.LargeBinary(), nullable=True),
    sa.Column('checkpoint_note', sa.Text(), nullable=True),
    sa.Column('frontier', sa.LargeBinary(), nullable=True),
    sa.Column('last_success_at', sa.String(length=27), nullable=True),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.Column('problem_hint', sa.Text(), nullable=True),
    sa.Column('problem_kind', sa.String(length=40), nullable=True),
    sa.Column('clock_offset_seconds', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_state'))
    )
    op.create_table('sync_events',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('ledger_index', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.String(length=27), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_sync_events'))
    )
    with op.batch_alter_table('sync_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_events_ledger_index'), ['ledger_index'], unique=True)
        batch_op.create_index(batch_op.f('ix_sync_events_status'), ['status'], unique=False)
    op.create_table('sync_conflicts',
    sa.Column('conflict_id', sa.String(length=36), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('field', sa.String(length=80), nullable=False),
    sa.Column('kept_value', sa.Text(), nullable=False),
    sa.Column('other_value', sa.Text(), nullable=False),
    sa.Column('kept_event_id', sa.String(length=36), nullable=False),
    sa.Column('other_event_id', sa.String(length=36), nullable=False),
    sa.Column('kept_hash', sa.String(length=64), nullable=False),
    sa.Column('other_hash', sa.String(length=64), nullable=False),
    sa.Column('resolved_by', sa.String(length=36), nullable=True),
    sa.Column('recorded_at', sa.String(length=27), nullable=False),
    sa.PrimaryKeyConstraint('conflict_id', name=op.f('pk_sync_conflicts'))
    )
    with op.batch_alter_table('sync_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_conflicts_entity_id'), ['entity_id'], unique=False)
    op.create_table('sync_bases',
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.Column('heads', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('entity_id', name=op.f('pk_sync_bases'))
    )
    op.create_table('sync_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.String(length=27), nullable=False),
    sa.Column('finished_at', sa.String(length=27), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('pushed', sa.Integer(), nullable=False),
    sa.Column('pulled', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('conflicts', sa.Integer(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )


def downgrade() -> None:
    op.drop_table('sync_runs')
    op.drop_table('sync_bases')
    with op.batch_alter_table('sync_conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_conflicts_entity_id'))
    op.drop_table('sync_conflicts')
    with op.batch_alter_table('sync_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_events_status'))
        batch_op.drop_index(batch_op.f('ix_sync_events_ledger_index'))
    op.drop_table('sync_events')
    op.drop_table('sync_state')
    op.drop_table('sync_account')
