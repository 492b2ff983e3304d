"""Key store operations: generate, activate, rotate, retire, revoke, JWKS and signers.

Plain keyword-only functions over a SQLModel ``Session`` (no FastAPI, STYLE habit 6). Each
state-changing function commits its own unit of work. The private key is decrypted only here
and handed out as a ``core.signing.Signer`` (``StoredSigner``) that exposes no private
material; decrypted signers are cached in-process (keyed by kid and by the secret's
fingerprint) so that the issuer's hot path does not decrypt per signature. The cache is
dropped for a key when its state changes.

Zero-downtime rotation: ``generate(..., state="pending")`` publishes the next key in the
JWKS (RFC 7517 key set) before it signs anything; ``rotate`` later promotes it (or a fresh
key when none is pending) and retires the previous active key, which stays published until
``not_after`` — the expiry of the last credential it signed. kids are RFC 7638 thumbprints.

Backends: ``software`` keys are encrypted in the row; ``pkcs11`` keys are generated inside
the HSM token of the settings (``keys.pkcs11``, imported only when used) and the row keeps
only the token and key labels. Rotation keeps the current key's backend unless told.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, and_, col, or_, select

from core.clock import Clock, SystemClock
from core.jose import json_dumps
from core.settings import BaseServiceSettings
from core.signing import Signer
from keys._crypto import wrapper_for
from keys._signers import StoredSigner, clear_cache, forget, signer_for_row
from keys.errors import (
    KeyAlgorithmUnsupported,
    KeyDecryptionFailed,  # noqa: F401 - re-exported for callers catching it here
    KeyNotFound,
    KeyStateInvalid,
    NoActiveKey,
)
from keys.models import KeyBackend, KeyState, SigningKey
from keys.software import generate_signer

__all__ = [
    "StoredSigner",
    "activate",
    "active_key",
    "active_signer",
    "clear_cache",
    "ensure_active",
    "generate",
    "get_key",
    "jwks",
    "list_keys",
    "retire",
    "revoke",
    "rotate",
    "signer_for_kid",
]

log = logging.getLogger("keys")

SUPPORTED = ("ES256", "EdDSA")


def _now(clock: Clock | None) -> int:
    return (clock or SystemClock()).now()


# --- queries --------------------------------------------------------------------------


def get_key(*, session: Session, kid: str) -> SigningKey:
    row = session.exec(select(SigningKey).where(SigningKey.kid == kid)).first()
    if row is None:
        raise KeyNotFound(f"no key {kid!r}")
    return row


def list_keys(*, session: Session, owner: str | None = None) -> Sequence[SigningKey]:
    stmt = select(SigningKey)
    if owner is not None:
        stmt = stmt.where(SigningKey.owner == owner)
    return session.exec(stmt.order_by(col(SigningKey.owner), col(SigningKey.id))).all()


def active_key(*, session: Session, owner: str) -> SigningKey | None:
    """The owner's signing key: the most recently activated active key."""
    stmt = (select(SigningKey)
            .where(SigningKey.owner == owner, SigningKey.state == KeyState.ACTIVE.value)
            .order_by(col(SigningKey.activated_at).desc(), col(SigningKey.id).desc()))
    return session.exec(stmt).first()


def jwks(*, session: Session, owner: str, now: int) -> dict[str, list[dict[str, Any]]]:
    """The public key set to publish: active, pending, and retired keys until not_after."""
    stmt = (select(SigningKey).where(
        SigningKey.owner == owner,
        or_(col(SigningKey.state).in_([KeyState.ACTIVE.value, KeyState.PENDING.value]),
            and_(col(SigningKey.state) == KeyState.RETIRED.value,
                 or_(col(SigningKey.not_after).is_(None), col(SigningKey.not_after) > now))),
    ))
    order = {KeyState.ACTIVE.value: 0, KeyState.PENDING.value: 1, KeyState.RETIRED.value: 2}
    rows = sorted(session.exec(stmt).all(), key=lambda r: (order[r.state], -(r.id or 0)))
    return {"keys": [_public(r) for r in rows]}


