"""verifier OpenID4VP 1.0 authorization requests (verifier/oid4vp_models.py).

Revision ID: 0006_oid4vp
Revises: 0005_events
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0006_oid4vp'
down_revision: str | None = '0005_events'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('verifier_oid4vp_request',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('org_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('scenario', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('request_jws', sa.Text(), nullable=False),
    sa.Column('dcql_json', sa.Text(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Integer(), nullable=False),
    sa.Column('answered_at', sa.Integer(), nullable=True),
    sa.Column('verdict_json', sa.Text(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'answering', 'answered', 'refused')",
                       name='ck_verifier_oid4vp_request_state'),
    sa.ForeignKeyConstraint(['org_id'], ['verifier_org.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_verifier_oid4vp_request_org_id'), 'verifier_oid4vp_request',
                    ['org_id'], unique=False)
    op.create_index(op.f('ix_verifier_oid4vp_request_expires_at'), 'verifier_oid4vp_request',
                    ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_verifier_oid4vp_request_expires_at'),
                  table_name='verifier_oid4vp_request')
    op.drop_index(op.f('ix_verifier_oid4vp_request_org_id'),
                  table_name='verifier_oid4vp_request')
    op.drop_table('verifier_oid4vp_request')
