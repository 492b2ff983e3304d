"""The citizen's licenses: pick-up (OpenID4VCI, verify, store the copies), listing with live
status, and ownership (another citizen's id is simply ``credential_not_found``).

Every SD-JWT is verified with ``core.credential.verify(key_binding=False)`` against the
issuer's own JWKS before it is stored, and all copies of one pick-up must agree on issuer,
type and claims (they are one license).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import orjson
from sqlmodel import Session, col, func, select

from core.clock import Clock
from core.credential import verify
from core.errors import MalformedError
from core.jose import b64u_decode, json_loads_object
from wallet import oid4vci
from wallet.errors import (
    CredentialNotFound,
    CredentialRevoked,
    CredentialSuspended,
    IssuerFailed,
)
from wallet.holder import new_holder_key
from wallet.i18n import type_names
from wallet.issuers import issuer_keys, status_of
from wallet.models import Copy, Credential, User
from wallet.settings import Settings
from wallet.upstream import Upstream

__all__ = ["accept_offer", "copies_left", "get_credential", "list_credentials", "live_status",
           "type_of", "view"]


def type_of(vct: str) -> str:
    """``{public_url}/issuer/vct/{type}`` → ``type`` (the last path segment)."""
    return vct.rstrip("/").rsplit("/", 1)[-1]


def accept_offer(*, db: Session, upstream: Upstream, settings: Settings, clock: Clock,
                 user: User, offer: Any = None, offer_uri: str | None = None,
                 tx_code: str | None = None) -> list[Credential]:
    assert user.id is not None
    user_id = user.id
    now = clock.now()
    resolved = oid4vci.resolve_offer(upstream, offer=offer, offer_uri=offer_uri)
    picked = oid4vci.pick_up(
        upstream, offer=resolved, tx_code=tx_code, preferred_alg=settings.holder_alg,
        batch_size=settings.batch_size, now=now, meta_ttl=settings.metadata_cache_s,
        new_holder_key=lambda alg: new_holder_key(db=db, user_id=user_id, alg=alg,
                                                  settings=settings, clock=clock))
    stored = []
    for batch in picked:
        stored.append(_store(db=db, upstream=upstream, settings=settings, now=now,
                             user_id=user_id, batch=batch))
    db.commit()
    return stored


def _store(*, db: Session, upstream: Upstream, settings: Settings, now: int, user_id: int,
           batch: oid4vci.PickedUp) -> Credential:
    cred: Credential | None = None
    for sd_jwt, signer in batch.credentials:
        iss = _unverified_iss(sd_jwt)
        if iss != batch.credential_issuer:
            raise IssuerFailed("credential iss is not the issuer of the offer")
        keys = issuer_keys(upstream, iss, ttl=settings.metadata_cache_s)
        v = verify(sd_jwt, keys=keys, key_binding=False, now=now, leeway=settings.leeway_s,
                   algorithms=settings.allowed_algs)
        expected_vct = batch.configuration.get("vct")
        if expected_vct is not None and v.vct != expected_vct:
            raise IssuerFailed("credential vct is not the offered configuration's")
        status = (v.status or {}).get("status_list") or {}
        if cred is None:
            cred = Credential(
                id=secrets.token_hex(16), user_id=user_id, type=type_of(v.vct or ""),
                vct=v.vct or "", issuer=v.issuer, agency=v.claims.get("agency"),
                configuration_id=batch.configuration_id, issued_at=int(v.claims.get("iat", now)),
                expires_at=v.claims.get("exp"),
                claims_json=orjson.dumps(_personal(v.claims)).decode(),
                disclosable_json=orjson.dumps(sorted(v.disclosed)).decode(), created_at=now)
            db.add(cred)
            db.flush()
        elif v.vct != cred.vct or v.issuer != cred.issuer:
            raise IssuerFailed("copies of one license disagree")
        db.add(Copy(credential_id=cred.id, sd_jwt=sd_jwt, holder_kid=signer.kid,
                    status_uri=status.get("uri"), status_idx=status.get("idx"),
                    created_at=now))
    assert cred is not None
    return cred


def _unverified_iss(sd_jwt: str) -> str | None:
    try:
        payload = json_loads_object(b64u_decode(sd_jwt.split("~", 1)[0].split(".")[1]))
    except (IndexError, MalformedError) as exc:
        raise IssuerFailed("not a compact SD-JWT") from exc
    iss = payload.get("iss")
    return iss if isinstance(iss, str) else None


_NOT_PERSONAL = {"iss", "iat", "exp", "nbf", "vct", "cnf", "status", "agency", "vct#integrity"}


def _personal(claims: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k not in _NOT_PERSONAL}


def list_credentials(*, db: Session, user: User) -> list[Credential]:
    rows = db.exec(select(Credential).where(Credential.user_id == user.id)
                   .order_by(col(Credential.created_at), col(Credential.id))).all()
    return list(rows)


def get_credential(*, db: Session, user: User, credential_id: str) -> Credential:
    cred = db.get(Credential, credential_id)
    if cred is None or cred.user_id != user.id:  # another citizen's id looks like no id
        raise CredentialNotFound()
    return cred


def copies_left(*, db: Session, credential_id: str) -> int:
    return int(db.exec(select(func.count()).select_from(Copy).where(
        Copy.credential_id == credential_id, col(Copy.used_at).is_(None))).one())


def next_copy(*, db: Session, credential_id: str) -> Copy | None:
    """The copy the next presentation would use (unused first, then least recently used)."""
    unused = db.exec(select(Copy).where(Copy.credential_id == credential_id,
                                        col(Copy.used_at).is_(None))
                     .order_by(col(Copy.id)).limit(1)).first()
    if unused is not None:
        return unused
    return db.exec(select(Copy).where(Copy.credential_id == credential_id)
                   .order_by(col(Copy.used_at), col(Copy.id)).limit(1)).first()


def live_status(*, db: Session, upstream: Upstream, settings: Settings, now: int,
                cred: Credential) -> str:
    copy = next_copy(db=db, credential_id=cred.id)
    if copy is None:
        return "unknown"
    return status_of(upstream, iss=cred.issuer, uri=copy.status_uri, idx=copy.status_idx,
                     now=now, ttl=settings.status_cache_s, meta_ttl=settings.metadata_cache_s)


def require_usable(*, db: Session, upstream: Upstream, settings: Settings, now: int,
                   cred: Credential) -> None:
    """Refuse to present a credential its issuer has revoked or suspended (live status)."""
    status = live_status(db=db, upstream=upstream, settings=settings, now=now, cred=cred)
    if status == "revoked":
        raise CredentialRevoked()
    if status == "suspended":
        raise CredentialSuspended()


def view(*, cred: Credential, status: str, copies: int, low_water: int) -> dict[str, Any]:
    claims = cred.claims()
    return {
        "id": cred.id, "type": cred.type, "names": type_names(cred.type), "vct": cred.vct,
        "issuer": cred.issuer, "agency": cred.agency, "issued_at": cred.issued_at,
        "expires_at": cred.expires_at, "valid_until": claims.get("valid_until"),
        "status": status, "copies_remaining": copies, "copies_low": copies <= low_water,
    }
