"""The all-in-one app for a laptop (DESIGN §8): issuer, wallet and verifier mounted under
one origin on the embedded SQLite default. In production each service runs alone."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

import issuer.app
import verifier.app
import wallet.app
from core.db import migrate
from core.settings import BaseServiceSettings
from core.web import install_problem_handlers

__all__ = ["SERVICES", "create_combined_app", "prepare"]

log = logging.getLogger("elicense")

# (mount prefix, service module with Settings, create_app(settings) and bootstrap), in the
# order the bootstraps must run: the wallet's demo citizen picks up from the issuer, the
# verifier's trust list is made from the issuer's metadata.
SERVICES: list[tuple[str, Any]] = [("/issuer", issuer.app), ("/wallet", wallet.app),
                                   ("/verifier", verifier.app)]


def prepare() -> None:
    """Migrate the database and run each service's ``bootstrap(settings, *, http)`` (dev keys,
    demo data); each bootstrap is idempotent."""
    base = BaseServiceSettings()
    if base.is_dev:
        log.warning("ELICENSE DEV MODE: dev key-encryption secret and demo data in use. "
                    "Never run dev mode with real data.")
    migrate(base.database_url)
    # Bootstraps run in order issuer → wallet → verifier and talk to each other over HTTP
    # semantics through an in-process client (the demo citizen picks up real credentials).
    from starlette.testclient import TestClient

    with TestClient(create_combined_app(), base_url=base.public_url) as http:
        for _prefix, mod in SERVICES:
            mod.bootstrap(mod.Settings(), http=http)


def create_combined_app() -> FastAPI:
    subapps = [(prefix, mod.create_app(mod.Settings())) for prefix, mod in SERVICES]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Starlette does not run a mounted app's lifespan: run each one here.
        async with AsyncExitStack() as stack:
            for _prefix, sub in subapps:
                await stack.enter_async_context(sub.router.lifespan_context(sub))
            yield

    app = FastAPI(title="elicense (all-in-one)", lifespan=lifespan, docs_url=None,
                  redoc_url=None)
    # A path no mount takes (e.g. one with an encoded newline: Mount's ``.*`` stops there)
    # is answered here: problem+json like every service error.
    install_problem_handlers(app)
    for prefix, sub in subapps:
        app.mount(prefix, sub)
    # Root-level well-known paths a mounted service cannot serve itself (e.g. the issuer's
    # /.well-known/jwt-vc-issuer/issuer, SD-JWT VC issuer metadata).
    app.include_router(issuer.app.well_known_router(issuer.app.Settings()))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> str:
        links = "".join(f'<li><a href="{p}/">{p[1:]}</a></li>' for p, _ in subapps)
        return f"<!doctype html><title>elicense</title><h1>elicense</h1><ul>{links}</ul>"

    return app
