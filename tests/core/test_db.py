"""core.db: engine factory (SQLite pragmas, PostgreSQL URL normalisation), session_scope,
migrate."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.db import make_engine, migrate, session_scope
from keys.models import SigningKey


def _row(kid: str) -> SigningKey:
    return SigningKey(owner="o", kid=kid, alg="ES256", created_at=1, public_jwk="{}",
                      private_ciphertext="v1.x")


def test_sqlite_gets_wal_foreign_keys_and_parent_dir(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "x.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert path.exists()
    finally:
        engine.dispose()


def test_sqlite_memory_needs_no_directory() -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", [
    "postgres://u:p@db.example:5432/elicense",
    "postgresql://u:p@db.example:5432/elicense",
    "postgresql+psycopg://u:p@db.example:5432/elicense",
])
def test_postgres_urls_are_routed_to_psycopg3(url: str) -> None:
    engine = make_engine(url)  # no connection is made
    try:
        assert engine.url.drivername == "postgresql+psycopg"
        assert (engine.url.host, engine.url.port, engine.url.database) == (
            "db.example", 5432, "elicense")
        assert engine.pool._pre_ping  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_session_scope_commits_on_success(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(_row("committed"))
    with Session(engine) as session:
        assert session.exec(select(SigningKey.kid)).all() == ["committed"]


def test_session_scope_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(_row("rolled-back"))
        session.flush()  # the row reached the database inside the transaction
        raise RuntimeError("boom")
    with Session(engine) as session:
        assert session.exec(select(SigningKey)).all() == []


def test_session_scope_objects_usable_after_commit(engine: Engine) -> None:
    with session_scope(engine) as session:
        row = _row("kept")
        session.add(row)
    assert row.kid == "kept" and row.id is not None  # expire_on_commit=False


def test_migrate_creates_directory_and_reaches_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'db.sqlite'}"
    migrate(url)
    migrate(url)  # idempotent
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM keys_signing_key")).scalar() == 0
    finally:
        engine.dispose()
