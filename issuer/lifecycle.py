"""Credential lifecycle for an agency: revoke, suspend, reinstate, reissue, list and search.

An agency only ever touches its own credentials (``credential_not_owned`` otherwise) and
only with the scope for that type and action. A state change marks the credential's status
list as changed; its token is re-signed on the next read (``issuer.statuslists``).

    valid ──suspend──▶ suspended ──reinstate──▶ valid
      └──────revoke──────┴──────revoke──────▶ revoked (final)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from core.signing import Signer
from issuer import audit, events, issuance, statuslists
from issuer.errors import CredentialNotFound, CredentialNotOwned, InvalidTransition
from issuer.models import Credential
from issuer.oauth import Principal
from issuer.schemas import ReissueRequest
from issuer.sealing import sealer_for
from issuer.settings import IssuerSettings

__all__ = ["TRANSITIONS", "change_state", "get_owned", "list_credentials", "public_view",
           "reissue"]

TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "revoke": (frozenset({"valid", "suspended"}), "revoked"),
    "suspend": (frozenset({"valid"}), "suspended"),
    "reinstate": (frozenset({"suspended"}), "valid"),
}


# License events (issue 8) of each state change; a reissue is one ``changed`` event.
_EVENT_OF = {"revoke": "revoked", "suspend": "suspended", "reinstate": "reinstated"}


def public_view(settings: IssuerSettings, row: Credential) -> dict[str, Any]:
    return {
        "id": row.id, "type": row.type, "agency": row.agency_code, "state": row.state,
        "status": issuance.status_ref(settings, row.status_list_id, row.status_idx),
        "delivery": row.delivery, "ref": row.ref, "holder_jkt": row.holder_jkt,
        "iat": row.iat, "exp": row.exp, "replaces": row.replaces,
    }


def get_owned(*, session: Session, principal: Principal, cred_id: str,
              action: str) -> Credential:
    row = session.get(Credential, cred_id)
    if row is None:
        raise CredentialNotFound(f"no credential {cred_id!r}")
    if row.agency_code != principal.agency:
        raise CredentialNotOwned("this credential belongs to another agency")
    principal.require(action, row.type)
    return row


def _set_state(session: Session, row: Credential, action: str, now: int) -> None:
    allowed, target = TRANSITIONS[action]
    if row.state not in allowed:
        raise InvalidTransition(f"cannot {action} a {row.state} credential",
                                state=row.state)
    row.state = target
    row.updated_at = now
    session.add(row)
    statuslists.mark_credential_changed(session, row)


def change_state(*, session: Session, settings: IssuerSettings, principal: Principal,
                 cred_id: str, action: str, now: int, reason: str | None = None
                 ) -> dict[str, Any]:
    """``revoke`` / ``suspend`` / ``reinstate`` one of the agency's credentials."""
    row = get_owned(session=session, principal=principal, cred_id=cred_id, action="revoke")
    _set_state(session, row, action, now)
    detail: dict[str, Any] = {"type": row.type, "state": row.state}
    if reason:
        detail["reason"] = reason  # free text from the agency: keep it free of personal data
    audit.append(session, audit.AuditEntry(at=now, agency_code=principal.agency,
                                           actor=principal.client_id, action=action,
                                           credential_id=row.id, detail=detail))
    sealer = sealer_for(settings.key_encryption_secret.get_secret_value())
    events.emit(session, settings, kind=_EVENT_OF[action], credential_id=row.id,
                type_=row.type, agency=row.agency_code, state=row.state, now=now,
                claims=sealer.open(row.claims_enc, aad=row.id.encode()))
    session.commit()
    return public_view(settings, row)


def reissue(*, session: Session, settings: IssuerSettings, signer: Signer,
            principal: Principal, cred_id: str, req: ReissueRequest, now: int
            ) -> dict[str, Any]:
    """A new credential from the old one's claims (with ``req.claims`` changes) for a new
    holder key or offer; the old credential is revoked in the same transaction."""
    old = get_owned(session=session, principal=principal, cred_id=cred_id, action="revoke")
    lt = issuance.authorize_type(principal, old.type, "issue")
    sealer = sealer_for(settings.key_encryption_secret.get_secret_value())
    old_claims = sealer.open(old.claims_enc, aad=old.id.encode())
    claims = {**old_claims, **req.claims}
    p = issuance.prepare(settings=settings, lt=lt, claims=claims, holder=req.holder,
                         valid_until=req.valid_until, now=now)
    _set_state(session, old, "revoke", now)
    audit.append(session, audit.AuditEntry(at=now, agency_code=principal.agency,
                                           actor=principal.client_id, action="revoke",
                                           credential_id=old.id,
                                           detail={"type": old.type, "state": "revoked",
                                                   "reason": "reissued"}))
    body = issuance.issue_prepared(session=session, settings=settings, signer=signer,
                                   principal=principal, p=p, now=now, action="reissue",
                                   replaces=old.id)
    events.emit(session, settings, kind="changed", credential_id=body["id"], type_=old.type,
                agency=old.agency_code, state="valid", now=now, before=old_claims,
                claims=claims, replaces=old.id)
    session.commit()
    return body


def list_credentials(*, session: Session, settings: IssuerSettings, principal: Principal,
                     type_: str | None = None, q: str | None = None,
                     state: str | None = None, limit: int = 50, offset: int = 0
                     ) -> dict[str, Any]:
    """The agency's own credentials (never claims), newest first. ``q`` matches an id, a
    bulk ``ref`` or, exactly, the document number (through its blind index)."""
    readable = sorted(s.rsplit(":", 1)[1] for s in principal.scopes
                      if s.startswith("credential:read:"))
    if type_ is not None:
        issuance.authorize_type(principal, type_, "read")
        types = [type_]
    else:
        types = readable
    stmt = select(Credential).where(Credential.agency_code == principal.agency,
                                    col(Credential.type).in_(types))
    if state is not None:
        stmt = stmt.where(Credential.state == state)
    if q:
        sealer = sealer_for(settings.key_encryption_secret.get_secret_value())
        blind = [sealer.blind_index(t, q) for t in types]
        stmt = stmt.where(or_(col(Credential.id) == q.strip(),
                              col(Credential.ref) == q.strip(),
                              col(Credential.subject_hmac).in_(blind)))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(col(Credential.iat).desc(), col(Credential.id))
                        .limit(limit).offset(offset)).all()
    return {"items": [public_view(settings, r) for r in rows], "total": int(total)}