def _public(row: SigningKey) -> dict[str, Any]:
    jwk = row.public_jwk_dict()
    return {**jwk, "kid": row.kid, "alg": row.alg, "use": "sig"}


# --- signers --------------------------------------------------------------------------


def active_signer(*, session: Session, owner: str, settings: BaseServiceSettings) -> Signer:
    row = active_key(session=session, owner=owner)
    if row is None:
        raise NoActiveKey(f"owner {owner!r} has no active key")
    return _signer(row, settings)


def _signer(row: SigningKey, settings: BaseServiceSettings) -> Signer:
    if row.backend == KeyBackend.PKCS11.value:
        from keys import pkcs11  # python-pkcs11 is loaded only where an HSM is used

        return pkcs11.signer_for_row(row, settings)
    return signer_for_row(row, settings)


def signer_for_kid(*, session: Session, kid: str, settings: BaseServiceSettings,
                   owner: str | None = None) -> Signer:
    """The signer of an active key; ``owner``, if given, must match (a wallet's user)."""
    row = get_key(session=session, kid=kid)
    if owner is not None and row.owner != owner:
        raise KeyNotFound(f"no key {kid!r} for this owner")
    if row.state != KeyState.ACTIVE.value:
        raise KeyStateInvalid(f"key {kid!r} is {row.state}; only active keys sign")
    return _signer(row, settings)


# --- state changes --------------------------------------------------------------------


def generate(*, session: Session, owner: str, alg: str, clock: Clock | None = None,
             settings: BaseServiceSettings, state: str = KeyState.PENDING.value,
             backend: str = KeyBackend.SOFTWARE.value) -> SigningKey:
    """A new key pair, encrypted at rest (``backend`` software) or generated inside the
    settings' HSM token (``backend`` pkcs11); ``state`` pending (published, not yet
    signing) or active (signing now; other active keys of the owner are left as they are)."""
    if alg not in SUPPORTED or alg not in settings.allowed_algs:
        raise KeyAlgorithmUnsupported(f"algorithm {alg!r} not allowed")
    if state not in (KeyState.PENDING.value, KeyState.ACTIVE.value):
        raise KeyStateInvalid("a new key is pending or active")
    if backend not in (KeyBackend.SOFTWARE.value, KeyBackend.PKCS11.value):
        raise KeyStateInvalid(f"unknown key backend {backend!r}")
    now = _now(clock)
    fields: dict[str, Any] = {"backend": backend}
    if backend == KeyBackend.PKCS11.value:
        from keys import pkcs11

        hsm = pkcs11.generate_for_owner(settings=settings, owner=owner, alg=alg)
        kid, public = hsm.kid, hsm.public_jwk()
        fields.update(hsm_token_label=hsm.token_label, hsm_key_label=hsm.key_label)
    else:
        inner = generate_signer(alg)
        kid, public = inner.kid, inner.public_jwk()
        fields["private_ciphertext"] = wrapper_for(settings).encrypt(
            json_dumps(inner.private_jwk()), kid=kid)
    public = {k: v for k, v in public.items() if k in ("kty", "crv", "x", "y")}
    row = SigningKey(owner=owner, kid=kid, alg=alg, state=state, created_at=now,
                     activated_at=now if state == KeyState.ACTIVE.value else None,
                     public_jwk=json_dumps(public).decode(), **fields)
    session.add(row)
    session.commit()
    session.refresh(row)  # usable after the session closes
    log.info("generated %s key kid=%s owner=%s state=%s backend=%s", alg, row.kid, owner,
             state, backend)
    return row


