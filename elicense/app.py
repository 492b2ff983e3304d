"""The all-in-one app for a laptop (DESIGN §8): issuer, wallet and verifier mounted under
one origin on the embedded SQLite default. In production each service runs alone."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from core.db import migrate
from core.settings import BaseServiceSettings
from core.web import install_problem_handlers

__all__ = ["SERVICES", "create_combined_app", "prepare"]

log = logging.getLogger("elicense")

# (mount prefix, module with create_app(settings) / Settings / optional bootstrap(settings))
SERVICES = [("/issuer", "issuer"), ("/wallet", "wallet"), ("/verifier", "verifier")]


def _service_modules() -> list[tuple[str, Any]]:
    found = []
    for prefix, pkg in SERVICES:
        try:
            found.append((prefix, importlib.import_module(f"{pkg}.app")))
        except ModuleNotFoundError as exc:
            if exc.name != f"{pkg}.app":
                raise
    return found


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
        for _prefix, mod in _service_modules():
            bootstrap = getattr(mod, "bootstrap", None)
            if bootstrap is not None:
                bootstrap(mod.Settings(), http=http)


def create_combined_app() -> FastAPI:
    subapps = [(prefix, mod.create_app(mod.Settings())) for prefix, mod in _service_modules()]

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
    for _prefix, mod in _service_modules():
        if hasattr(mod, "well_known_router"):
            app.include_router(mod.well_known_router(mod.Settings()))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> str:
        links = "".join(f'<li><a href="{p}/">{p[1:]}</a></li>' for p, _ in subapps)
        return f"<!doctype html><title>elicense</title><h1>elicense</h1><ul>{links}</ul>"

    return app
