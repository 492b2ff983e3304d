"""FastAPI dependencies of the issuer (``Annotated`` aliases, STYLE: full-stack template)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import Clock
from issuer.errors import InvalidToken
from issuer.keyring import ISSUER_KEY_OWNER, issuer_signer
from issuer.oauth import Principal, authenticate
from issuer.settings import IssuerSettings

__all__ = ["ISSUER_KEY_OWNER", "AppContext", "ContextDep", "PrincipalDep", "SessionDep",
           "issuer_signer"]

@dataclass(frozen=True)
class AppContext:
    settings: IssuerSettings
    engine: Engine
    clock: Clock


def _context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.issuer
    return ctx


ContextDep = Annotated[AppContext, Depends(_context)]


def _session(ctx: ContextDep) -> Generator[Session, None, None]:
    with Session(ctx.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(_session)]


def bearer(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("bearer token required")
    return token.strip()


def _principal(request: Request, ctx: ContextDep, session: SessionDep) -> Principal:
    return authenticate(session=session, token=bearer(request), now=ctx.clock.now())


PrincipalDep = Annotated[Principal, Depends(_principal)]
