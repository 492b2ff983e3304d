"""verifier: organisations, tokens, staff, replay store, records, trust lists (verifier/models.py).

Revision ID: 0004_verifier
Revises: 0003_wallet
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004_verifier"
down_revision: Union[str, None] = "0003_wallet"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "verifier_org",
        sa.Column("id", _S(length=64), nullable=False),
        sa.Column("name_zh", _S(length=200), nullable=False),
        sa.Column("name_en", _S(length=200), nullable=False),
        sa.Column("scenarios", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "verifier_token",
        sa.Column("token_hash", _S(length=64), nullable=False),
        sa.Column("org_id", _S(length=64), nullable=False),
        sa.Column("kind", _S(length=16), nullable=False),
        sa.Column("label", _S(length=200), nullable=False),
        sa.Column("staff_username", _S(length=100), nullable=True),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('api_key', 'session')", name="ck_verifier_token_kind"),
        sa.ForeignKeyConstraint(["org_id"], ["verifier_org.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("verifier_token", schema=None) as batch_op:
        batch_op.create_index("ix_verifier_token_org_id", ["org_id"], unique=False)
    op.create_table(
        "verifier_staff",
        sa.Column("username", _S(length=100), nullable=False),
        sa.Column("org_id", _S(length=64), nullable=False),
        sa.Column("password_hash", _S(length=200), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["verifier_org.id"]),
        sa.PrimaryKeyConstraint("username"),
    )
    with op.batch_alter_table("verifier_staff", schema=None) as batch_op:
        batch_op.create_index("ix_verifier_staff_org_id", ["org_id"], unique=False)
    op.create_table(
        "verifier_replay",
        sa.Column("digest", _S(length=64), nullable=False),
        sa.Column("nonce_key", _S(length=64), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
        sa.UniqueConstraint("nonce_key"),
    )
    with op.batch_alter_table("verifier_replay", schema=None) as batch_op:
        batch_op.create_index("ix_verifier_replay_expires_at", ["expires_at"], unique=False)
    op.create_table(
        "verifier_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", _S(length=64), nullable=False),
        sa.Column("scenario", _S(length=64), nullable=False),
        sa.Column("scenario_version", sa.Integer(), nullable=False),
        sa.Column("credential_type", _S(length=64), nullable=True),
        sa.Column("issuer", _S(length=500), nullable=True),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("codes", sa.Text(), nullable=False),
        sa.Column("verified_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("kept_claims", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("verifier_record", schema=None) as batch_op:
        batch_op.create_index("ix_verifier_record_expires_at", ["expires_at"], unique=False)
        batch_op.create_index("ix_verifier_record_org_id", ["org_id"], unique=False)
    op.create_table(
        "verifier_trust_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.Column("iat", sa.Integer(), nullable=False),
        sa.Column("exp", sa.Integer(), nullable=False),
        sa.Column("installed_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("verifier_trust_list", schema=None) as batch_op:
        batch_op.create_index("ix_verifier_trust_list_installed_at", ["installed_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("verifier_trust_list", schema=None) as batch_op:
        batch_op.drop_index("ix_verifier_trust_list_installed_at")
    op.drop_table("verifier_trust_list")
    with op.batch_alter_table("verifier_record", schema=None) as batch_op:
        batch_op.drop_index("ix_verifier_record_org_id")
        batch_op.drop_index("ix_verifier_record_expires_at")
    op.drop_table("verifier_record")
    with op.batch_alter_table("verifier_replay", schema=None) as batch_op:
        batch_op.drop_index("ix_verifier_replay_expires_at")
    op.drop_table("verifier_replay")
    with op.batch_alter_table("verifier_staff", schema=None) as batch_op:
        batch_op.drop_index("ix_verifier_staff_org_id")
    op.drop_table("verifier_staff")
    with op.batch_alter_table("verifier_token", schema=None) as batch_op:
        batch_op.drop_index("ix_verifier_token_org_id")
    op.drop_table("verifier_token")
    op.drop_table("verifier_org")
