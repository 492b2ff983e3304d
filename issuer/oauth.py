"""Agency API clients and bearer tokens (RFC 6749 §4.4 client credentials, RFC 6750).

Client secrets are argon2id-hashed at rest. Access tokens are 256-bit random strings,
stored as their SHA-256 (a high-entropy token needs no slow hash), short-lived
(``access_token_ttl_s``) and scoped per license type and action:
``credential:<action>:<type>`` with action ``issue`` (issue, reissue), ``revoke`` (revoke,
suspend, reinstate, reissue) or ``read`` (list and search). A client can only ever get the
scopes of its own agency's types.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete
from sqlmodel import Session, col

from issuer.catalog import license_types
from issuer.errors import InsufficientScope, InvalidClient, InvalidScope, InvalidToken
from issuer.models import Client, Token
from issuer.settings import IssuerSettings

__all__ = [
    "ACTIONS",
    "Principal",
    "agency_scopes",
    "authenticate",
    "check_client",
    "create_client",
    "hash_token",
    "issue_client_token",
    "new_token",
]

ACTIONS = ("issue", "revoke", "read")


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int) -> tuple[PasswordHasher, str]:
    """argon2id hasher, and a dummy hash so "unknown client" costs as much as a wrong one."""
    h = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    return h, h.hash("dummy-secret-for-timing")


def hasher(settings: IssuerSettings) -> tuple[PasswordHasher, str]:
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib)


@dataclass(frozen=True)
class Principal:
    """Who is calling: an agency's client (``kind`` access / session) with its scopes."""

    agency: str
    client_id: str
    scopes: frozenset[str]
    kind: str = "access"

    def require(self, action: str, type_: str) -> None:
        if f"credential:{action}:{type_}" not in self.scopes:
            raise InsufficientScope(f"scope credential:{action}:{type_} required")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def agency_scopes(agency: str) -> frozenset[str]:
    return frozenset(f"credential:{a}:{t}" for t, lt in license_types().items()
                     if lt.agency == agency for a in ACTIONS)


def create_client(*, session: Session, settings: IssuerSettings, client_id: str, agency: str,
                  secret: str, now: int) -> Client:
    client = Client(client_id=client_id, agency_code=agency,
                    secret_hash=hasher(settings)[0].hash(secret), created_at=now)
    session.add(client)
    return client


def check_client(*, session: Session, settings: IssuerSettings, client_id: str,
                 secret: str) -> Client:
    """The enabled client whose argon2id hash matches ``secret``, else ``invalid_client``."""
    client = session.get(Client, client_id)
    h, dummy = hasher(settings)
    try:
        h.verify(client.secret_hash if client else dummy, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise InvalidClient("client authentication failed") from None
    if client is None or client.disabled:
        raise InvalidClient("client authentication failed")
    return client


def issue_client_token(*, session: Session, client: Client, scope: str | None, now: int,
                       ttl_s: int, kind: str = "access") -> tuple[str, frozenset[str]]:
    """A bearer token for ``client``; ``scope`` narrows its agency's scopes (never widens)."""
    allowed = agency_scopes(client.agency_code)
    if scope:
        wanted = frozenset(scope.split())
        if not wanted <= allowed:
            raise InvalidScope("requested scope exceeds the client's agency",
                               not_allowed=sorted(wanted - allowed))
        granted = wanted
    else:
        granted = allowed
    # Expired tokens are useless: drop them here (indexed on exp) instead of in a cron job.
    session.execute(delete(Token).where(col(Token.exp) <= now))
    token = new_token()
    session.add(Token(token_hash=hash_token(token), kind=kind, client_id=client.client_id,
                      agency_code=client.agency_code, scope=" ".join(sorted(granted)),
                      exp=now + ttl_s))
    return token, granted


def authenticate(*, session: Session, token: str, now: int,
                 kinds: tuple[str, ...] = ("access",)) -> Principal:
    row = session.get(Token, hash_token(token))
    if row is None or row.kind not in kinds or row.exp <= now or row.agency_code is None:
        raise InvalidToken("access token invalid or expired")
    client = session.get(Client, row.client_id) if row.client_id else None
    if client is None or client.disabled:
        raise InvalidToken("client disabled")
    return Principal(agency=row.agency_code, client_id=client.client_id,
                     scopes=frozenset(row.scope.split()), kind=row.kind)


