"""FastAPI dependencies of the wallet (``Annotated`` aliases, STYLE): the database session,
settings, clock, upstream client, the signed-in citizen and the redeeming verifier.

A citizen is recognised by an API bearer token or by the page's session cookie; a request
that rides on the cookie and changes state must also carry the page's CSRF token in
``X-CSRF-Token`` (the cookie is SameSite=Lax as well).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Generator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import Clock
from core.errors import Unauthenticated
from wallet.accounts import csrf_ok, user_for_token
from wallet.errors import CsrfFailed, VerifierUnauthenticated
from wallet.models import User
from wallet.settings import Settings
from wallet.upstream import Upstream

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "CitizenDep",
    "ClockDep",
    "DbDep",
    "SettingsDep",
    "State",
    "UpstreamDep",
    "VerifierClientDep",
    "bearer_of",
    "hash_client_secrets",
    "page_user",
]

COOKIE = "elicense_wallet_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class State:
    settings: Settings
    engine: Engine
    clock: Clock
    upstream: Upstream
    verifier_clients: dict[str, str]  # client id → sha256 hex of its secret


def hash_client_secrets(settings: Settings) -> dict[str, str]:
    out = {}
    for client, secret in settings.verifier_clients.items():
        value = secret.get_secret_value()
        out[client] = (value[len("sha256:"):] if value.startswith("sha256:")
                       else hashlib.sha256(value.encode()).hexdigest())
    return out


def _state(request: Request) -> State:
    state: State = request.app.state.wallet
    return state


def _db(request: Request) -> Generator[Session, None, None]:
    with Session(_state(request).engine, expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise


StateDep = Annotated[State, Depends(_state)]
DbDep = Annotated[Session, Depends(_db)]


def _settings(state: StateDep) -> Settings:
    return state.settings


def _clock(state: StateDep) -> Clock:
    return state.clock


def _upstream(state: StateDep) -> Upstream:
    return state.upstream


SettingsDep = Annotated[Settings, Depends(_settings)]
ClockDep = Annotated[Clock, Depends(_clock)]
UpstreamDep = Annotated[Upstream, Depends(_upstream)]


def bearer_of(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def page_user(request: Request, db: Session, clock: Clock) -> tuple[User, str] | None:
    """The citizen of the page cookie and that cookie's token, or None."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return user_for_token(db=db, token=token, kind="page", now=clock.now()), token
    except Unauthenticated:
        return None


def _citizen(request: Request, db: DbDep, clock: ClockDep) -> User:
    bearer = bearer_of(request)
    if bearer is not None:
        return user_for_token(db=db, token=bearer, kind="api", now=clock.now())
    found = page_user(request, db, clock)
    if found is None:
        raise Unauthenticated()
    user, token = found
    if request.method not in _SAFE and not csrf_ok(token, request.headers.get(CSRF_HEADER)):
        raise CsrfFailed()
    return user


CitizenDep = Annotated[User, Depends(_citizen)]


def _verifier_client(request: Request, state: StateDep) -> str:
    secret = bearer_of(request)
    if secret is None:
        raise VerifierUnauthenticated()
    digest = hashlib.sha256(secret.encode()).hexdigest()
    found = None
    for client, expected in state.verifier_clients.items():
        if hmac.compare_digest(digest, expected):
            found = client
    if found is None:
        raise VerifierUnauthenticated()
    return found


VerifierClientDep = Annotated[str, Depends(_verifier_client)]
