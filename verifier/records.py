"""Verification records (DESIGN §5): only what the scenario's policy requires, for its
retention period. Every record holds the organisation, scenario, credential type, issuer,
result (failing check codes) and time; ``record.keeps`` adds claims (hotel check-in: the
guest's identity, as lodging registration demands) and only for a valid verdict. Claims a
policy does not list are never stored. ``purge`` deletes records past their retention.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from verifier.models import VerifierRecord
from verifier.policies import Scenario
from verifier.verdict import Verdict

__all__ = ["list_records", "purge_records", "write_record"]

DAY = 86400


def write_record(*, engine: Engine, org_id: str, scenario: Scenario, verdict: Verdict,
                 claims: Mapping[str, Any]) -> VerifierRecord:
    kept = None
    if verdict.valid and scenario.record.keeps:
        kept = json.dumps({k: claims[k] for k in scenario.record.keeps if k in claims},
                          ensure_ascii=False)
    row = VerifierRecord(
        org_id=org_id, scenario=scenario.id, scenario_version=scenario.version,
        credential_type=verdict.credential_type, issuer=verdict.issuer, valid=verdict.valid,
        codes=json.dumps(verdict.failed_codes), verified_at=verdict.verified_at,
        expires_at=verdict.verified_at + scenario.record.retention_days * DAY,
        kept_claims=kept)
    with Session(engine, expire_on_commit=False) as session:
        session.add(row)
        session.commit()
    return row


def list_records(*, engine: Engine, org_id: str, limit: int = 100) -> Sequence[VerifierRecord]:
    with Session(engine) as session:
        return session.exec(select(VerifierRecord).where(VerifierRecord.org_id == org_id)
                            .order_by(col(VerifierRecord.id).desc()).limit(limit)).all()


def purge_records(*, engine: Engine, now: int) -> int:
    with engine.begin() as conn:
        result = conn.execute(delete(VerifierRecord).where(
            col(VerifierRecord.expires_at) < now))
        return int(result.rowcount or 0)
