"""wallet: citizens, sessions, licenses and their copies, QR tokens, presentation log
(wallet/models.py).

Revision ID: 0003_wallet
Revises: 0002_issuer
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003_wallet"
down_revision: Union[str, None] = "0002_issuer"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "wallet_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", _str(length=64), nullable=False),
        sa.Column("password_hash", _str(length=200), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("wallet_user", schema=None) as batch_op:
        batch_op.create_index("ix_wallet_user_username", ["username"], unique=True)

    op.create_table(
        "wallet_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", _str(length=64), nullable=False),
        sa.Column("kind", _str(length=8), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["wallet_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("wallet_session", schema=None) as batch_op:
        batch_op.create_index("ix_wallet_session_token_hash", ["token_hash"], unique=True)
        batch_op.create_index("ix_wallet_session_user_id", ["user_id"], unique=False)

    op.create_table(
        "wallet_credential",
        sa.Column("id", _str(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("type", _str(length=64), nullable=False),
        sa.Column("vct", _str(length=500), nullable=False),
        sa.Column("issuer", _str(length=500), nullable=False),
        sa.Column("agency", _str(length=32), nullable=True),
        sa.Column("configuration_id", _str(length=200), nullable=False),
        sa.Column("issued_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=True),
        sa.Column("claims_json", sa.Text(), nullable=False),
        sa.Column("disclosable_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["wallet_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("wallet_credential", schema=None) as batch_op:
        batch_op.create_index("ix_wallet_credential_user_id", ["user_id"], unique=False)

    op.create_table(
        "wallet_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_id", _str(length=32), nullable=False),
        sa.Column("sd_jwt", sa.Text(), nullable=False),
        sa.Column("holder_kid", _str(length=64), nullable=False),
        sa.Column("status_uri", _str(length=500), nullable=True),
        sa.Column("status_idx", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["credential_id"], ["wallet_credential.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("wallet_copy", schema=None) as batch_op:
        batch_op.create_index("ix_wallet_copy_credential_used", ["credential_id", "used_at"],
                              unique=False)

    op.create_table(
        "wallet_qr_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", _str(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", _str(length=32), nullable=False),
        sa.Column("scenario", _str(length=64), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.Integer(), nullable=True),
        sa.Column("copy_id", sa.Integer(), nullable=True),
        sa.Column("verifier_client", _str(length=64), nullable=True),
        sa.ForeignKeyConstraint(["copy_id"], ["wallet_copy.id"]),
        sa.ForeignKeyConstraint(["credential_id"], ["wallet_credential.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["wallet_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("wallet_qr_token", schema=None) as batch_op:
        batch_op.create_index("ix_wallet_qr_token_credential_id", ["credential_id"],
                              unique=False)
        batch_op.create_index("ix_wallet_qr_token_token_hash", ["token_hash"], unique=True)

    op.create_table(
        "wallet_presentation_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", _str(length=32), nullable=False),
        sa.Column("copy_id", sa.Integer(), nullable=True),
        sa.Column("scenario", _str(length=64), nullable=False),
        sa.Column("mode", _str(length=8), nullable=False),
        sa.Column("verifier_client", _str(length=64), nullable=True),
        sa.Column("aud", _str(length=500), nullable=False),
        sa.Column("at", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["copy_id"], ["wallet_copy.id"]),
        sa.ForeignKeyConstraint(["credential_id"], ["wallet_credential.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["wallet_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("wallet_presentation_log", schema=None) as batch_op:
        batch_op.create_index("ix_wallet_presentation_log_user_id", ["user_id"], unique=False)


def downgrade() -> None:
    for table, indexes in (
        ("wallet_presentation_log", ["ix_wallet_presentation_log_user_id"]),
        ("wallet_qr_token", ["ix_wallet_qr_token_token_hash", "ix_wallet_qr_token_credential_id"]),
        ("wallet_copy", ["ix_wallet_copy_credential_used"]),
        ("wallet_credential", ["ix_wallet_credential_user_id"]),
        ("wallet_session", ["ix_wallet_session_user_id", "ix_wallet_session_token_hash"]),
        ("wallet_user", ["ix_wallet_user_username"]),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in indexes:
                batch_op.drop_index(name)
        op.drop_table(table)
