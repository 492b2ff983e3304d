"""Verification records (DESIGN §5): only what the scenario's policy requires, for its
retention period. Every record holds the organisation, scenario, credential type, issuer,
result (failing check codes) and time; ``record.keeps`` adds claims (hotel check-in: the
guest's identity, as lodging registration demands) and only for a valid verdict. Claims a
policy does not list are never stored. ``purge`` deletes records past their retention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import delete
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from verifier.models import VerifierRecord
from verifier.policies import Scenario
from verifier.verdict import Verdict

__all__ = ["insert_record", "list_records", "purge_records", "record_values", "write_record"]

DAY = 86400
_INSERT = VerifierRecord.__table__.insert()  # type: ignore[attr-defined]  # built once


def record_values(*, org_id: str, scenario: Scenario, verdict: Verdict,
                  claims: Mapping[str, Any]) -> dict[str, Any]:
    kept = None
    if verdict.valid and scenario.record.keeps:
        kept = orjson.dumps({k: claims[k] for k in scenario.record.keeps
                             if k in claims}).decode()
    return {"org_id": org_id, "scenario": scenario.id, "scenario_version": scenario.version,
            "credential_type": verdict.credential_type, "issuer": verdict.issuer,
            "valid": verdict.valid, "codes": orjson.dumps(verdict.failed_codes).decode(),
            "verified_at": verdict.verified_at,
            "expires_at": verdict.verified_at + scenario.record.retention_days * DAY,
            "kept_claims": kept}


def insert_record(conn: Connection, *, org_id: str, scenario: Scenario, verdict: Verdict,
                  claims: Mapping[str, Any]) -> None:
    """In the caller's transaction (one commit per verification, with the replay row)."""
    conn.execute(_INSERT, record_values(org_id=org_id, scenario=scenario, verdict=verdict,
                                        claims=claims))


def write_record(*, engine: Engine, org_id: str, scenario: Scenario, verdict: Verdict,
                 claims: Mapping[str, Any]) -> None:
    with engine.begin() as conn:
        insert_record(conn, org_id=org_id, scenario=scenario, verdict=verdict, claims=claims)


def list_records(*, engine: Engine, org_id: str, limit: int = 100) -> Sequence[VerifierRecord]:
    with Session(engine) as session:
        return session.exec(select(VerifierRecord).where(VerifierRecord.org_id == org_id)
                            .order_by(col(VerifierRecord.id).desc()).limit(limit)).all()


def purge_records(*, engine: Engine, now: int) -> int:
    with engine.begin() as conn:
        result = conn.execute(delete(VerifierRecord).where(
            col(VerifierRecord.expires_at) < now))
        return int(result.rowcount or 0)
