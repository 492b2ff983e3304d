"""FastAPI dependencies (``Annotated`` aliases): the runtime, settings, and the calling
organisation from its bearer API key or staff session token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from verifier.orgs import OrgPrincipal, PrincipalCache
from verifier.service import Verifier
from verifier.settings import Settings

__all__ = ["OrgDep", "SettingsDep", "VerifierDep", "bearer_token"]


def get_verifier(request: Request) -> Verifier:
    verifier: Verifier = request.app.state.verifier
    return verifier


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


VerifierDep = Annotated[Verifier, Depends(get_verifier)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_org(request: Request, verifier: VerifierDep) -> OrgPrincipal:
    cache: PrincipalCache = request.app.state.principals
    return cache.authenticate(engine=verifier.engine, token=bearer_token(request),
                              now=verifier.clock.now())


OrgDep = Annotated[OrgPrincipal, Depends(get_org)]
