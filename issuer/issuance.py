"""Issuing one credential (SD-JWT VC, RFC 9901 + draft-ietf-oauth-sd-jwt-vc): authorize the
agency, validate the claims against the catalog, draw a status index, sign, store (claims
sealed), audit, and make ``Idempotency-Key`` replays return the first response.

The building blocks (``prepare``, ``sign``, ``credential_row``) are shared with the bulk
path (``issuer.bulk``) and the OpenID4VCI pick-up (``issuer.oid4vci``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core import credential
from core.errors import ELicenseError, ValidationFailed
from core.jose import public_key_from_jwk
from core.signing import Signer
from issuer import audit, events, statuslists
from issuer.catalog import LicenseType, check_claims, get_type
from issuer.errors import IdempotencyKeyReused, TypeNotAllowed
from issuer.models import Credential, IdempotencyRecord
from issuer.oauth import Principal
from issuer.schemas import Holder, IssueRequest
from issuer.sealing import sealer_for
from issuer.settings import IssuerSettings

__all__ = ["Prepared", "authorize_type", "credential_row", "issue", "prepare", "sign"]

_MAX_VALIDITY_S = 100 * 366 * 86_400


@dataclass(frozen=True)
class Prepared:
    """A validated request: what to sign, for whom, until when."""

    lt: LicenseType
    claims: dict[str, Any]  # as given (kept sealed for reissue)
    signed_claims: dict[str, Any]  # with computed claims
    holder_jwk: dict[str, Any] | None  # None: an OpenID4VCI offer
    exp: int


def authorize_type(principal: Principal, type_: str, action: str) -> LicenseType:
    """The license type, if ``principal``'s agency issues it and its token has the scope."""
    lt = get_type(type_)
    if lt.agency != principal.agency:
        raise TypeNotAllowed(f"agency {principal.agency!r} may not {action} {type_!r}")
    principal.require(action, type_)
    return lt


def holder_key(holder: Holder) -> dict[str, Any] | None:
    if holder.jwk is None:
        return None
    if "d" in holder.jwk:
        raise ValidationFailed("holder.jwk must be a public key", errors=[
            {"field": "holder.jwk", "code": "private_key_material",
             "message": "a private key was sent; send only the public JWK"}])
    try:
        return dict(public_key_from_jwk(holder.jwk).jwk)
    except ELicenseError as exc:
        raise ValidationFailed("holder.jwk is not a supported public key", errors=[
            {"field": "holder.jwk", "code": "invalid_jwk", "message": exc.detail}]) from None


def prepare(*, settings: IssuerSettings, lt: LicenseType, claims: dict[str, Any],
            holder: Holder, valid_until: int | None, now: int) -> Prepared:
    signed = check_claims(lt, claims, now=now, utc_offset_s=settings.local_utc_offset_s,
                          portrait_max_bytes=settings.portrait_max_bytes,
                          portrait_max_side=settings.portrait_max_side)
    jwk = holder_key(holder)
    if valid_until is None:
        exp = now + lt.default_validity_days * 86_400
    elif not now < valid_until <= now + _MAX_VALIDITY_S:
        raise ValidationFailed("valid_until out of range", errors=[
            {"field": "valid_until", "code": "out_of_range",
             "message": "valid_until must be in the future (epoch seconds)"}])
    else:
        exp = valid_until
    return Prepared(lt=lt, claims=dict(claims), signed_claims=signed, holder_jwk=jwk, exp=exp)


def sign(*, signer: Signer, settings: IssuerSettings, lt: LicenseType,
         claims: dict[str, Any], holder_jwk: dict[str, Any], agency: str, iat: int,
         exp: int, list_id: int, idx: int) -> str:
    return credential.issue(
        signer=signer, iss=settings.issuer_url, vct=settings.vct(lt.type),
        claims={**claims, "agency": agency}, sd=lt.selectively_disclosable,
        holder_jwk=holder_jwk, iat=iat, exp=exp,
        status={"status_list": {"idx": idx, "uri": settings.status_list_uri(list_id)}})


def credential_row(*, settings: IssuerSettings, p: Prepared, cred_id: str, agency: str,
                   list_id: int, idx: int, now: int, ref: str | None = None,
                   replaces: str | None = None) -> dict[str, Any]:
    """The ``issuer_credential`` row for ``p`` (a dict, ready for a bulk INSERT)."""
    sealer = sealer_for(settings.key_encryption_secret.get_secret_value())
    subject = p.claims.get(p.lt.subject_claim)
    return {
        "id": cred_id, "agency_code": agency, "type": p.lt.type, "state": "valid",
        "status_list_id": list_id, "status_idx": idx, "ref": ref,
        "subject_hmac": sealer.blind_index(p.lt.type, str(subject)) if subject else None,
        "holder_jkt": public_key_from_jwk(p.holder_jwk).kid if p.holder_jwk else None,
        "iat": now, "exp": p.exp,
        "delivery": "delivered" if p.holder_jwk else "pending_pickup",
        "claims_enc": sealer.seal(p.claims, aad=cred_id.encode()),
        "replaces": replaces, "updated_at": now,
    }


