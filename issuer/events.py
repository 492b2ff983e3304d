"""License events (issue 8): what happened to a credential, fanned out to the agencies that
subscribed (``issuer.subscriptions``) as signed webhooks (``issuer.events_delivery``).

Signature (receivers: ``verify_webhook``, docs/workflows.md §1): a JWS with detached
payload (RFC 7515 §7.2 compact serialization, Appendix F) over the exact request body,
sent in the ``Elicense-Signature`` header as ``<b64url(header)>..<b64url(signature)>``.
The protected header is ``{"alg", "kid", "typ": "elicense-event+jws", "iss", "iat",
"jti"}``: ``kid`` names a key of the issuer's JWKS (``/issuer/jwks.json``), ``jti`` is the
event id, which also comes as ``Elicense-Event-Id`` and inside the body (``id``): receivers
process an id once (delivery is at least once).

``emit`` runs in the caller's transaction (an outbox): the event and its deliveries commit
with the state change or not at all. Events hold no personal data; a delivery's body holds
only the claims its subscription may reveal, sealed at rest.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from typing import Any

import orjson
from sqlmodel import Session, select

from core.errors import ELicenseError
from core.jose import (
    b64u_decode,
    b64u_encode,
    check_alg,
    json_dumps,
    json_loads_object,
    public_key_from_jwk,
    verify_signature,
)
from core.signing import Signer
from issuer.events_errors import WebhookMalformed, WebhookSignatureInvalid, WebhookStale
from issuer.events_models import Delivery, Event, Subscription
from issuer.sealing import sealer_for
from issuer.settings import IssuerSettings

__all__ = ["KINDS", "SIGNATURE_HEADER", "TYP", "emit", "matches", "sign_webhook",
           "subscribed_types", "verify_webhook"]

KINDS = ("issued", "changed", "suspended", "revoked", "reinstated", "expiring")
TYP = "elicense-event+jws"
SIGNATURE_HEADER = "Elicense-Signature"


# --- signatures -------------------------------------------------------------------------

def sign_webhook(body: bytes, *, signer: Signer, iss: str, event_id: str, iat: int) -> str:
    """The ``Elicense-Signature`` value for ``body`` (detached compact JWS)."""
    header = {"alg": signer.alg, "kid": signer.kid, "typ": TYP, "iss": iss, "iat": iat,
              "jti": event_id}
    h = b64u_encode(json_dumps(header))
    sig = signer.sign(f"{h}.{b64u_encode(body)}".encode("ascii"))
    return f"{h}..{b64u_encode(sig)}"


def verify_webhook(body: bytes, signature_header: str, jwks: Mapping[str, Any], *,
                   iss: str | None = None, algorithms: Collection[str] = ("ES256", "EdDSA"),
                   now: int | None = None, max_age_s: int = 3600) -> dict[str, Any]:
    """Check a webhook as a receiving agency; return the event (the parsed body).

    ``jwks`` is the issuer's JWKS, fetched by the receiver from a URL it trusts; the key is
    chosen by ``kid`` among those keys only and its algorithm must be allowed. Raises
    ``WebhookSignatureInvalid`` (``webhook_signature_invalid``) for a body or header that
    was changed, ``WebhookMalformed`` (``webhook_malformed``) for one that cannot be read.
    With ``now``, a signature whose ``iat`` is more than ``max_age_s`` away is refused
    (``webhook_stale``): a captured webhook cannot be replayed later (every delivery
    attempt is signed afresh)."""
    try:
        h, empty, s = signature_header.strip().split(".")
        header = json_loads_object(b64u_decode(h))
        sig = b64u_decode(s)
    except (ValueError, ELicenseError) as exc:
        raise WebhookMalformed("Elicense-Signature is not a detached compact JWS") from exc
    if empty or header.get("typ") != TYP or "crit" in header:
        raise WebhookMalformed(f"signature header must be typ {TYP}, detached, no crit")
    if iss is not None and header.get("iss") != iss:
        raise WebhookSignatureInvalid("signed by another issuer")
    keys = [k for k in jwks.get("keys", []) if isinstance(k, dict)
            and k.get("kid") == header.get("kid")]
    if len(keys) != 1:
        raise WebhookSignatureInvalid("kid not in the issuer's JWKS")
    try:
        key = public_key_from_jwk(keys[0])
        check_alg(header.get("alg"), key, algorithms)
        verify_signature(key, sig, f"{h}.{b64u_encode(body)}".encode("ascii"))
    except ELicenseError as exc:
        raise WebhookSignatureInvalid(exc.detail) from exc
    try:
        event = json_loads_object(body)
    except ELicenseError as exc:  # pragma: no cover - we only sign JSON objects
        raise WebhookMalformed("body is not a JSON object") from exc
    if event.get("id") != header.get("jti"):
        raise WebhookSignatureInvalid("body id differs from the signed jti")
    iat = header.get("iat")
    if now is not None and (type(iat) is not int or abs(now - iat) > max_age_s):
        raise WebhookStale(f"signed at {iat!r}, now {now}")
    return event


# --- emitting ---------------------------------------------------------------------------

def _contains(value: Any, needle: str) -> bool:
    if isinstance(value, list):
        return any(needle in str(v) for v in value)
    return value is not None and needle in str(value)


def matches(sub: Subscription, *, kind: str, changed: Collection[str],
            claims: Mapping[str, Any], before: Mapping[str, Any] | None) -> bool:
    """Whether ``sub`` wants this event. For ``changed`` with a ``field``: that field
    changed and (with ``contains``) it *gained* the value; otherwise ``contains`` tests the
    current value."""
    if kind not in sub.kind_list():
        return False
    if not sub.field:
        return True
    if kind == "changed":
        if sub.field not in changed:
            return False
        if sub.contains:
            old = (before or {}).get(sub.field)
            return _contains(claims.get(sub.field), sub.contains) and not _contains(
                old, sub.contains)
        return True
    return not sub.contains or _contains(claims.get(sub.field), sub.contains)


def subscribed_types(session: Session, kind: str) -> frozenset[str]:
    """The license types with an active subscription to ``kind`` (one query; lets the
    bulk path skip event rows nobody asked for)."""
    subs = session.exec(select(Subscription).where(Subscription.active == True)  # noqa: E712
                        ).all()
    return frozenset(s.type for s in subs if kind in s.kind_list())


def emit(session: Session, settings: IssuerSettings, *, kind: str, credential_id: str,
         type_: str, agency: str, state: str, claims: Mapping[str, Any], now: int,
         before: Mapping[str, Any] | None = None, replaces: str | None = None,
         dedupe: str | None = None) -> Event:
    """Record the event and one sealed delivery per matching subscription (caller commits)."""
    assert kind in KINDS, kind
    changed = sorted(k for k in {*claims, *(before or {})}
                     if before is not None and before.get(k) != claims.get(k))
    event_id = secrets.token_hex(16)
    event = Event(id=event_id, kind=kind, type=type_, agency_code=agency,
                  credential_id=credential_id, replaces=replaces,
                  changed=orjson.dumps(changed).decode(), dedupe=dedupe or event_id, at=now)
    session.add(event)
    session.flush()
    subs = session.exec(select(Subscription).where(Subscription.type == type_,
                                                   Subscription.active == True)  # noqa: E712
                        ).all()
    sealer = sealer_for(settings.key_encryption_secret.get_secret_value())
    for sub in subs:
        if not matches(sub, kind=kind, changed=changed, claims=claims, before=before):
            continue
        fields = sub.field_list()
        body = {"id": event_id, "kind": kind, "type": type_, "issuer": settings.issuer_url,
                "issuing_agency": agency, "credential_id": credential_id,
                "replaces": replaces, "state": state, "occurred_at": now,
                "subscription_id": sub.id,
                "changed": [c for c in changed if c in fields],
                "claims": {f: claims[f] for f in fields if f in claims}}
        session.add(Delivery(event_id=event_id, subscription_id=sub.id,
                             body_enc=sealer.seal(body, aad=_aad(event_id, sub.id)),
                             next_attempt_at=now, created_at=now))
    session.flush()
    return event


def _aad(event_id: str, subscription_id: str) -> bytes:
    return f"event:{event_id}:{subscription_id}".encode()
