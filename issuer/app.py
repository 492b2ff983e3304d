"""The issuer service as a FastAPI app (DESIGN §1, §7): ``create_app(settings)``; routes are
relative to the mount point (the all-in-one app mounts it at ``/issuer``), absolute URLs
come from ``settings.issuer_url``. ``bootstrap`` creates the issuer key, the agencies and,
in dev mode only, the demo API clients; it is idempotent.

JWT VC Issuer Metadata is served at ``/issuer/.well-known/jwt-vc-issuer``. The spec's
path form (``/.well-known/jwt-vc-issuer/issuer``, SD-JWT VC §5) lies outside the mount, so
a sub-app cannot serve it: the parent app includes ``well_known_router`` (the all-in-one
``elicense.app`` does).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlmodel import Session

from core.clock import Clock, SystemClock
from core.db import make_engine
from core.web import install_problem_handlers
from elicense import ops
from issuer import agencies, api, api_meta, api_oauth, events_api, events_delivery, pages
from issuer.deps import ISSUER_KEY_OWNER, AppContext
from issuer.settings import IssuerSettings
from keys import service as keys_service

__all__ = ["Settings", "bootstrap", "create_app", "well_known_router"]

log = logging.getLogger("elicense.issuer")

Settings = IssuerSettings


def create_app(settings: IssuerSettings, *, http: httpx.Client | None = None,
               clock: Clock | None = None) -> FastAPI:
    ctx = AppContext(settings=settings, engine=make_engine(settings.database_url),
                     clock=clock or SystemClock())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = None
        hooks_http = http or httpx.Client(timeout=settings.events_timeout_s)
        if settings.events_poll_s > 0:  # license-event webhooks (issuer.events_delivery)
            worker = asyncio.create_task(events_delivery.run_worker(
                engine=ctx.engine, settings=settings, http=hooks_http, clock=ctx.clock))
        try:
            yield
        finally:
            if worker is not None:
                worker.cancel()
                with suppress(asyncio.CancelledError):
                    await worker
            if hooks_http is not http:
                hooks_http.close()
            ctx.engine.dispose()

    app = FastAPI(title="elicense issuer", docs_url="/docs", redoc_url=None,
                  openapi_url="/openapi.json", lifespan=lifespan)
    app.state.issuer = ctx
    app.state.http = http
    install_problem_handlers(app)
    ops.install(app, service="issuer", settings=settings, engine=ctx.engine)
    app.include_router(api_meta.router)
    app.include_router(api_oauth.router)
    app.include_router(api.router)
    app.include_router(events_api.router)
    app.include_router(pages.router)
    return app


def well_known_router(settings: IssuerSettings, *, clock: Clock | None = None) -> APIRouter:
    """``GET /.well-known/jwt-vc-issuer/issuer`` for a parent app mounting us at /issuer."""
    router = APIRouter()
    engine = make_engine(settings.database_url)
    clk = clock or SystemClock()

    @router.get("/.well-known/jwt-vc-issuer/issuer")
    def jwt_vc_issuer_root() -> JSONResponse:
        with Session(engine) as session:
            return JSONResponse(api_meta.jwt_vc_issuer_metadata(session, settings, clk.now()))

    return router


def bootstrap(settings: IssuerSettings, *, http: Any = None, clock: Clock | None = None
              ) -> None:
    """Issuer key, agencies and (dev mode) demo clients. Idempotent."""
    now = (clock or SystemClock()).now()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            keys_service.ensure_active(session=session, owner=ISSUER_KEY_OWNER,
                                       alg=settings.issuer_alg, settings=settings, clock=clock)
            agencies.ensure_agencies(session=session, now=now)
            if settings.is_dev:
                agencies.ensure_demo_clients(session=session, settings=settings, now=now)
                log.warning("issuer: demo agency clients demo-<code> / demo-<code>-secret "
                            "are active (dev mode)")
            session.commit()
    finally:
        engine.dispose()
