"""Append-only, hash-chained audit log of every issuer action.

Each row's ``hash`` is SHA-256 over the canonical JSON (sorted keys, no whitespace, UTF-8)
of the row's fields including ``prev_hash``, the previous row's hash (``GENESIS`` for the
first). Editing, deleting or reordering any row breaks the chain from there on, and
``verify`` names the first broken row. ``prev_hash`` is UNIQUE so two writers can never
fork the chain; on PostgreSQL appends are serialised with a transaction-scoped advisory
lock (SQLite serialises writers itself).

Rows hold no personal data: ids, types, indices, actors, never claims.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text
from sqlmodel import Session, col, select

from issuer.bulkdb import insert_tuples
from issuer.models import AuditEvent

__all__ = ["GENESIS", "AuditEntry", "ChainReport", "append", "append_many", "row_hash", "verify"]

GENESIS = "0" * 64
_LOCK_ID = 0x656C6963  # "elic": the advisory lock of the audit chain


@dataclass(frozen=True)
class AuditEntry:
    at: int
    agency_code: str | None
    actor: str
    action: str
    credential_id: str | None = None
    detail: dict[str, Any] | None = None


def row_hash(fields: dict[str, Any]) -> str:
    canon = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canon).hexdigest()


_COLUMNS = ("seq", "at", "agency_code", "actor", "action", "credential_id", "detail",
            "prev_hash", "hash")


def _fields(seq: int, e: AuditEntry, detail: str, prev: str) -> dict[str, Any]:
    return {"seq": seq, "at": e.at, "agency_code": e.agency_code, "actor": e.actor,
            "action": e.action, "credential_id": e.credential_id, "detail": detail,
            "prev_hash": prev}


def _tail(session: Session) -> tuple[int, str]:
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    if last is None:
        return 0, GENESIS
    return int(last.seq or 0), last.hash


def append(session: Session, entry: AuditEntry) -> None:
    append_many(session, [entry])


def append_many(session: Session, entries: Iterable[AuditEntry]) -> None:
    """Append ``entries`` in order, chained, in the caller's transaction."""
    seq, prev = _tail(session)
    rows = []
    for e in entries:
        seq += 1
        detail = orjson.dumps(e.detail or {}, option=orjson.OPT_SORT_KEYS).decode()
        f = _fields(seq, e, detail, prev)
        h = row_hash(f)
        rows.append((*f.values(), h))
        prev = h
    insert_tuples(session, AuditEvent.__table__, _COLUMNS, rows)  # type: ignore[attr-defined]


def _iter_rows(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    after = 0
    while True:
        chunk = session.exec(select(AuditEvent).where(col(AuditEvent.seq) > after)
                             .order_by(col(AuditEvent.seq)).limit(batch)).all()
        if not chunk:
            return
        yield from chunk
        after = int(chunk[-1].seq or 0)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    broken_seq: int | None = None
    reason: str | None = None


def verify(session: Session) -> ChainReport:
    """Walk the chain from the start; the first row whose hash or link is wrong fails it."""
    prev = GENESIS
    n = 0
    for n, row in enumerate(_iter_rows(session), start=1):
        expected_seq = n
        seq = int(row.seq or 0)
        if seq != expected_seq:
            return ChainReport(False, n, seq, f"row missing before seq {seq}")
        if row.prev_hash != prev:
            return ChainReport(False, n, seq, "prev_hash does not link to the previous row")
        e = AuditEntry(at=row.at, agency_code=row.agency_code, actor=row.actor,
                       action=row.action, credential_id=row.credential_id)
        if row_hash(_fields(seq, e, row.detail, row.prev_hash)) != row.hash:
            return ChainReport(False, n, seq, "row content does not match its hash")
        prev = row.hash
    return ChainReport(True, n)
