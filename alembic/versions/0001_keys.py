"""keys: the signing-key table (keys/models.py).

Revision ID: 0001_keys
Revises: (none: first of the one history 0001_keys → 0002_issuer → 0003_wallet → 0004_verifier)
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001_keys"
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "keys_signing_key",
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("alg", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("activated_at", sa.Integer(), nullable=True),
        sa.Column("retired_at", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.Integer(), nullable=True),
        sa.Column("not_after", sa.Integer(), nullable=True),
        sa.Column("backend", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("hsm_token_label", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("hsm_key_label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("private_ciphertext", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'active', 'retired', 'revoked')",
                           name="ck_keys_signing_key_state"),
        sa.CheckConstraint("(backend = 'software' AND private_ciphertext IS NOT NULL) OR "
                           "(backend = 'pkcs11' AND private_ciphertext IS NULL "
                           "AND hsm_token_label IS NOT NULL AND hsm_key_label IS NOT NULL)",
                           name="ck_keys_signing_key_backend"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("keys_signing_key", schema=None) as batch_op:
        batch_op.create_index("ix_keys_signing_key_kid", ["kid"], unique=True)
        batch_op.create_index("ix_keys_signing_key_owner_state", ["owner", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("keys_signing_key", schema=None) as batch_op:
        batch_op.drop_index("ix_keys_signing_key_owner_state")
        batch_op.drop_index("ix_keys_signing_key_kid")
    op.drop_table("keys_signing_key")
