"""License-free submission (issue 8): an agency processing an application asks a citizen for
named claims of one of their licenses; the citizen approves or refuses in the wallet; on
approval the agency fetches an SD-JWT+KB (RFC 9901 §4.3) disclosing exactly those claims,
with KB-JWT ``aud = agency_aud(code)`` and the request's ``nonce``, and verifies it with
``core.credential.verify`` against the issuer's JWKS. No paper copy.

Both sides keep a record: the request row (agency side: who asked, why, what, when, the
answer) and the citizen's presentation log entry (mode ``consent``), shown in their access
log with the purpose. Agency clients authenticate with a secret (``agency_clients``
setting, hashed as soon as it is read; dev: ``demo-<code>-wallet-secret``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import orjson
from sqlmodel import Session, col, select

from core.jose import b64u_encode
from core.oid4vp import build_vp_token
from wallet.consent_errors import (
    AgencyUnauthenticated,
    CitizenNotFound,
    ClaimsUnavailable,
    ConsentAlreadyDecided,
    ConsentExpired,
    ConsentNotFound,
)
from wallet.consent_models import ConsentRequest
from wallet.credentials import get_credential, list_credentials, live_status, require_usable
from wallet.errors import CredentialNotFound
from wallet.models import Credential, PresentationLog, User
from wallet.presenting import _present
from wallet.settings import Settings
from wallet.upstream import Upstream

__all__ = ["VP_CREDENTIAL_ID", "agency_aud", "agency_records", "approve",
           "authenticate_agency", "create", "for_agency", "for_citizen", "refuse"]

IDENTITY_TYPES = ("id_card", "passport", "hk_macau_permit")
VP_CREDENTIAL_ID = "license"


def agency_aud(code: str) -> str:
    """The KB-JWT audience of a presentation for agency ``code``."""
    return f"urn:elicense:agency:{code}"


def authenticate_agency(settings: Settings, secret: str | None) -> str:
    if not secret:
        raise AgencyUnauthenticated()
    digest = hashlib.sha256(secret.encode()).hexdigest()
    found = None
    for code, value in settings.agency_clients.items():
        raw = value.get_secret_value()
        expected = raw[len("sha256:"):] if raw.startswith("sha256:") else (
            hashlib.sha256(raw.encode()).hexdigest())
        if hmac.compare_digest(digest, expected):
            found = code
    if found is None:
        raise AgencyUnauthenticated()
    return found


def _find_citizen(db: Session, *, username: str | None, document_number: str | None) -> User:
    if username:
        user = db.exec(select(User).where(User.username == username)).first()
        if user is not None:
            return user
    elif document_number:
        # Identity documents only; a linear scan of their claims (an index is the
        # production answer, like the issuer's blind index).
        wanted = document_number.strip().upper()
        for cred in db.exec(select(Credential).where(col(Credential.type).in_(IDENTITY_TYPES))):
            if str(cred.claims().get("document_number", "")).upper() == wanted:
                found = db.get(User, cred.user_id)
                if found is not None:
                    return found
    raise CitizenNotFound()


def _view(row: ConsentRequest, *, with_presentation: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id, "agency": row.agency, "purpose": row.purpose,
        "credential_type": row.credential_type, "claims": row.claim_list(),
        "state": row.state, "nonce": row.nonce, "aud": row.aud,
        "created_at": row.created_at, "expires_at": row.expires_at,
        "decided_at": row.decided_at}
    if with_presentation:
        out["presentation"] = row.presentation
        # The same presentation as an OpenID4VP 1.0 VP Token (§8.1) for the Credential
        # Query id ``license``: agencies verify it with core.oid4vp.verify_vp_token against
        # their own DCQL query (client_id = ``aud``).
        out["vp_token"] = (build_vp_token(VP_CREDENTIAL_ID, row.presentation)
                           if row.presentation else None)
    return out


def create(*, db: Session, settings: Settings, agency: str, now: int, purpose: str,
           credential_type: str, claims: list[str], username: str | None = None,
           document_number: str | None = None, nonce: str | None = None) -> dict[str, Any]:
    user = _find_citizen(db, username=username, document_number=document_number)
    assert user.id is not None
    row = ConsentRequest(id=secrets.token_hex(16), agency=agency, user_id=user.id,
                         purpose=purpose, credential_type=credential_type,
                         claims=orjson.dumps(sorted(set(claims))).decode(),
                         nonce=nonce or b64u_encode(secrets.token_bytes(16)),
                         aud=agency_aud(agency), created_at=now,
                         expires_at=now + settings.consent_ttl_s)
    db.add(row)
    db.commit()
    return _view(row, with_presentation=False)


def _expire(db: Session, row: ConsentRequest, now: int) -> None:
    if row.state == "pending" and row.expires_at <= now:
        row.state = "expired"
        db.add(row)
        db.commit()


def for_agency(*, db: Session, agency: str, request_id: str, now: int) -> dict[str, Any]:
    """The agency's view; ``presentation`` is set once the citizen approved."""
    row = db.get(ConsentRequest, request_id)
    if row is None or row.agency != agency:
        raise ConsentNotFound()
    _expire(db, row, now)
    return _view(row, with_presentation=True)


