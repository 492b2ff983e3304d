"""Status list shards and their tokens (draft-ietf-oauth-status-list-20).

- Shards of ``status_list_size`` entries (2^20 by default), 2 bits each (§4.1; 0 VALID,
  1 INVALID, 2 SUSPENDED, §7.1). A shard takes new indices until ``status_list_fill`` of it
  is used, then the next shard opens.
- Indices are drawn uniformly at random within the shard with the OS CSPRNG (§12.5 "herd
  privacy": neighbouring indices say nothing about issue order) and never reused. A
  credential has one index, and each further copy picked up in a batch has its own
  (``CredentialCopy``), so copies cannot be linked by index. Allocation first bumps the
  shard's ``used`` counter, which locks the shard row until commit: concurrent draws in one
  shard are serialised and each sees the indices committed before it (both tables), and the
  ``(status_list_id, status_idx)`` UNIQUE constraints back this up.
- Tokens (``statuslist+jwt``, §5.1) are rebuilt from the credential states on read, when a
  change is pending and the last token is at least ``status_list_min_refresh_s`` old, or the
  token nears its ``exp``: many revocations in a burst cost one signature (coalescing).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from array import array
from dataclasses import dataclass

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from core.jose import b64u_decode, json_loads
from core.signing import Signer
from core.statuslist import INVALID, SUSPENDED, StatusList, sign_status_list_token
from issuer.errors import StatusListNotFound
from issuer.models import Credential, CredentialCopy, StatusListShard
from issuer.settings import IssuerSettings

__all__ = ["STATE_VALUES", "PublishedList", "allocate", "mark_changed",
           "mark_credential_changed", "published"]

BITS = 2
STATE_VALUES = {"revoked": INVALID, "suspended": SUSPENDED}


def _open_shard(session: Session, settings: IssuerSettings, need: int, now: int
                ) -> StatusListShard:
    cap = int(settings.status_list_size * settings.status_list_fill)
    shard = session.exec(
        select(StatusListShard)
        .where(StatusListShard.size == settings.status_list_size,
               col(StatusListShard.used) + need <= cap)
        .order_by(col(StatusListShard.id)).limit(1)).first()
    if shard is None:
        shard = StatusListShard(bits=BITS, size=settings.status_list_size, created_at=now)
        session.add(shard)
        session.flush()
    return shard


def _taken(session: Session, list_id: int, candidates: list[int]) -> set[int]:
    """Which of ``candidates`` are already used in shard ``list_id`` (index lookups, so the
    cost follows the batch, not the shard's size)."""
    out: set[int] = set()
    for i in range(0, len(candidates), 500):
        params = {"list_id": list_id, "idx": candidates[i:i + 500]}
        out.update(session.execute(_TAKEN, params).scalars())
        out.update(session.execute(_TAKEN_COPY, params).scalars())
    return out


# One statement per table, an expanding IN: no per-value coercion of a 500-value list.
_TAKEN = (select(Credential.status_idx)
          .where(col(Credential.status_list_id) == bindparam("list_id"),
                 col(Credential.status_idx).in_(bindparam("idx", expanding=True))))
_TAKEN_COPY = (select(CredentialCopy.status_idx)
               .where(col(CredentialCopy.status_list_id) == bindparam("list_id"),
                      col(CredentialCopy.status_idx).in_(bindparam("idx", expanding=True))))


def _draw(size: int, k: int) -> list[int]:
    """``k`` uniform random indices below ``size`` from the OS CSPRNG (duplicates possible;
    the caller dedupes). A power-of-two size is masked from 32-bit words, unbiased."""
    if size & (size - 1) == 0 and size <= 2**32 and array("I").itemsize == 4:
        words = array("I", os.urandom(4 * k))
        mask = size - 1
        return [w & mask for w in words]
    return [secrets.randbelow(size) for _ in range(k)]


def allocate(session: Session, settings: IssuerSettings, n: int, now: int
             ) -> list[tuple[int, int]]:
    """``n`` fresh ``(list_id, idx)`` pairs, random and unused, in the caller's transaction.

    A batch larger than a shard's remaining room is split over shards."""
    out: list[tuple[int, int]] = []
    cap = int(settings.status_list_size * settings.status_list_fill)
    while len(out) < n:
        want = min(n - len(out), cap)
        shard = _open_shard(session, settings, want, now)
        assert shard.id is not None
        room = cap - shard.used
        want = min(want, room)
        # Claim the room first: the row lock serialises concurrent draws in this shard.
        session.execute(update(StatusListShard).where(col(StatusListShard.id) == shard.id)
                        .values(used=StatusListShard.used + want))
        session.expire(shard)
        picked: set[int] = set()
        while len(picked) < want:
            fresh = list(set(_draw(shard.size, want - len(picked))) - picked)
            picked.update(set(fresh) - _taken(session, shard.id, fresh))
        out.extend((shard.id, idx) for idx in picked)
    return out


def mark_changed(session: Session, list_id: int) -> None:
    session.execute(update(StatusListShard).where(col(StatusListShard.id) == list_id)
                    .values(changes=StatusListShard.changes + 1))


def mark_credential_changed(session: Session, row: Credential) -> None:
    """Mark every shard holding an index of ``row`` (its own and its copies') as changed."""
    lists = {row.status_list_id}
    lists.update(session.exec(select(CredentialCopy.status_list_id)
                              .where(CredentialCopy.credential_id == row.id)).all())
    for list_id in sorted(lists):
        mark_changed(session, list_id)


def _kid(token: str) -> str | None:
    kid = json_loads(b64u_decode(token.split(".", 1)[0])).get("kid")
    return kid if isinstance(kid, str) else None


@dataclass(frozen=True)
class PublishedList:
    token: str
    etag: str
    iat: int
    ttl: int


def published(*, session: Session, settings: IssuerSettings, signer: Signer, list_id: int,
              now: int) -> PublishedList:
    """The current token of shard ``list_id``, rebuilt first when due (see module doc)."""
    shard = session.get(StatusListShard, list_id)
    if shard is None:
        raise StatusListNotFound(f"no status list {list_id}")
    pending = shard.changes != shard.token_changes
    due = (shard.token is None
           or (pending and now - shard.token_iat >= settings.status_list_min_refresh_s)
           or now >= shard.token_exp - settings.status_list_ttl_s
           or _kid(shard.token) != signer.kid)  # re-sign with the new key after a rotation
    if due:
        changes = shard.changes
        lst = StatusList(shard.bits, shard.size)
        for idx, state in session.exec(
                select(Credential.status_idx, Credential.state)
                .where(Credential.status_list_id == list_id,
                       col(Credential.state).in_(tuple(STATE_VALUES)))).all():
            lst.set(idx, STATE_VALUES[state])
        for idx, state in session.exec(
                select(CredentialCopy.status_idx, Credential.state)
                .join(Credential, col(Credential.id) == col(CredentialCopy.credential_id))
                .where(CredentialCopy.status_list_id == list_id,
                       col(Credential.state).in_(tuple(STATE_VALUES)))).all():
            lst.set(idx, STATE_VALUES[state])
        token = sign_status_list_token(
            signer=signer, sub=settings.status_list_uri(list_id), status_list=lst, iat=now,
            exp=now + settings.status_list_token_lifetime_s, ttl=settings.status_list_ttl_s,
            iss=settings.issuer_url)
        shard.token = token
        shard.token_iat = now
        shard.token_exp = now + settings.status_list_token_lifetime_s
        shard.token_changes = changes
        shard.etag = hashlib.sha256(token.encode()).hexdigest()[:32]
        session.add(shard)
        session.commit()
    assert shard.token is not None and shard.etag is not None
    return PublishedList(token=shard.token, etag=shard.etag, iat=shard.token_iat,
                         ttl=settings.status_list_ttl_s)