def status_ref(settings: IssuerSettings, list_id: int, idx: int) -> dict[str, Any]:
    return {"idx": idx, "uri": settings.status_list_uri(list_id)}


def request_hash(body: Any) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _replay(settings: IssuerSettings, rec: IdempotencyRecord, req_hash: str
            ) -> dict[str, Any]:
    if rec.request_hash != req_hash:
        raise IdempotencyKeyReused("Idempotency-Key already used with a different request")
    sealer = sealer_for(settings.key_encryption_secret.get_secret_value())
    out: dict[str, Any] = sealer.open(rec.response_enc, aad=b"idem:" + rec.key.encode())
    return out


def issue_prepared(*, session: Session, settings: IssuerSettings, signer: Signer,
                   principal: Principal, p: Prepared, now: int, action: str = "issue",
                   replaces: str | None = None) -> dict[str, Any]:
    """Store and sign ``p`` in the caller's transaction; the API response body."""
    from issuer.oid4vci import create_offer  # late: oid4vci builds on this module

    [(list_id, idx)] = statuslists.allocate(session, settings, 1, now)
    cred_id = secrets.token_hex(16)
    status = status_ref(settings, list_id, idx)
    body: dict[str, Any] = {"id": cred_id, "status": status}
    session.add(Credential(**credential_row(settings=settings, p=p, cred_id=cred_id,
                                            agency=principal.agency, list_id=list_id,
                                            idx=idx, now=now, replaces=replaces)))
    session.flush()
    if p.holder_jwk is not None:
        body["credential"] = sign(signer=signer, settings=settings, lt=p.lt,
                                  claims=p.signed_claims, holder_jwk=p.holder_jwk,
                                  agency=principal.agency, iat=now, exp=p.exp,
                                  list_id=list_id, idx=idx)
    else:
        body["offer"] = create_offer(session=session, settings=settings,
                                             credential_id=cred_id, type_=p.lt.type, now=now)
    detail: dict[str, Any] = {"type": p.lt.type, "list": list_id, "idx": idx,
                              "delivery": "offer" if p.holder_jwk is None else "direct"}
    if replaces:
        detail["replaces"] = replaces
    audit.append(session, audit.AuditEntry(at=now, agency_code=principal.agency,
                                           actor=principal.client_id, action=action,
                                           credential_id=cred_id, detail=detail))
    if action == "issue":  # a reissue is announced as ``changed`` by issuer.lifecycle
        events.emit(session, settings, kind="issued", credential_id=cred_id, type_=p.lt.type,
                    agency=principal.agency, state="valid", claims=p.claims, now=now)
    return body


def issue(*, session: Session, settings: IssuerSettings, signer: Signer,
          principal: Principal, req: IssueRequest, now: int,
          idempotency_key: str | None = None) -> dict[str, Any]:
    """``POST /v1/credentials``: issue one credential (or an offer), idempotently."""
    lt = authorize_type(principal, req.type, "issue")
    req_hash = request_hash(req.model_dump(mode="json"))
    if idempotency_key:
        rec = session.get(IdempotencyRecord, (principal.agency, idempotency_key))
        if rec is not None and rec.created_at + settings.idempotency_ttl_s <= now:
            session.delete(rec)  # forgotten: this request is a new one
            session.flush()
        elif rec is not None:
            return _replay(settings, rec, req_hash)
    p = prepare(settings=settings, lt=lt, claims=req.claims, holder=req.holder,
                valid_until=req.valid_until, now=now)
    for attempt in range(3):
        try:
            body = issue_prepared(session=session, settings=settings, signer=signer,
                                  principal=principal, p=p, now=now)
            if idempotency_key:
                sealer = sealer_for(settings.key_encryption_secret.get_secret_value())
                session.add(IdempotencyRecord(
                    agency_code=principal.agency, key=idempotency_key, request_hash=req_hash,
                    response_enc=sealer.seal(body, aad=b"idem:" + idempotency_key.encode()),
                    created_at=now))
            session.commit()
            return body
        except IntegrityError:
            # A concurrent request took our status index, audit slot or idempotency key.
            session.rollback()
            if idempotency_key:
                rec = session.get(IdempotencyRecord, (principal.agency, idempotency_key))
                if rec is not None:
                    return _replay(settings, rec, req_hash)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
