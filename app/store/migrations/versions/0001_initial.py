"""Initial schema: the event log, its heads, devices, store facts and the projections.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Timestamps are canonical UTC text (``UtcTimestamp`` in the models, a plain VARCHAR(27) here:
migrations never import application types, which may change after they are written).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


DEVICE_HEAD_TRIGGER = """\
CREATE TRIGGER trg_events_device_head AFTER INSERT ON events
BEGIN
    INSERT INTO device_heads (device_id, device_seq, hash)
    VALUES (NEW.device_id, NEW.device_seq, NEW.hash)
    ON CONFLICT (device_id) DO UPDATE
    SET device_seq = excluded.device_seq, hash = excluded.hash
    WHERE excluded.device_seq > device_heads.device_seq;
END"""


def upgrade() -> None:
    op.create_table('customers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_key', sa.Text(), nullable=False),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_name_key'), ['name_key'], unique=False)

    op.create_table('deficiencies',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('elevator_id', sa.String(length=36), nullable=False),
    sa.Column('visit_id', sa.String(length=36), nullable=True),
    sa.Column('severity', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('opened_at', sa.String(length=27), nullable=False),
    sa.Column('closed_at', sa.String(length=27), nullable=True),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deficiencies'))
    )
    with op.batch_alter_table('deficiencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deficiencies_elevator_id_opened_at'), ['elevator_id', 'opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deficiencies_status_severity'), ['status', 'severity'], unique=False)

    op.create_table('device_heads',
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('device_seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_device_heads'))
    )
    op.create_table('devices',
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('created_at', sa.String(length=27), nullable=False),
    sa.Column('is_local', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_devices'))
    )
    op.create_table('elevators',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('unit_number', sa.Text(), nullable=False),
    sa.Column('unit_key', sa.Text(), nullable=False),
    sa.Column('serial_number', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('manufacturer', sa.String(length=40), nullable=False),
    sa.Column('drive_type', sa.String(length=40), nullable=False),
    sa.Column('installation_date', sa.Date(), nullable=True),
    sa.Column('certificate_expires_on', sa.Date(), nullable=True),
    sa.Column('maintenance_interval_days', sa.Integer(), nullable=False),
    sa.Column('status_since', sa.String(length=27), nullable=False),
    sa.Column('updated_at', sa.String(length=27), nullable=False),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elevators'))
    )
    with op.batch_alter_table('elevators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elevators_certificate_expires_on'), ['certificate_expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_elevators_site_id_unit_key'), ['site_id', 'unit_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_elevators_status'), ['status'], unique=False)

    op.create_table('entity_heads',
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('hashes', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('entity_id', name=op.f('pk_entity_heads'))
    )
    op.create_table('events',
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('device_seq', sa.Integer(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=False),
    sa.Column('canonical', sa.LargeBinary(), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('type_version', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.String(length=27), nullable=False),
    sa.Column('actor_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('position', name=op.f('pk_events')),
    sa.UniqueConstraint('device_id', 'device_seq', name=op.f('uq_events_device_id_device_seq')),
    sa.UniqueConstraint('event_id', name=op.f('uq_events_event_id')),
    sa.UniqueConstraint('hash', name=op.f('uq_events_hash'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_entity_id_position'), ['entity_id', 'position'], unique=False)

    op.create_table('incidents',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('elevator_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('reported_at', sa.String(length=27), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('entrapment', sa.Boolean(), nullable=False),
    sa.Column('out_of_service', sa.Boolean(), nullable=False),
    sa.Column('fault_category', sa.String(length=40), nullable=True),
    sa.Column('excluded_from_kpi', sa.Boolean(), nullable=False),
    sa.Column('release_at', sa.String(length=27), nullable=True),
    sa.Column('arrived_at', sa.String(length=27), nullable=True),
    sa.Column('back_in_service_at', sa.String(length=27), nullable=True),
    sa.Column('closed_at', sa.String(length=27), nullable=True),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_elevator_id_reported_at'), ['elevator_id', 'reported_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_status_reported_at'), ['status', 'reported_at'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('elevator_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('result', sa.String(length=40), nullable=False),
    sa.Column('performed_on', sa.Date(), nullable=False),
    sa.Column('next_due', sa.Date(), nullable=True),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections'))
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspections_elevator_id_performed_on'), ['elevator_id', 'performed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_next_due'), ['next_due'], unique=False)

    op.create_table('sites',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_key', sa.Text(), nullable=False),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sites_customer_id_name_key'), ['customer_id', 'name_key'], unique=False)

    op.create_table('status_history',
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('elevator_id', sa.String(length=36), nullable=False),
    sa.Column('previous', sa.String(length=40), nullable=True),
    sa.Column('new', sa.String(length=40), nullable=False),
    sa.Column('cause', sa.String(length=40), nullable=True),
    sa.Column('incident_id', sa.String(length=36), nullable=True),
    sa.Column('changed_at', sa.String(length=27), nullable=False),
    sa.Column('actor_id', sa.String(length=36), nullable=False),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('position', name=op.f('pk_status_history')),
    sa.UniqueConstraint('event_id', name=op.f('uq_status_history_event_id'))
    )
    with op.batch_alter_table('status_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_history_elevator_id_changed_at'), ['elevator_id', 'changed_at'], unique=False)

    op.create_table('store_meta',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_store_meta'))
    )
    op.create_table('users',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.Text(), nullable=False),
    sa.Column('display_name', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users'))
    )
    op.create_table('visits',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('elevator_id', sa.String(length=36), nullable=False),
    sa.Column('site_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('scheduled_date', sa.Date(), nullable=True),
    sa.Column('technician_id', sa.String(length=36), nullable=True),
    sa.Column('incident_id', sa.String(length=36), nullable=True),
    sa.Column('arrived_at', sa.String(length=27), nullable=True),
    sa.Column('completed_at', sa.String(length=27), nullable=True),
    sa.Column('created_at', sa.String(length=27), nullable=False),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_elevator_id_created_at'), ['elevator_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_status_scheduled_date'), ['status', 'scheduled_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_technician_id_status'), ['technician_id', 'status'], unique=False)

    op.execute(DEVICE_HEAD_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER trg_events_device_head")
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_technician_id_status'))
        batch_op.drop_index(batch_op.f('ix_visits_status_scheduled_date'))
        batch_op.drop_index(batch_op.f('ix_visits_site_id'))
        batch_op.drop_index(batch_op.f('ix_visits_elevator_id_created_at'))

    op.drop_table('visits')
    op.drop_table('users')
    op.drop_table('store_meta')
    with op.batch_alter_table('status_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_history_elevator_id_changed_at'))

    op.drop_table('status_history')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_customer_id_name_key'))

    op.drop_table('sites')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspections_next_due'))
        batch_op.drop_index(batch_op.f('ix_inspections_elevator_id_performed_on'))

    op.drop_table('inspections')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_status_reported_at'))
        batch_op.drop_index(batch_op.f('ix_incidents_elevator_id_reported_at'))

    op.drop_table('incidents')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_entity_id_position'))

    op.drop_table('events')
    op.drop_table('entity_heads')
    with op.batch_alter_table('elevators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elevators_status'))
        batch_op.drop_index(batch_op.f('ix_elevators_site_id_unit_key'))
        batch_op.drop_index(batch_op.f('ix_elevators_certificate_expires_on'))

    op.drop_table('elevators')
    op.drop_table('devices')
    op.drop_table('device_heads')
    with op.batch_alter_table('deficiencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deficiencies_status_severity'))
        batch_op.drop_index(batch_op.f('ix_deficiencies_elevator_id_opened_at'))

    op.drop_table('deficiencies')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_name_key'))

    op.drop_table('customers')