def agency_records(*, db: Session, agency: str, now: int, limit: int = 200
                   ) -> list[dict[str, Any]]:
    """The agency-side record of its requests, newest first (no presentations: fetch one
    by id)."""
    rows = db.exec(select(ConsentRequest).where(ConsentRequest.agency == agency)
                   .order_by(col(ConsentRequest.created_at).desc(), col(ConsentRequest.id))
                   .limit(limit)).all()
    for row in rows:
        _expire(db, row, now)
    return [_view(r, with_presentation=False) for r in rows]


def for_citizen(*, db: Session, user: User, now: int) -> list[dict[str, Any]]:
    rows = db.exec(select(ConsentRequest).where(ConsentRequest.user_id == user.id)
                   .order_by(col(ConsentRequest.created_at).desc(),
                             col(ConsentRequest.id)).limit(200)).all()
    for row in rows:
        _expire(db, row, now)
    return [_view(r, with_presentation=False) for r in rows]


def _pending(db: Session, user: User, request_id: str, now: int) -> ConsentRequest:
    row = db.get(ConsentRequest, request_id)
    if row is None or row.user_id != user.id:
        raise ConsentNotFound()
    _expire(db, row, now)
    if row.state == "expired":
        raise ConsentExpired()
    if row.state != "pending":
        raise ConsentAlreadyDecided(state=row.state)
    return row


def refuse(*, db: Session, user: User, request_id: str, now: int) -> dict[str, Any]:
    row = _pending(db, user, request_id, now)
    row.state, row.decided_at = "refused", now
    db.add(row)
    db.commit()
    return _view(row, with_presentation=False)


def approve(*, db: Session, upstream: Upstream, settings: Settings, user: User,
            request_id: str, now: int, credential_id: str | None = None) -> dict[str, Any]:
    """Present the requested claims to the agency and record the share on both sides."""
    row = _pending(db, user, request_id, now)
    if credential_id:
        cred = get_credential(db=db, user=user, credential_id=credential_id)
        if cred.type != row.credential_type:
            raise CredentialNotFound("that license is not of the requested type")
    else:
        matching = [c for c in list_credentials(db=db, user=user)
                    if c.type == row.credential_type]
        if not matching:
            raise CredentialNotFound("no license of the requested type")
        # The newest license that is neither revoked nor suspended (an amended license
        # replaces one the issuer revoked); if none is, the newest, refused below.
        cred = next((c for c in reversed(matching)
                     if live_status(db=db, upstream=upstream, settings=settings, now=now,
                                    cred=c) not in ("revoked", "suspended")), matching[-1])
    wanted = row.claim_list()
    missing = [c for c in wanted if c not in cred.disclosable()]
    if missing:
        raise ClaimsUnavailable(claims=missing)
    require_usable(db=db, upstream=upstream, settings=settings, now=now, cred=cred)
    presentation, copy, _ = _present(db, settings=settings, user=user, cred=cred,
                                     disclose=wanted, aud=row.aud, nonce=row.nonce, now=now)
    assert user.id is not None
    log = PresentationLog(user_id=user.id, credential_id=cred.id, copy_id=copy.id,
                          scenario="consent", mode="consent", verifier_client=row.agency,
                          aud=row.aud, at=now)
    db.add(log)
    db.flush()
    row.state, row.decided_at, row.presentation = "approved", now, presentation
    row.credential_id, row.log_id = cred.id, log.id
    db.add(row)
    db.commit()
    return _view(row, with_presentation=False)
