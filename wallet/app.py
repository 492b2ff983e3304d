"""The wallet service (DESIGN §1, §4, §7): citizens' accounts, holder keys, licenses picked
up over OpenID4VCI, QR codes (online / offline), the verifiers' redemption endpoint and the
citizen web page. ``create_app(settings, *, http=None)`` builds it; ``bootstrap`` seeds the
demo citizen in dev mode (``wallet.demo``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from core.clock import Clock, SystemClock
from core.db import make_engine
from core.web import install_problem_handlers
from elicense import ops
from wallet import api, consent_api, consent_pages, oid4vp_api, oid4vp_pages, pages
from wallet.demo import bootstrap
from wallet.deps import State, hash_client_secrets
from wallet.settings import Settings
from wallet.upstream import Upstream

__all__ = ["Settings", "bootstrap", "create_app"]


def create_app(settings: Settings, *, http: httpx.Client | None = None,
               clock: Clock | None = None) -> FastAPI:
    """The wallet app. ``http`` calls the issuer and the verifier (tests pass a
    ``TestClient``); None = a real ``httpx.Client``. ``clock``: None = the system clock."""
    clock = clock or SystemClock()
    own_http = http is None
    client = http or httpx.Client(timeout=10.0, follow_redirects=False)
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()
        if own_http:
            client.close()

    app = FastAPI(title="elicense wallet", docs_url="/docs", redoc_url=None,
                  lifespan=lifespan)
    app.state.wallet = State(settings=settings, engine=engine, clock=clock,
                             upstream=Upstream(client, clock),
                             verifier_clients=hash_client_secrets(settings))
    install_problem_handlers(app)
    ops.install(app, service="wallet", settings=settings, engine=engine)
    app.include_router(api.router)
    app.include_router(consent_api.router)
    app.include_router(oid4vp_api.router)
    app.include_router(pages.router)
    app.include_router(consent_pages.router)
    app.include_router(oid4vp_pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"),
              name="static")
    return app
