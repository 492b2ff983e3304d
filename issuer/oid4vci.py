"""OpenID for Verifiable Credential Issuance 1.0, minimal profile: pre-authorized code flow.

1. An agency issues with ``holder: {offer: true}``: a credential offer (§4.1) with a
   pre-authorized code (256-bit, stored hashed) and a ``tx_code`` PIN (6 digits) the
   citizen gets out of band.
2. The wallet trades code + PIN at the token endpoint (§6.1, grant
   ``urn:ietf:params:oauth:grant-type:pre-authorized_code``): single use, expiring, at most
   ``offer_max_pin_attempts`` wrong PINs, then the offer is locked.
3. ``POST /oid4vci/nonce`` (§7) gives a ``c_nonce``; the wallet signs key proofs with it.
4. ``POST /oid4vci/credential`` (§8) with the access token and ``proofs.jwt`` (up to
   ``max_batch_proofs``): one SD-JWT VC per proof, each bound to that proof's key with its
   own salts, so the wallet can use a different copy per presentation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import quote

import orjson
from sqlalchemy import delete
from sqlmodel import Session, col

from core.signing import Signer
from issuer import audit, issuance, statuslists
from issuer.catalog import check_claims, get_type
from issuer.errors import InvalidGrant, InvalidNonce, InvalidProof, InvalidToken
from issuer.models import Credential, CredentialCopy, Nonce, Offer, Token
from issuer.oauth import hash_token, new_token
from issuer.proofs import check_proof
from issuer.sealing import sealer_for
from issuer.settings import IssuerSettings

__all__ = ["PRE_AUTH_GRANT", "create_offer", "credential", "new_nonce", "redeem_code"]

PRE_AUTH_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PIN_LENGTH = 6


def _pin_hash(code_hash: str, pin: str) -> str:
    return hashlib.sha256(f"{code_hash}:{pin}".encode()).hexdigest()


def create_offer(*, session: Session, settings: IssuerSettings, credential_id: str,
                 type_: str, now: int) -> dict[str, Any]:
    code = new_token()
    pin = "".join(secrets.choice("0123456789") for _ in range(PIN_LENGTH))
    code_hash = hash_token(code)
    session.add(Offer(code_hash=code_hash, credential_id=credential_id,
                      pin_hash=_pin_hash(code_hash, pin), exp=now + settings.offer_ttl_s))
    offer = {
        "credential_issuer": settings.issuer_url,
        "credential_configuration_ids": [type_],
        "grants": {PRE_AUTH_GRANT: {
            "pre-authorized_code": code,
            "tx_code": {"input_mode": "numeric", "length": PIN_LENGTH,
                        "description": "PIN from the issuing agency / 发证机关提供的PIN码"},
        }},
    }
    return {
        "credential_offer": offer,
        "credential_offer_url": "openid-credential-offer://?credential_offer="
                                + quote(orjson.dumps(offer).decode(), safe=""),
        "tx_code": pin,
        "expires_at": now + settings.offer_ttl_s,
    }


def redeem_code(*, session: Session, settings: IssuerSettings, code: str | None,
                tx_code: str | None, now: int) -> dict[str, Any]:
    """Token endpoint, pre-authorized grant: an access token for one credential pick-up."""
    if not code:
        raise InvalidGrant("pre-authorized_code missing", reason="missing_code")
    offer = session.get(Offer, hash_token(code))
    if offer is None:
        raise InvalidGrant("unknown pre-authorized code", reason="unknown_code")
    if offer.redeemed:
        raise InvalidGrant("pre-authorized code already used", reason="code_used")
    if offer.exp <= now:
        raise InvalidGrant("pre-authorized code expired", reason="code_expired")
    if offer.attempts >= settings.offer_max_pin_attempts:
        raise InvalidGrant("too many wrong PINs: offer locked", reason="locked")
    if not tx_code or not hmac.compare_digest(_pin_hash(offer.code_hash, tx_code),
                                              offer.pin_hash):
        offer.attempts += 1
        session.add(offer)
        session.commit()
        raise InvalidGrant("wrong tx_code", reason="wrong_tx_code",
                           attempts_left=max(0, settings.offer_max_pin_attempts - offer.attempts))
    cred = session.get(Credential, offer.credential_id)
    if cred is None or cred.state == "revoked":
        raise InvalidGrant("the offered credential was withdrawn", reason="withdrawn")
    offer.redeemed = True
    token = new_token()
    ttl = settings.access_token_ttl_s
    session.add(offer)
    session.add(Token(token_hash=hash_token(token), kind="oid4vci", credential_id=cred.id,
                      agency_code=cred.agency_code, scope=f"oid4vci:{cred.type}",
                      exp=now + ttl))
    session.commit()
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl}


def new_nonce(*, session: Session, settings: IssuerSettings, now: int) -> str:
    nonce = new_token()
    session.execute(delete(Nonce).where(col(Nonce.exp) <= now))
    session.add(Nonce(nonce_hash=hash_token(nonce), exp=now + settings.c_nonce_ttl_s))
    session.commit()
    return nonce


def _proof_jwts(body: dict[str, Any], cap: int) -> list[Any]:
    proofs = body.get("proofs")
    if proofs is not None:
        if not isinstance(proofs, dict) or set(proofs) != {"jwt"} or not isinstance(
                proofs["jwt"], list) or not proofs["jwt"]:
            raise InvalidProof("proofs must be {\"jwt\": [...]}", reason="proofs_shape")
        jwts = list(proofs["jwt"])
    else:
        proof = body.get("proof")
        if not isinstance(proof, dict) or proof.get("proof_type") != "jwt":
            raise InvalidProof("a jwt proof is required", reason="proof_missing")
        jwts = [proof.get("jwt")]
    if len(jwts) > cap:
        raise InvalidProof(f"at most {cap} proofs per request", reason="too_many_proofs")
    return jwts


def credential(*, session: Session, settings: IssuerSettings, signer: Signer, token: str,
               body: dict[str, Any], now: int) -> dict[str, Any]:
    """Credential endpoint: one SD-JWT VC per key proof, bound to that proof's key."""
    row = session.get(Token, hash_token(token))
    if row is None or row.kind != "oid4vci" or row.exp <= now or row.used \
            or row.credential_id is None:
        raise InvalidToken("access token invalid, used or expired")
    cred = session.get(Credential, row.credential_id)
    if cred is None or cred.state == "revoked":
        raise InvalidToken("the offered credential was withdrawn")
    wanted = body.get("credential_configuration_id")
    if wanted is not None and wanted != cred.type:
        raise InvalidProof("credential_configuration_id does not match the offer",
                           reason="credential_configuration_id", error="invalid_credential_request")
    checked = [check_proof(j, audience=settings.issuer_url, now=now,
                           max_age_s=settings.proof_max_age_s, leeway_s=settings.leeway_s,
                           algorithms=settings.allowed_algs)
               for j in _proof_jwts(body, settings.max_batch_proofs)]
    # Each distinct c_nonce must be one we handed out, unexpired and unused; then it's gone.
    for nonce in {c.nonce for c in checked}:
        n = session.get(Nonce, hash_token(nonce))
        if n is None or n.exp <= now:
            raise InvalidNonce("c_nonce unknown, used or expired", error="invalid_nonce")
        session.delete(n)
    lt = get_type(cred.type)
    sealer = sealer_for(settings.key_encryption_secret.get_secret_value())
    claims = check_claims(lt, sealer.open(cred.claims_enc, aad=cred.id.encode()), now=now,
                          utc_offset_s=settings.local_utc_offset_s,
                          portrait_max_bytes=settings.portrait_max_bytes,
                          portrait_max_side=settings.portrait_max_side)
    # The first copy carries the credential's own status index; each further copy gets a
    # fresh one (its value follows the credential's state), so copies are unlinkable by idx.
    slots = [(cred.status_list_id, cred.status_idx)]
    slots += statuslists.allocate(session, settings, len(checked) - 1, now)
    for list_id, idx in slots[1:]:
        session.add(CredentialCopy(credential_id=cred.id, status_list_id=list_id,
                                   status_idx=idx))
    out = [{"credential": issuance.sign(
        signer=signer, settings=settings, lt=lt, claims=claims, holder_jwk=c.jwk,
        agency=cred.agency_code, iat=now, exp=cred.exp, list_id=list_id, idx=idx)}
        for c, (list_id, idx) in zip(checked, slots, strict=True)]
    row.used = True
    cred.delivery = "delivered"
    cred.holder_jkt = checked[0].kid
    cred.updated_at = now
    session.add(row)
    session.add(cred)
    audit.append(session, audit.AuditEntry(
        at=now, agency_code=cred.agency_code, actor="oid4vci", action="pickup",
        credential_id=cred.id, detail={"copies": len(out), "type": cred.type}))
    session.commit()
    return {"credentials": out}
