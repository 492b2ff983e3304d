"""The verifier service app (DESIGN §1, §7): ``create_app(settings, *, http=None)`` and the
dev-mode ``bootstrap(settings, *, http)`` (demo organisations, the trust anchor key and a
trust list made from the local issuer's metadata; idempotent)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session

from core.clock import Clock, SystemClock
from core.db import make_engine
from core.web import install_problem_handlers
from elicense import ops
from verifier.api import router as api_router
from verifier.oid4vp_api import router as oid4vp_router
from verifier.orgs import PrincipalCache
from verifier.pages import router as pages_router
from verifier.runtime import build_verifier
from verifier.settings import Settings

__all__ = ["DEMO_ORGS", "Settings", "bootstrap", "create_app"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Dev-mode demo organisations (DESIGN §8 contract; README): id, names, scenarios, API key,
# staff login (username, password).
DEMO_ORGS = [
    ("demo-hotel", "示范酒店", "Demo Hotel", ["hotel_checkin"], "demo-hotel-key",
     ("hotel", "hotel-password")),
    ("demo-police", "示范交警大队", "Demo Traffic Police Unit",
     ["roadside_inspection", "hotel_checkin"], "demo-police-key",
     ("police", "police-password")),
    ("demo-cafe", "示范网吧", "Demo Internet Café", ["internet_cafe"], "demo-cafe-key",
     ("cafe", "cafe-password")),
    ("demo-city", "示范城市管理局", "Demo City Management", ["dog_license_check"],
     "demo-city-key", ("city", "city-password")),
]


def create_app(settings: Settings, *, http: httpx.Client | None = None,
               clock: Clock | None = None) -> FastAPI:
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url)
    own_http = None
    if http is None and settings.offline_bundle is None:
        own_http = http = httpx.Client(timeout=settings.http_timeout_s)
    verifier = build_verifier(settings, engine=engine, clock=clock,
                              http=None if settings.offline_bundle else http)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await verifier.aclose()
        if own_http is not None:
            own_http.close()
        engine.dispose()

    app = FastAPI(title="elicense verifier", lifespan=lifespan, docs_url="/docs",
                  redoc_url=None)
    app.state.settings = settings
    app.state.verifier = verifier
    app.state.http = http  # other services (None offline); verifier.oid4vp reads vct metadata
    app.state.principals = PrincipalCache(ttl_s=settings.auth_cache_s)
    install_problem_handlers(app)
    ops.install(app, service="verifier", settings=settings, engine=engine)
    app.include_router(api_router)
    app.include_router(oid4vp_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def bootstrap(settings: Settings, *, http: httpx.Client, clock: Clock | None = None) -> None:
    """Dev mode only: demo orgs with API keys and staff, the anchor key, a trust list."""
    if not settings.is_dev:
        return
    from keys.service import active_signer, ensure_active
    from verifier.orgs import add_api_key, add_staff, ensure_org
    from verifier.runtime import install_trust_list
    from verifier.trust_cli import build_trust_list

    clock = clock or SystemClock()
    now = clock.now()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            for org_id, zh, en, scenarios, key, (user, password) in DEMO_ORGS:
                ensure_org(session=session, org_id=org_id, name_zh=zh, name_en=en,
                           scenarios=scenarios, now=now)
                add_api_key(session=session, org_id=org_id, key=key, now=now,
                            label="dev demo key")
                add_staff(session=session, org_id=org_id, username=user, password=password,
                          now=now)
            ensure_active(session=session, owner="trust_anchor", alg="ES256",
                          settings=settings, clock=clock)
            signer = active_signer(session=session, owner="trust_anchor", settings=settings)
        issuer_meta = f"{settings.public_url.rstrip('/')}/issuer/.well-known/jwt-vc-issuer"
        jws, iat, exp = build_trust_list(http=http, signer=signer, metadata_urls=[issuer_meta],
                                         now=now, anchor_id=_anchor_id(settings))
        install_trust_list(engine=engine, jws=jws, iat=iat, exp=exp, now=now)
    finally:
        engine.dispose()


def _anchor_id(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/trust-anchor"
