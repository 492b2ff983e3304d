"""The wallet's JSON API (DESIGN §7): thin routes over the service modules.

Citizens: register, login (bearer token), pick-up of offers, licenses, QR codes, their
presentation log. Verifiers: ``POST /v1/presentations/redeem`` with their client secret.
Login and redeem rate limits belong to issue 7 (not here yet).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlmodel import col, select

from core.errors import UpstreamError
from wallet import accounts, credentials, presenting
from wallet.catalog import load_catalog, scenarios_for
from wallet.deps import (
    CitizenDep,
    ClockDep,
    DbDep,
    SettingsDep,
    UpstreamDep,
    VerifierClientDep,
    bearer_of,
)
from wallet.models import Credential, PresentationLog
from wallet.schemas import (
    AccountOut,
    CredentialOut,
    LoginIn,
    OfferIn,
    QrIn,
    QrOut,
    RedeemIn,
    RedeemOut,
    RegisterIn,
    TokenOut,
)
from wallet.settings import Settings
from wallet.upstream import Upstream

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["wallet"])


@router.post("/register", status_code=201, response_model=AccountOut)
def register(body: RegisterIn, db: DbDep, settings: SettingsDep, clock: ClockDep) -> Any:
    user = accounts.register(db=db, username=body.username, password=body.password,
                             now=clock.now(), min_password_length=settings.min_password_length)
    db.commit()
    return AccountOut(id=user.id or 0, username=user.username)


@router.post("/login", response_model=TokenOut)
def login(body: LoginIn, db: DbDep, settings: SettingsDep, clock: ClockDep) -> Any:
    user = accounts.authenticate(db=db, username=body.username, password=body.password)
    token = accounts.login(db=db, user=user, kind="api", now=clock.now(),
                           ttl_s=settings.session_ttl_s)
    db.commit()
    return TokenOut(access_token=token, expires_in=settings.session_ttl_s)


@router.post("/logout", status_code=204)
def logout(request: Request, user: CitizenDep, db: DbDep) -> Response:
    token = bearer_of(request)
    if token:
        accounts.logout(db=db, token=token)
        db.commit()
    return Response(status_code=204)


def _out(db: DbDep, upstream: Upstream, settings: Settings, now: int,
         cred: Credential) -> CredentialOut:
    status = credentials.live_status(db=db, upstream=upstream, settings=settings, now=now,
                                     cred=cred)
    return CredentialOut(**credentials.view(
        cred=cred, status=status, copies=credentials.copies_left(db=db, credential_id=cred.id),
        low_water=settings.copies_low_water))


@router.post("/offers", status_code=201)
def accept_offer(body: OfferIn, user: CitizenDep, db: DbDep, settings: SettingsDep,
                 clock: ClockDep, upstream: UpstreamDep) -> dict[str, list[CredentialOut]]:
    stored = credentials.accept_offer(
        db=db, upstream=upstream, settings=settings, clock=clock, user=user,
        offer=body.credential_offer, offer_uri=body.credential_offer_uri, tx_code=body.tx_code)
    return {"credentials": [_out(db, upstream, settings, clock.now(), c) for c in stored]}


@router.get("/credentials")
def list_credentials(user: CitizenDep, db: DbDep, settings: SettingsDep, clock: ClockDep,
                     upstream: UpstreamDep) -> dict[str, list[CredentialOut]]:
    rows = credentials.list_credentials(db=db, user=user)
    return {"credentials": [_out(db, upstream, settings, clock.now(), c) for c in rows]}


@router.get("/credentials/{credential_id}")
def get_credential(credential_id: str, user: CitizenDep, db: DbDep, settings: SettingsDep,
                   clock: ClockDep, upstream: UpstreamDep) -> dict[str, Any]:
    cred = credentials.get_credential(db=db, user=user, credential_id=credential_id)
    out = _out(db, upstream, settings, clock.now(), cred).model_dump()
    out["claims"] = cred.claims()
    try:
        catalog = load_catalog(upstream, settings.catalog_url, ttl=settings.catalog_cache_s)
        out["scenarios"] = [{"id": s["id"], "name": s.get("name", {}),
                             "modes": s.get("modes", ["online", "offline"])}
                            for s in scenarios_for(catalog, cred.type)]
    except UpstreamError:
        out["scenarios"] = []
    return out


@router.post("/credentials/{credential_id}/qr", response_model=QrOut)
def make_qr(credential_id: str, body: QrIn, user: CitizenDep, db: DbDep,
            settings: SettingsDep, clock: ClockDep, upstream: UpstreamDep) -> Any:
    return presenting.make_qr(db=db, upstream=upstream, settings=settings, now=clock.now(),
                              user=user, credential_id=credential_id,
                              scenario_id=body.scenario, mode=body.mode,
                              refresh_of=body.refresh_of)


@router.get("/presentations")
def presentation_log(user: CitizenDep, db: DbDep) -> dict[str, list[dict[str, Any]]]:
    rows = db.exec(select(PresentationLog).where(PresentationLog.user_id == user.id)
                   .order_by(col(PresentationLog.at).desc(), col(PresentationLog.id).desc())
                   .limit(200)).all()
    return {"presentations": [
        {"credential_id": r.credential_id, "scenario": r.scenario, "mode": r.mode,
         "verifier": r.verifier_client, "aud": r.aud, "at": r.at} for r in rows]}


@router.post("/presentations/redeem", response_model=RedeemOut)
def redeem(body: RedeemIn, client: VerifierClientDep, db: DbDep, settings: SettingsDep,
           clock: ClockDep, upstream: UpstreamDep) -> Any:
    return presenting.redeem(db=db, upstream=upstream, settings=settings, now=clock.now(),
                             client_id=client, token_text=body.token, nonce=body.nonce,
                             aud=body.aud, scenario_id=body.scenario)

