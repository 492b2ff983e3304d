"""FastAPI dependencies (``Annotated`` aliases): the runtime, settings, and the calling
organisation from its bearer API key or staff session token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from verifier.orgs import OrgPrincipal, PrincipalCache
from verifier.service import Verifier
from verifier.settings import Settings

__all__ = ["OrgDep", "SettingsDep", "VerifierDep", "bearer_token"]


# Dependencies are ``async`` so that they run on the event loop: a sync dependency costs a
# thread-pool hop per request, the hot path of verification has three of them otherwise.


async def get_verifier(request: Request) -> Verifier:
    verifier: Verifier = request.app.state.verifier
    return verifier


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


VerifierDep = Annotated[Verifier, Depends(get_verifier)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_org(request: Request) -> OrgPrincipal:
    # No ``VerifierDep`` sub-dependency: on the verify hot path each one costs a resolution.
    verifier: Verifier = request.app.state.verifier
    cache: PrincipalCache = request.app.state.principals
    token, now = bearer_token(request), verifier.clock.now()
    hit = cache.cached(token=token, now=now)
    if hit is not None:
        return hit
    # A cache miss reads the database: off the event loop.
    return await run_in_threadpool(cache.authenticate, engine=verifier.engine, token=token,
                                   now=now)


OrgDep = Annotated[OrgPrincipal, Depends(get_org)]
