"""issuer license events (subscriptions, events, webhook deliveries) and wallet consent
requests and access reports (issuer/events_models.py, wallet/consent_models.py).

Revision ID: 0005_events
Revises: 0004_verifier
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005_events'
down_revision: Union[str, None] = '0004_verifier'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('issuer_event',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('agency_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('credential_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('replaces', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('changed', sa.Text(), nullable=False),
    sa.Column('dedupe', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('credential_id', 'kind', 'dedupe', name='uq_issuer_event_dedupe')
    )
    with op.batch_alter_table('issuer_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuer_event_credential_id'), ['credential_id'], unique=False)

    op.create_table('issuer_subscription',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('agency_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kinds', sa.Text(), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('contains', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['issuer_agency.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('issuer_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuer_subscription_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_issuer_subscription_type'), ['type'], unique=False)

    op.create_table('issuer_event_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('subscription_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('body_enc', sa.LargeBinary(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.BigInteger(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('delivered_at', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['issuer_event.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['issuer_subscription.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'subscription_id', name='uq_issuer_delivery')
    )
    with op.batch_alter_table('issuer_event_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_issuer_delivery_due', ['state', 'next_attempt_at'], unique=False)

    op.create_table('wallet_access_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('log_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['log_id'], ['wallet_presentation_log.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['wallet_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('log_id')
    )
    with op.batch_alter_table('wallet_access_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wallet_access_report_user_id'), ['user_id'], unique=False)

    op.create_table('wallet_consent_request',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('credential_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('claims', sa.Text(), nullable=False),
    sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('aud', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('credential_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('presentation', sa.Text(), nullable=True),
    sa.Column('log_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.Column('decided_at', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['log_id'], ['wallet_presentation_log.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['wallet_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('wallet_consent_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wallet_consent_request_agency'), ['agency'], unique=False)
        batch_op.create_index(batch_op.f('ix_wallet_consent_request_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('wallet_consent_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wallet_consent_request_user_id'))
        batch_op.drop_index(batch_op.f('ix_wallet_consent_request_agency'))

    op.drop_table('wallet_consent_request')
    with op.batch_alter_table('wallet_access_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wallet_access_report_user_id'))

    op.drop_table('wallet_access_report')
    with op.batch_alter_table('issuer_event_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_issuer_delivery_due')

    op.drop_table('issuer_event_delivery')
    with op.batch_alter_table('issuer_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuer_subscription_type'))
        batch_op.drop_index(batch_op.f('ix_issuer_subscription_agency_code'))

    op.drop_table('issuer_subscription')
    with op.batch_alter_table('issuer_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuer_event_credential_id'))

    op.drop_table('issuer_event')
