"""Showing a license (DESIGN §4): the QR a citizen shows and the redemption of an online
token by an authenticated verifier.

- online: ``ELR1:`` one-time token (160 random bits, ``online_token_ttl_s``), stored as a
  SHA-256 digest with the credential, scenario and expiry. The copy is chosen when a
  verifier redeems the token, so refreshing an unredeemed QR spends no copy. Redemption is
  single-use by one conditional UPDATE (``... WHERE used_at IS NULL AND expires_at > now``),
  atomic on SQLite and PostgreSQL alike.
- offline: ``ELV1:`` over an SD-JWT+KB with ``aud = urn:elicense:offline:<scenario>``, a
  128-bit wallet nonce and ``iat`` as freshness.
Each presentation spends one copy (fresh salts, fresh holder key); when none is left the
least recently used copy is reused and the answer says ``linkable: true``. The automatic
refreshes of one offline showing (``refresh_of``, within ``showing_window_s``) keep its copy.
What a presentation discloses is decided by ``wallet.catalog.claims_to_disclose`` only.
A revoked or suspended license shows no QR; a status the wallet cannot read ("unknown")
does not block: the verifier checks status itself under its own policy.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from core.credential import present
from core.errors import ELicenseError
from core.jose import b64u_encode
from core.qr import (
    decode_offline,
    encode_offline,
    new_online_token,
    parse_online,
    render_png,
    render_svg,
)
from wallet.accounts import hash_token
from wallet.catalog import claims_to_disclose, find_scenario, load_catalog
from wallet.credentials import copies_left, get_credential, next_copy, require_usable
from wallet.errors import (
    CredentialNotFound,
    ScenarioMismatch,
    TokenExpired,
    TokenUnknown,
    TokenUsed,
)
from wallet.holder import holder_signer
from wallet.models import Copy, Credential, PresentationLog, QrToken, User
from wallet.settings import Settings
from wallet.upstream import Upstream

__all__ = ["OFFLINE_AUD_PREFIX", "make_qr", "redeem"]

OFFLINE_AUD_PREFIX = "urn:elicense:offline:"


def _claim_copy(db: Session, credential_id: str, now: int) -> tuple[Copy, bool]:
    """Take an unused copy (atomically: two presentations never share one), or reuse the
    least recently used copy when none is left (``True``: linkable)."""
    while True:
        copy = next_copy(db=db, credential_id=credential_id)
        if copy is None:
            raise CredentialNotFound("this license has no copies")  # pragma: no cover
        reused = copy.used_at is not None
        cond = col(Copy.used_at).is_(None) if not reused else col(Copy.used_at) == copy.used_at
        result = db.execute(update(Copy).where(col(Copy.id) == copy.id, cond)
                            .values(used_at=now))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            db.refresh(copy)
            return copy, reused
        db.expire_all()


def _continued_copy(db: Session, *, cred: Credential, scenario_id: str, refresh_of: str,
                    now: int, window: int) -> Copy | None:
    """The copy of the offline QR ``refresh_of`` if it is this license's, was shown for
    this scenario within ``window`` seconds, else None. A refresh of one showing goes to
    the same verifier, so reusing its copy links nothing new and spends no copy."""
    try:
        jwt = decode_offline(refresh_of).split("~", 1)[0]
    except ELicenseError:
        return None
    recent = db.exec(select(Copy).where(Copy.credential_id == cred.id,
                                        col(Copy.used_at) >= now - window)).all()
    for copy in recent:
        if copy.sd_jwt.split("~", 1)[0] != jwt:
            continue
        shown = db.exec(select(PresentationLog).where(
            PresentationLog.copy_id == copy.id, PresentationLog.scenario == scenario_id,
            PresentationLog.mode == "offline", col(PresentationLog.at) >= now - window)).first()
        if shown is not None:
            copy.used_at = now
            db.add(copy)
            return copy
    return None


def _present(db: Session, *, settings: Settings, user: User, cred: Credential,
             disclose: list[str], aud: str, nonce: str, now: int,
             copy: Copy | None = None) -> tuple[str, Copy, bool]:
    assert user.id is not None
    reused = False
    if copy is None:
        copy, reused = _claim_copy(db, cred.id, now)
    signer = holder_signer(db=db, user_id=user.id, kid=copy.holder_kid, settings=settings)
    presentation = present(copy.sd_jwt, disclose=disclose, holder=signer, nonce=nonce,
                           aud=aud, iat=now)
    return presentation, copy, reused


def _scenario(upstream: Upstream, settings: Settings, scenario_id: str) -> dict[str, Any]:
    catalog = load_catalog(upstream, settings.catalog_url, ttl=settings.catalog_cache_s)
    return find_scenario(catalog, scenario_id)


def make_qr(*, db: Session, upstream: Upstream, settings: Settings, now: int, user: User,
            credential_id: str, scenario_id: str, mode: str,
            refresh_of: str | None = None) -> dict[str, Any]:
    """A QR for showing ``credential_id`` in ``scenario_id``. ``refresh_of``: the offline
    QR this one refreshes (same showing: same copy, fresh ``iat`` and nonce)."""
    assert user.id is not None
    cred = get_credential(db=db, user=user, credential_id=credential_id)
    scenario = _scenario(upstream, settings, scenario_id)
    disclose = claims_to_disclose(scenario, credential_type=cred.type,
                                  available=cred.disclosable(), mode=mode)
    require_usable(db=db, upstream=upstream, settings=settings, now=now, cred=cred)
    reused = False
    if mode == "online":
        # Unscanned tokens of refreshed QRs are of no further use: drop the stale ones.
        db.execute(delete(QrToken).where(col(QrToken.user_id) == user.id,
                                         col(QrToken.used_at).is_(None),
                                         col(QrToken.expires_at) < now - 3600))
        payload = new_online_token()
        expires_at = now + settings.online_token_ttl_s
        db.add(QrToken(token_hash=hash_token(parse_online(payload)), user_id=user.id,
                       credential_id=cred.id, scenario=scenario_id, created_at=now,
                       expires_at=expires_at))
    else:
        aud = OFFLINE_AUD_PREFIX + scenario_id
        continued = refresh_of and _continued_copy(
            db, cred=cred, scenario_id=scenario_id, refresh_of=refresh_of, now=now,
            window=settings.showing_window_s)
        presentation, copy, reused = _present(
            db, settings=settings, user=user, cred=cred, disclose=disclose, aud=aud,
            nonce=b64u_encode(secrets.token_bytes(16)), now=now, copy=continued or None)
        payload = encode_offline(presentation)
        expires_at = now + int(scenario.get("max_presentation_age_s", settings.qr_refresh_s))
        db.add(PresentationLog(user_id=user.id, credential_id=cred.id, copy_id=copy.id,
                               scenario=scenario_id, mode="offline", aud=aud, at=now))
    db.commit()
    left = copies_left(db=db, credential_id=cred.id)
    return {
        "payload": payload, "expires_at": expires_at, "mode": mode, "scenario": scenario_id,
        "disclosed": disclose, "refresh_s": settings.qr_refresh_s,
        "png_base64": base64.b64encode(render_png(payload)).decode("ascii"),
        "svg": render_svg(payload),
        "copies_remaining": left, "copies_low": left <= settings.copies_low_water,
        "linkable": reused,
    }


def redeem(*, db: Session, upstream: Upstream, settings: Settings, now: int, client_id: str,
           token_text: str, nonce: str, aud: str, scenario_id: str) -> Mapping[str, Any]:
    """The SD-JWT+KB behind an online token, bound to the verifier's ``aud`` and ``nonce``;
    works once. The citizen's log records which verifier, scenario and time."""
    token_hash = hash_token(parse_online(token_text))
    row = db.exec(select(QrToken).where(QrToken.token_hash == token_hash)).first()
    if row is None:
        raise TokenUnknown()
    if row.scenario != scenario_id:
        raise ScenarioMismatch(scenario=row.scenario)
    if row.used_at is not None:
        raise TokenUsed()
    if row.expires_at <= now:
        raise TokenExpired()
    # The single-use gate: exactly one concurrent redeemer sees rowcount 1.
    result = db.execute(update(QrToken).where(
        col(QrToken.id) == row.id, col(QrToken.used_at).is_(None), col(QrToken.expires_at) > now,
    ).values(used_at=now, verifier_client=client_id))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        raise TokenUsed()
    user = db.get(User, row.user_id)
    assert user is not None and user.id is not None
    cred = get_credential(db=db, user=user, credential_id=row.credential_id)
    scenario = _scenario(upstream, settings, scenario_id)
    disclose = claims_to_disclose(scenario, credential_type=cred.type,
                                  available=cred.disclosable(), mode="online")
    require_usable(db=db, upstream=upstream, settings=settings, now=now, cred=cred)
    presentation, copy, _ = _present(db, settings=settings, user=user, cred=cred,
                                     disclose=disclose, aud=aud, nonce=nonce, now=now)
    db.execute(update(QrToken).where(col(QrToken.id) == row.id).values(copy_id=copy.id))
    db.add(PresentationLog(user_id=user.id, credential_id=cred.id, copy_id=copy.id,
                           scenario=scenario_id, mode="online", verifier_client=client_id,
                           aud=aud, at=now))
    db.commit()
    return {"presentation": presentation, "scenario": scenario_id}
