"""OpenID4VCI 1.0 §8.2.1.1 ``jwt`` key proofs: the wallet proves possession of the key the
credential will be bound to.

By design of that profile the key is the ``jwk`` in the proof's own header (it is the key
being proven, not a key we trust); everything else is checked against our policy: ``typ``
``openid4vci-proof+jwt``, ``alg`` ES256/EdDSA and matching the key, no private key
material, ``aud`` = the credential issuer, ``iat`` recent, a ``nonce`` (the caller checks it
was a fresh ``c_nonce``). Every failure is ``invalid_proof`` with a ``reason``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from core.errors import ELicenseError
from core.jose import check_alg, parse_compact, public_key_from_jwk, verify_signature
from issuer.errors import InvalidProof

__all__ = ["PROOF_TYP", "CheckedProof", "check_proof"]

PROOF_TYP = "openid4vci-proof+jwt"


@dataclass(frozen=True)
class CheckedProof:
    jwk: dict[str, Any]
    kid: str
    nonce: str


def check_proof(jwt: Any, *, audience: str, now: int, max_age_s: int, leeway_s: int,
                algorithms: Collection[str]) -> CheckedProof:
    if not isinstance(jwt, str):
        raise InvalidProof("proof must be a compact JWT", reason="malformed")
    try:
        header, payload, signing_input, signature = parse_compact(jwt)
    except ELicenseError:
        raise InvalidProof("proof is not a compact JWT", reason="malformed") from None
    if header.get("typ") != PROOF_TYP:
        raise InvalidProof(f"proof typ must be {PROOF_TYP}", reason="typ")
    if "crit" in header:
        raise InvalidProof("crit not supported", reason="crit")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise InvalidProof("proof header must carry the holder jwk", reason="jwk_missing")
    if "d" in jwk:
        raise InvalidProof("proof jwk holds private key material", reason="private_key")
    if "kid" in header or "x5c" in header:
        raise InvalidProof("jwk, kid and x5c are mutually exclusive", reason="key_ambiguous")
    try:
        key = public_key_from_jwk(jwk)
        check_alg(header.get("alg"), key, algorithms)
        verify_signature(key, signature, signing_input)
    except ELicenseError as exc:
        raise InvalidProof(f"proof does not verify: {exc.detail}", reason=exc.code) from None
    aud = payload.get("aud")
    if not (aud == audience or (isinstance(aud, list) and audience in aud)):
        raise InvalidProof("proof aud is not this credential issuer", reason="aud")
    iat = payload.get("iat")
    if type(iat) is not int:
        raise InvalidProof("proof iat missing", reason="iat")
    if iat > now + leeway_s or iat < now - max_age_s:
        raise InvalidProof("proof iat outside the accepted window", reason="iat")
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise InvalidProof("proof nonce missing", reason="nonce")
    return CheckedProof(jwk=dict(key.jwk), kid=key.kid, nonce=nonce)
