"""Replay store (DESIGN §4, §8): a presentation is accepted once.

Keyed on the presentation digest (``Verified.digest``) and, separately, on the KB-JWT nonce:
one row, two unique constraints. The insert is ``INSERT … ON CONFLICT DO NOTHING`` and the
row count says whether this process was first, so any number of worker processes and
verifier instances sharing the database (PostgreSQL in production) agree without locks.
Rows expire once the presentation is too old to pass the freshness check anyway; ``purge``
deletes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from verifier.models import VerifierReplay

__all__ = ["accept_once", "dedupe", "insert_many", "insert_once", "many_sql", "purge_replay",
           "replay_row"]


def _nonce_key(digest: str, nonce: str | None) -> str:
    material = f"nonce:{nonce}" if nonce else f"digest:{digest}"
    return hashlib.sha256(material.encode()).hexdigest()


_TABLE = VerifierReplay.__table__  # type: ignore[attr-defined]
# Built once: executing a prebuilt statement with parameters skips SQLAlchemy's per-call
# statement construction and cache-key work on the hot path.
_INSERT_ONCE = {
    "postgresql": pg_insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.digest),
    "sqlite": sqlite_insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.digest),
}


def insert_once(conn: Connection, *, digest: str, nonce: str | None,
                expires_at: int, nonce_key: str | None = None) -> bool:
    """In the caller's transaction: True the first time (digest, nonce) is seen anywhere,
    False for a replay."""
    values = {"digest": digest, "nonce_key": nonce_key or _nonce_key(digest, nonce),
              "expires_at": expires_at}
    stmt = _INSERT_ONCE.get(conn.dialect.name)
    if stmt is not None:
        return conn.execute(stmt, values).first() is not None
    try:  # pragma: no cover - other backends: the constraint raises
        with conn.begin_nested():
            conn.execute(_TABLE.insert(), values)
    except IntegrityError:  # pragma: no cover
        return False
    return True  # pragma: no cover


@lru_cache(maxsize=512)
def many_sql(mark: str, n: int) -> str:
    """The multi-row insert for ``n`` rows, as driver SQL with ``mark`` placeholders (``?``
    sqlite3, ``%s`` psycopg): SQLAlchemy would compile a new ``INSERT … VALUES`` (not
    cacheable: the row count varies) for every batch."""
    row = f"({mark}, {mark}, {mark})"
    rows = ", ".join([row] * n)  # placeholders only: the values are bound by the driver
    return ("INSERT INTO verifier_replay (digest, nonce_key, expires_at) VALUES "  # noqa: S608
            f"{rows} ON CONFLICT DO NOTHING RETURNING digest")


def replay_row(*, digest: str, nonce: str | None, expires_at: int) -> dict[str, Any]:
    return {"digest": digest, "nonce_key": _nonce_key(digest, nonce), "expires_at": expires_at}


def insert_many(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[bool]:
    """Group commit: one multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING`` for many
    presentations; True for each row that was the first anywhere (within the batch too)."""
    firsts, unique = dedupe(rows)
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite") and unique:
        params: list[Any] = []
        for r in unique:
            params += (r["digest"], r["nonce_key"], r["expires_at"])
        sql = many_sql("?" if dialect == "sqlite" else "%s", len(unique))
        inserted = {r[0] for r in conn.exec_driver_sql(sql, tuple(params))}
    else:
        inserted = {r["digest"] for r in unique
                    if insert_once(conn, digest=r["digest"], nonce=None,
                                   expires_at=r["expires_at"], nonce_key=r["nonce_key"])}
    return [first and row["digest"] in inserted for first, row in zip(firsts, rows, strict=True)]


def dedupe(rows: Sequence[dict[str, Any]]) -> tuple[list[bool], list[dict[str, Any]]]:
    """Within one batch: False for a row whose digest or nonce an earlier row has, and the
    rows left to insert."""
    firsts: list[bool] = []
    unique: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in rows:
        dup = row["digest"] in seen or row["nonce_key"] in seen
        seen.update((row["digest"], row["nonce_key"]))
        firsts.append(not dup)
        if not dup:
            unique.append(row)
    return firsts, unique


def accept_once(*, engine: Engine, digest: str, nonce: str | None, expires_at: int) -> bool:
    """``insert_once`` in its own transaction."""
    with engine.begin() as conn:
        return insert_once(conn, digest=digest, nonce=nonce, expires_at=expires_at)


def purge_replay(*, engine: Engine, now: int) -> int:
    with engine.begin() as conn:
        result = conn.execute(delete(VerifierReplay).where(
            VerifierReplay.expires_at < now))  # type: ignore[arg-type]
        return int(result.rowcount or 0)
