"""issuer tables: agencies, API clients, tokens, credentials, status lists, offers,
nonces, idempotency records, hash-chained audit log.

Revision ID: 0002_issuer
Revises: 0001_keys
"""

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision = "0002_issuer"
down_revision = "0001_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('issuer_agency',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('issuer_audit_event',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.Column('agency_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('credential_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('prev_hash')
    )
    with op.batch_alter_table('issuer_audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuer_audit_event_credential_id'), ['credential_id'], unique=False)

    op.create_table('issuer_idempotency',
    sa.Column('agency_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('request_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('response_enc', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('agency_code', 'key')
    )
    op.create_table('issuer_nonce',
    sa.Column('nonce_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('exp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('nonce_hash')
    )
    with op.batch_alter_table('issuer_nonce', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuer_nonce_exp'), ['exp'], unique=False)

    op.create_table('issuer_status_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bits', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('changes', sa.Integer(), nullable=False),
    sa.Column('token_changes', sa.Integer(), nullable=False),
    sa.Column('token', sa.Text(), nullable=True),
    sa.Column('token_iat', sa.BigInteger(), nullable=False),
    sa.Column('token_exp', sa.BigInteger(), nullable=False),
    sa.Column('etag', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('issuer_token',
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('agency_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('credential_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('exp', sa.BigInteger(), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('issuer_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuer_token_exp'), ['exp'], unique=False)

    op.create_table('issuer_client',
    sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('agency_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['issuer_agency.code'], ),
    sa.PrimaryKeyConstraint('client_id')
    )
    with op.batch_alter_table('issuer_client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuer_client_agency_code'), ['agency_code'], unique=False)

    op.create_table('issuer_credential',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('agency_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status_list_id', sa.Integer(), nullable=False),
    sa.Column('status_idx', sa.Integer(), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('subject_hmac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('holder_jkt', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('iat', sa.BigInteger(), nullable=False),
    sa.Column('exp', sa.BigInteger(), nullable=False),
    sa.Column('delivery', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('claims_enc', sa.LargeBinary(), nullable=False),
    sa.Column('replaces', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['issuer_agency.code'], ),
    sa.ForeignKeyConstraint(['status_list_id'], ['issuer_status_list.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency_code', 'ref', name='uq_issuer_credential_ref'),
    sa.UniqueConstraint('status_list_id', 'status_idx', name='uq_issuer_credential_status')
    )
    with op.batch_alter_table('issuer_credential', schema=None) as batch_op:
        batch_op.create_index('ix_issuer_credential_agency_type', ['agency_code', 'type'], unique=False)
        batch_op.create_index(batch_op.f('ix_issuer_credential_subject_hmac'), ['subject_hmac'], unique=False)

    op.create_table('issuer_credential_copy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('status_list_id', sa.Integer(), nullable=False),
    sa.Column('status_idx', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['issuer_credential.id'], ),
    sa.ForeignKeyConstraint(['status_list_id'], ['issuer_status_list.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('status_list_id', 'status_idx', name='uq_issuer_copy_status')
    )
    with op.batch_alter_table('issuer_credential_copy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuer_credential_copy_credential_id'), ['credential_id'], unique=False)

    op.create_table('issuer_offer',
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('credential_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('pin_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('exp', sa.BigInteger(), nullable=False),
    sa.Column('redeemed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['issuer_credential.id'], ),
    sa.PrimaryKeyConstraint('code_hash')
    )
    with op.batch_alter_table('issuer_offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuer_offer_credential_id'), ['credential_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('issuer_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuer_offer_credential_id'))

    op.drop_table('issuer_offer')
    with op.batch_alter_table('issuer_credential_copy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuer_credential_copy_credential_id'))

    op.drop_table('issuer_credential_copy')
    with op.batch_alter_table('issuer_credential', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuer_credential_subject_hmac'))
        batch_op.drop_index('ix_issuer_credential_agency_type')

    op.drop_table('issuer_credential')
    with op.batch_alter_table('issuer_client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuer_client_agency_code'))

    op.drop_table('issuer_client')
    with op.batch_alter_table('issuer_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuer_token_exp'))

    op.drop_table('issuer_token')
    op.drop_table('issuer_status_list')
    with op.batch_alter_table('issuer_nonce', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuer_nonce_exp'))

    op.drop_table('issuer_nonce')
    op.drop_table('issuer_idempotency')
    with op.batch_alter_table('issuer_audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuer_audit_event_credential_id'))

    op.drop_table('issuer_audit_event')
    op.drop_table('issuer_agency')