def activate(*, session: Session, kid: str, clock: Clock | None = None,
             retain_until: int | None = None) -> SigningKey:
    """pending → active; the owner's previously active keys become retired."""
    row = get_key(session=session, kid=kid)
    if row.state != KeyState.PENDING.value:
        raise KeyStateInvalid(f"only a pending key can be activated (key is {row.state})")
    now = _now(clock)
    for old in session.exec(select(SigningKey).where(
            SigningKey.owner == row.owner, SigningKey.state == KeyState.ACTIVE.value)).all():
        _retire(old, now=now, retain_until=retain_until)
        session.add(old)
    row.state = KeyState.ACTIVE.value
    row.activated_at = now
    session.add(row)
    session.commit()
    session.refresh(row)  # usable after the session closes
    log.info("activated key kid=%s owner=%s", row.kid, row.owner)
    return row


def rotate(*, session: Session, owner: str, settings: BaseServiceSettings,
           clock: Clock | None = None, alg: str | None = None, retain_until: int | None = None,
           retain_s: int | None = None, backend: str | None = None) -> SigningKey:
    """Make a new key active and retire the current one.

    The oldest pending key of ``alg`` (published earlier, so verifiers already know it) is
    promoted (of ``backend`` only, when ``backend`` is given); without one a fresh key is
    generated on ``backend`` (default: the current key's, so an HSM owner stays in the
    HSM). The retired key stays in the JWKS until
    ``retain_until`` (or now + ``retain_s``): the expiry of the last credential it signed.
    Neither given: it stays published until revoked.
    """
    clock = clock or SystemClock()
    current = active_key(session=session, owner=owner)
    if alg is None:
        alg = current.alg if current is not None else "ES256"
    stmt = select(SigningKey).where(SigningKey.owner == owner, SigningKey.alg == alg,
                                    SigningKey.state == KeyState.PENDING.value)
    if backend is None:
        backend = current.backend if current is not None else KeyBackend.SOFTWARE.value
    else:
        stmt = stmt.where(SigningKey.backend == backend)
    now = _now(clock)
    if retain_until is None and retain_s is not None:
        retain_until = now + retain_s
    pending = session.exec(
        stmt.order_by(col(SigningKey.created_at), col(SigningKey.id))).first()
    if pending is None:
        pending = generate(session=session, owner=owner, alg=alg, clock=clock,
                           settings=settings, backend=backend)
    row = activate(session=session, kid=pending.kid, clock=clock, retain_until=retain_until)
    log.info("rotated owner=%s: active kid=%s", owner, row.kid)
    return row


def retire(*, session: Session, kid: str, clock: Clock | None = None,
           retain_until: int | None = None) -> SigningKey:
    """active → retired (stops signing; published until ``retain_until``)."""
    row = get_key(session=session, kid=kid)
    if row.state != KeyState.ACTIVE.value:
        raise KeyStateInvalid(f"only an active key can be retired (key is {row.state})")
    _retire(row, now=_now(clock), retain_until=retain_until)
    session.add(row)
    session.commit()
    session.refresh(row)  # usable after the session closes
    return row


def _retire(row: SigningKey, *, now: int, retain_until: int | None) -> None:
    row.state = KeyState.RETIRED.value
    row.retired_at = now
    row.not_after = retain_until
    forget(row.kid)


def revoke(*, session: Session, kid: str, clock: Clock | None = None) -> SigningKey:
    """Any state but revoked → revoked: never published, never signs again (compromise)."""
    row = get_key(session=session, kid=kid)
    if row.state == KeyState.REVOKED.value:
        raise KeyStateInvalid("key already revoked")
    row.state = KeyState.REVOKED.value
    row.revoked_at = _now(clock)
    session.add(row)
    session.commit()
    session.refresh(row)  # usable after the session closes
    forget(row.kid)
    log.warning("revoked key kid=%s owner=%s", row.kid, row.owner)
    return row


def ensure_active(*, session: Session, owner: str, alg: str, settings: BaseServiceSettings,
                  clock: Clock | None = None) -> SigningKey:
    """Bootstrap: the owner's active key, generated (active) if there is none. Idempotent."""
    row = active_key(session=session, owner=owner)
    if row is not None:
        return row
    # Two racing bootstraps may both generate: harmless, active_key() picks the newest.
    return generate(session=session, owner=owner, alg=alg, clock=clock, settings=settings,
                    state=KeyState.ACTIVE.value)
