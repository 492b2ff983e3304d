"""Verifier organisations (DESIGN §5): a hotel, a police unit, an internet café, city
management — each registered for certain scenarios, with API keys and staff logins.

API keys and staff session tokens are bearer secrets stored only as SHA-256 (they are
high-entropy or operator-chosen, and are looked up on every verification, so a slow hash
would be the bottleneck); staff passwords are argon2id. Any scenario an organisation is not
registered for is refused with ``scenario_not_allowed`` before the QR is looked at.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.errors import Unauthenticated
from verifier.errors import ScenarioNotAllowed
from verifier.models import VerifierOrg, VerifierStaff, VerifierToken

__all__ = [
    "OrgPrincipal",
    "PrincipalCache",
    "add_api_key",
    "add_staff",
    "authenticate",
    "ensure_org",
    "hash_token",
    "login",
    "require_scenario",
]

_HASHER = PasswordHasher()
# Argon2 work spent on an unknown username, so timing does not reveal which names exist.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")


@dataclass(frozen=True)
class OrgPrincipal:
    """Who is calling: the organisation, and the staff member for a session token."""

    org_id: str
    name_zh: str
    name_en: str
    scenarios: frozenset[str]
    staff: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def ensure_org(*, session: Session, org_id: str, name_zh: str, name_en: str,
               scenarios: Iterable[str], now: int) -> VerifierOrg:
    """Create or update an organisation (idempotent; used by bootstrap and the CLI)."""
    org = session.get(VerifierOrg, org_id)
    ids = json.dumps(sorted(set(scenarios)))
    if org is None:
        org = VerifierOrg(id=org_id, name_zh=name_zh, name_en=name_en, scenarios=ids,
                          created_at=now)
    else:
        org.name_zh, org.name_en, org.scenarios = name_zh, name_en, ids
    session.add(org)
    session.commit()
    return org


def add_api_key(*, session: Session, org_id: str, now: int, key: str | None = None,
                label: str = "") -> str:
    """Register an API key (generated when not given); returns it — shown once."""
    key = key or "vk_" + secrets.token_urlsafe(32)
    h = hash_token(key)
    if session.get(VerifierToken, h) is None:
        session.add(VerifierToken(token_hash=h, org_id=org_id, kind="api_key", label=label,
                                  created_at=now))
        session.commit()
    return key


def add_staff(*, session: Session, org_id: str, username: str, password: str,
              now: int) -> None:
    row = session.get(VerifierStaff, username)
    if row is None:
        session.add(VerifierStaff(username=username, org_id=org_id,
                                  password_hash=_HASHER.hash(password), created_at=now))
        session.commit()


def login(*, session: Session, username: str, password: str, now: int, ttl_s: int) -> str:
    """A staff session token (bearer) for the staff page; ``unauthenticated`` otherwise."""
    row = session.get(VerifierStaff, username)
    try:
        _HASHER.verify(row.password_hash if row else _DUMMY_HASH, password)
    except Argon2Error:
        raise Unauthenticated("wrong username or password") from None
    if row is None:
        raise Unauthenticated("wrong username or password")
    token = "vs_" + secrets.token_urlsafe(32)
    session.add(VerifierToken(token_hash=hash_token(token), org_id=row.org_id, kind="session",
                              staff_username=username, created_at=now,
                              expires_at=now + ttl_s))
    session.commit()
    return token


def authenticate(*, session: Session, token: str | None, now: int) -> OrgPrincipal:
    principal, _until = _lookup(session, token, now)
    return principal


def _lookup(session: Session, token: str | None, now: int) -> tuple[OrgPrincipal, int | None]:
    if not token:
        raise Unauthenticated("bearer token required")
    row = session.get(VerifierToken, hash_token(token))
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        raise Unauthenticated("unknown or expired token")
    org = session.get(VerifierOrg, row.org_id)
    if org is None:  # pragma: no cover - foreign key
        raise Unauthenticated("unknown organisation")
    return OrgPrincipal(org_id=org.id, name_zh=org.name_zh, name_en=org.name_en,
                        scenarios=org.scenario_ids(), staff=row.staff_username), row.expires_at


class PrincipalCache:
    """Per-process cache of authenticated tokens (by hash) for ``ttl_s`` seconds, so the
    hot path does not read two rows per verification. A revoked API key or a changed
    registration takes effect within ``ttl_s``; a session never outlives its expiry."""

    def __init__(self, ttl_s: int = 30, max_entries: int = 10_000) -> None:
        self._ttl_s = ttl_s
        self._max = max_entries
        self._entries: dict[str, tuple[OrgPrincipal, int]] = {}

    def cached(self, *, token: str | None, now: int) -> OrgPrincipal | None:
        hit = self._entries.get(hash_token(token)) if token else None
        return hit[0] if hit is not None and now < hit[1] else None

    def authenticate(self, *, engine: Engine, token: str | None, now: int) -> OrgPrincipal:
        hit = self.cached(token=token, now=now)
        if hit is not None:
            return hit
        key = hash_token(token) if token else ""
        with Session(engine) as session:
            principal, expires_at = _lookup(session, token, now)
        until = now + self._ttl_s if expires_at is None else min(now + self._ttl_s,
                                                                   expires_at)
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (principal, until)
        return principal


def require_scenario(principal: OrgPrincipal, scenario_id: str) -> None:
    if scenario_id not in principal.scenarios:
        raise ScenarioNotAllowed(f"{principal.org_id} is not registered for {scenario_id}")
