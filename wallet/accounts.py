"""Citizen accounts: registration, password login (argon2id), sessions and CSRF tokens.

Two kinds of session, one table: an API bearer token (``POST /wallet/v1/login``, DESIGN §7)
and the citizen page's HttpOnly cookie. Both are 256-bit random values stored as SHA-256
digests, so a leaked table grants nothing. The page's CSRF token is derived from its
session token (HMAC-like SHA-256 with a domain prefix), so it needs no storage and changes
with every login. Plain Python: no FastAPI here (STYLE habit 6).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session as DbSession
from sqlmodel import select

from core.errors import Unauthenticated
from wallet.errors import InvalidCredentials, PasswordTooShort, UsernameTaken
from wallet.models import Session, User

__all__ = [
    "authenticate",
    "csrf_ok",
    "csrf_token_for",
    "hash_token",
    "login",
    "logout",
    "new_secret",
    "register",
    "user_for_token",
]

# argon2id with the library's RFC 9106 "low memory" defaults.
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("elicense-no-such-user")


def new_secret() -> str:
    """A 256-bit random token, base64url."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def register(*, db: DbSession, username: str, password: str, now: int,
             min_password_length: int = 8) -> User:
    username = username.strip()
    if len(password) < min_password_length:
        raise PasswordTooShort(f"at least {min_password_length} characters")
    if db.exec(select(User).where(User.username == username)).first() is not None:
        raise UsernameTaken()
    user = User(username=username, password_hash=_hasher.hash(password), created_at=now)
    db.add(user)
    db.flush()
    return user


def authenticate(*, db: DbSession, username: str, password: str) -> User:
    """The user, or ``invalid_credentials`` (same code for unknown name and wrong password)."""
    user = db.exec(select(User).where(User.username == username.strip())).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError) as exc:
        raise InvalidCredentials() from exc
    if user is None:
        raise InvalidCredentials()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        db.add(user)
    return user


def login(*, db: DbSession, user: User, kind: str, now: int, ttl_s: int) -> str:
    """Open a session of ``kind`` ("api" or "page"); returns the token (shown once)."""
    assert kind in ("api", "page")
    assert user.id is not None
    token = new_secret()
    db.add(Session(user_id=user.id, token_hash=hash_token(token), kind=kind, created_at=now,
                   expires_at=now + ttl_s))
    db.flush()
    return token


def user_for_token(*, db: DbSession, token: str | None, kind: str, now: int) -> User:
    if not token:
        raise Unauthenticated()
    row = db.exec(select(Session).where(Session.token_hash == hash_token(token),
                                        Session.kind == kind)).first()
    if row is None or row.expires_at <= now:
        raise Unauthenticated()
    user = db.get(User, row.user_id)
    if user is None:
        raise Unauthenticated()
    return user


def logout(*, db: DbSession, token: str) -> None:
    row = db.exec(select(Session).where(Session.token_hash == hash_token(token))).first()
    if row is not None:
        db.delete(row)


def csrf_token_for(session_token: str) -> str:
    """The CSRF token the page must echo in ``X-CSRF-Token`` for POSTs."""
    return hashlib.sha256(b"elicense-wallet-csrf\x00" + session_token.encode()).hexdigest()[:43]


def csrf_ok(session_token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token_for(session_token),
                                                    str(presented))
