"""Holder keys of a citizen, kept through ``keys/`` (encrypted at rest, owner
``wallet:<user_id>``). One fresh key per credential copy: a verifier that sees two copies
sees two unrelated ``cnf.jwk`` values (docs/unlinkability.md)."""

from __future__ import annotations

from sqlmodel import Session

from core.clock import Clock
from core.settings import BaseServiceSettings
from core.signing import Signer
from keys import service as keys

__all__ = ["holder_signer", "new_holder_key", "owner_of"]


def owner_of(user_id: int) -> str:
    return f"wallet:{user_id}"


def new_holder_key(*, db: Session, user_id: int, alg: str, settings: BaseServiceSettings,
                   clock: Clock) -> Signer:
    row = keys.generate(session=db, owner=owner_of(user_id), alg=alg, clock=clock,
                        settings=settings, state="active")
    return keys.signer_for_kid(session=db, kid=row.kid, settings=settings,
                               owner=owner_of(user_id))


def holder_signer(*, db: Session, user_id: int, kid: str, settings: BaseServiceSettings
                  ) -> Signer:
    return keys.signer_for_kid(session=db, kid=kid, settings=settings, owner=owner_of(user_id))
