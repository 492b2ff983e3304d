"""The citizen's access log (issue 8): who checked or received which of their licenses,
when, for which scenario or purpose — online QR redemptions by verifiers, offline QRs shown,
and consented shares with agencies (``wallet.consent``) — read from the wallet's
presentation log. A citizen can report an entry they do not recognise; operators list the
reports (``elicense wallet access-reports``)."""

from __future__ import annotations

import time
from typing import Any

from sqlmodel import Session, col, select

from wallet.consent_errors import AccessLogNotFound
from wallet.consent_models import AccessReport, ConsentRequest
from wallet.i18n import type_names
from wallet.models import Credential, PresentationLog, User

__all__ = ["entries", "report", "reports"]


def entries(*, db: Session, user: User, limit: int = 200) -> list[dict[str, Any]]:
    rows = db.exec(select(PresentationLog).where(PresentationLog.user_id == user.id)
                   .order_by(col(PresentationLog.at).desc(), col(PresentationLog.id).desc())
                   .limit(limit)).all()
    ids = [r.id for r in rows]
    reported = set(db.exec(select(AccessReport.log_id).where(
        col(AccessReport.log_id).in_(ids))).all()) if ids else set()
    purposes = {c.log_id: c for c in db.exec(select(ConsentRequest).where(
        col(ConsentRequest.log_id).in_(ids))).all()} if ids else {}
    out = []
    for r in rows:
        cred = db.get(Credential, r.credential_id)
        consent = purposes.get(r.id)
        out.append({
            "id": r.id, "at": r.at, "credential_id": r.credential_id,
            "at_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(r.at)),
            "credential_type": cred.type if cred else None,
            "names": type_names(cred.type) if cred else {},
            "mode": r.mode, "scenario": r.scenario,
            # offline QRs are shown to whoever scans them: the wallet cannot know who
            "who": r.verifier_client, "aud": r.aud,
            "purpose": consent.purpose if consent else None,
            "claims": consent.claim_list() if consent else None,
            "reported": r.id in reported})
    return out


def report(*, db: Session, user: User, log_id: int, now: int, note: str | None = None
           ) -> dict[str, Any]:
    """Flag an entry (idempotent: a second report keeps the first)."""
    row = db.get(PresentationLog, log_id)
    if row is None or row.user_id != user.id:
        raise AccessLogNotFound()
    assert user.id is not None
    existing = db.exec(select(AccessReport).where(AccessReport.log_id == log_id)).first()
    if existing is None:
        existing = AccessReport(log_id=log_id, user_id=user.id, note=note, at=now)
        db.add(existing)
        db.commit()
    return {"id": existing.id, "log_id": log_id, "reported": True, "at": existing.at}


def reports(*, db: Session, limit: int = 500) -> list[dict[str, Any]]:
    """For operators: every flagged entry with what was shown to whom, newest first."""
    out = []
    for rep in db.exec(select(AccessReport).order_by(col(AccessReport.at).desc())
                       .limit(limit)).all():
        log = db.get(PresentationLog, rep.log_id)
        user = db.get(User, rep.user_id)
        assert log is not None and user is not None
        out.append({"report_id": rep.id, "reported_at": rep.at, "note": rep.note,
                    "username": user.username, "log_id": log.id, "at": log.at,
                    "mode": log.mode, "scenario": log.scenario, "who": log.verifier_client,
                    "aud": log.aud, "credential_id": log.credential_id})
    return out
