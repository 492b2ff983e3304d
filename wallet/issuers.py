"""What the wallet learns from an issuer over HTTP: its JWKS (SD-JWT VC issuer metadata,
``/.well-known/jwt-vc-issuer``) and the live status of a credential copy (IETF Token Status
List, verified against that issuer's own keys, never a key from the token), both cached.

The issuer metadata is looked for at ``{iss}/.well-known/jwt-vc-issuer`` (how a mounted
service publishes it, DESIGN §7) and then at the SD-JWT VC well-known form
``{origin}/.well-known/jwt-vc-issuer{path}``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from core.credential import StaticKeys
from core.errors import ELicenseError, UpstreamError, VerificationError
from core.statuslist import verify_status_list_token
from wallet.errors import IssuerFailed
from wallet.upstream import Upstream

__all__ = ["STATUS_NAMES", "issuer_jwks", "issuer_keys", "status_of"]

STATUS_NAMES = {0: "valid", 1: "revoked", 2: "suspended"}


def _metadata_urls(iss: str) -> list[str]:
    parts = urlsplit(iss)
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    return [f"{iss.rstrip('/')}/.well-known/jwt-vc-issuer",
            f"{origin}/.well-known/jwt-vc-issuer{path}"]


def issuer_jwks(upstream: Upstream, iss: str, *, ttl: int) -> dict[str, Any]:
    last: ELicenseError | None = None
    for url in _metadata_urls(iss):
        try:
            meta = upstream.get(url, error=IssuerFailed, ttl=ttl)
        except UpstreamError as exc:
            last = exc
            continue
        if not isinstance(meta, dict) or meta.get("issuer") != iss:
            raise IssuerFailed("issuer metadata does not name this issuer")
        jwks = meta.get("jwks")
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise IssuerFailed("issuer metadata has no inline jwks")
        return jwks
    assert last is not None
    raise last


def issuer_keys(upstream: Upstream, iss: str, *, ttl: int) -> StaticKeys:
    return StaticKeys({iss: issuer_jwks(upstream, iss, ttl=ttl)})


def status_of(upstream: Upstream, *, iss: str, uri: str | None, idx: int | None, now: int,
              ttl: int, meta_ttl: int) -> str:
    """"valid", "revoked", "suspended", "unknown" (list unreachable or not verifiable), or
    "none" when the copy carries no status reference."""
    if uri is None or idx is None:
        return "none"
    try:
        token = upstream.get(uri, error=IssuerFailed, ttl=ttl, as_json=False,
                             headers={"Accept": "application/statuslist+jwt"})
        keys = issuer_keys(upstream, iss, ttl=meta_ttl)
        verified = verify_status_list_token(token, keys=keys, sub=uri, now=now)
        value = verified.get(idx)
    except (UpstreamError, VerificationError):
        upstream.invalidate(uri)  # do not keep a bad answer for the whole ttl
        return "unknown"
    return STATUS_NAMES.get(value, "unknown")
