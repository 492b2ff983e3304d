"""Webhook delivery of license events (issue 8): at least once, retries with exponential
backoff, a dead-letter list, redelivery.

``deliver_due`` sends every delivery that is due (``next_attempt_at <= now``), one commit
per delivery, so a crash repeats at most the one in flight (receivers dedupe on the event
id). It is called by the app's background loop (``run_worker``) and by tests directly with
a fixed clock. A 2xx answer is success; anything else (status, timeout, refused
connection) schedules attempt n+1 after ``base * 2^(n-1)`` seconds (capped); after
``events_max_attempts`` the delivery is ``dead`` until ``redeliver``.
Several workers (processes, machines) share the table: each delivery is claimed by one
conditional UPDATE (a lease, ``claim``) before it is sent, so only a worker that dies
mid-send causes a second delivery — within at-least-once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx
import orjson
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import Clock
from issuer import events
from issuer.events_errors import DeliveryNotFound
from issuer.events_models import Delivery, Event, Subscription
from issuer.keyring import issuer_signer
from issuer.models import Credential
from issuer.sealing import sealer_for
from issuer.settings import IssuerSettings

__all__ = ["DeliveryRun", "deliver_due", "redeliver", "run_worker", "scan_expiring"]

log = logging.getLogger("elicense.issuer.events")


@dataclass(frozen=True)
class DeliveryRun:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0


def backoff_s(settings: IssuerSettings, attempts: int) -> int:
    return int(min(settings.events_backoff_base_s * 2 ** (attempts - 1),
                   settings.events_backoff_max_s))


def lease_s(settings: IssuerSettings) -> int:
    """How long a claimed delivery is left to its worker before another may take it."""
    return int(settings.events_timeout_s) * 3 + 30


def claim(session: Session, delivery_id: int, seen_at: int, *, now: int, lease_s: int
          ) -> Delivery | None:
    """Take a delivery read as due at ``seen_at``: one conditional UPDATE moves
    ``next_attempt_at`` past the lease, so of several workers that read the same due row
    exactly one gets it (None for the others). A worker that dies mid-send leaves the row
    to be retried when the lease ends."""
    result = session.execute(
        update(Delivery).where(col(Delivery.id) == delivery_id,
                               col(Delivery.state) == "pending",
                               col(Delivery.next_attempt_at) == seen_at)
        .values(next_attempt_at=now + lease_s))
    session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(Delivery, delivery_id, populate_existing=True)


def _send(http: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> str | None:
    """None on success, else a short reason (kept in ``last_error``)."""
    try:
        r = http.post(url, content=body, headers=headers)  # the client's timeout applies
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    return None if 200 <= r.status_code < 300 else f"HTTP {r.status_code}"


def deliver_due(*, session: Session, http: httpx.Client, clock: Clock,
                settings: IssuerSettings, limit: int = 100) -> DeliveryRun:
    """Send the due deliveries (oldest first, at most ``limit``)."""
    now = clock.now()
    due = session.exec(select(Delivery).where(Delivery.state == "pending",
                                              col(Delivery.next_attempt_at) <= now)
                       .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
                       .limit(limit)).all()
    if not due:
        return DeliveryRun()
    # (id, next_attempt_at) as read: the claim compares with these, not with reloaded rows
    seen = [(int(d.id or 0), d.next_attempt_at) for d in due]
    signer = issuer_signer(session, settings)
    sealer = sealer_for(settings.key_encryption_secret.get_secret_value())
    delivered = failed = dead = skipped = 0
    for delivery_id, seen_at in seen:
        taken = claim(session, delivery_id, seen_at, now=now, lease_s=lease_s(settings))
        if taken is None:
            skipped += 1  # another worker took it
            continue
        d = taken
        sub = session.get(Subscription, d.subscription_id)
        event = session.get(Event, d.event_id)
        assert sub is not None and event is not None  # foreign keys
        body = orjson.dumps(sealer.open(d.body_enc, aad=events._aad(d.event_id, sub.id)),
                            option=orjson.OPT_SORT_KEYS)
        headers = {
            "Content-Type": "application/json",
            events.SIGNATURE_HEADER: events.sign_webhook(
                body, signer=signer, iss=settings.issuer_url, event_id=d.event_id, iat=now),
            "Elicense-Event-Id": d.event_id,
            "Elicense-Event-Time": str(event.at),
            "Elicense-Delivery-Attempt": str(d.attempts + 1),
        }
        error = _send(http, sub.url, body, headers)
        d.attempts += 1
        if error is None:
            d.state, d.delivered_at, d.last_error = "delivered", now, None
            delivered += 1
        elif d.attempts >= settings.events_max_attempts:
            d.state, d.last_error = "dead", error
            dead += 1
            log.warning("event %s to %s dead after %d attempts: %s", d.event_id, sub.id,
                        d.attempts, error)
        else:
            d.last_error = error
            d.next_attempt_at = now + backoff_s(settings, d.attempts)
            failed += 1
        session.add(d)
        session.commit()
    return DeliveryRun(delivered, failed, dead, skipped)


def _owner(session: Session, d: Delivery) -> str | None:
    sub = session.get(Subscription, d.subscription_id)
    return sub.agency_code if sub else None


def redeliver(*, session: Session, now: int, ident: str | None = None, dead: bool = False,
              agency: str | None = None) -> int:
    """Queue again: the deliveries of event ``ident`` (or delivery id ``ident``), or every
    dead one (``dead=True``); ``agency`` limits it to that agency's subscriptions."""
    stmt = select(Delivery)
    if dead:
        stmt = stmt.where(Delivery.state == "dead")
    elif ident is not None and ident.isdigit():
        stmt = stmt.where(Delivery.id == int(ident))
    elif ident is not None:
        stmt = stmt.where(Delivery.event_id == ident)
    else:
        raise ValueError("give an id or dead=True")
    rows = [d for d in session.exec(stmt).all() if agency is None or _owner(session, d) == agency]
    if not rows and not dead:
        raise DeliveryNotFound(f"no delivery for {ident!r}")
    for d in rows:
        d.state, d.attempts, d.next_attempt_at = "pending", 0, now
        session.add(d)
    session.commit()
    return len(rows)


def scan_expiring(*, session: Session, settings: IssuerSettings, now: int,
                  limit: int = 1000) -> int:
    """Emit ``expiring`` once per credential (and expiry) within the window, for types
    someone subscribed to it on."""
    subs = session.exec(select(Subscription).where(Subscription.active == True)  # noqa: E712
                        ).all()
    types = sorted({s.type for s in subs if "expiring" in s.kind_list()})
    if not types:
        return 0
    sealer = sealer_for(settings.key_encryption_secret.get_secret_value())
    seen = select(Event.credential_id).where(Event.kind == "expiring")
    rows = session.exec(select(Credential).where(
        col(Credential.type).in_(types), Credential.state == "valid",
        col(Credential.exp) > now, col(Credential.exp) <= now + settings.events_expiring_window_s,
        col(Credential.id).not_in(seen)).limit(limit)).all()
    for row in rows:
        events.emit(session, settings, kind="expiring", credential_id=row.id, type_=row.type,
                    agency=row.agency_code, state=row.state, now=now,
                    claims=sealer.open(row.claims_enc, aad=row.id.encode()),
                    dedupe=str(row.exp))
    session.commit()
    return len(rows)


async def run_worker(*, engine: Engine, settings: IssuerSettings, http: httpx.Client,
                     clock: Clock) -> None:
    """The app lifespan's loop: scan for expiring credentials, send what is due, sleep."""

    def once() -> None:
        with Session(engine, expire_on_commit=False) as session:
            scan_expiring(session=session, settings=settings, now=clock.now())
            deliver_due(session=session, http=http, clock=clock, settings=settings)

    while True:
        await asyncio.sleep(settings.events_poll_s)
        try:
            await asyncio.to_thread(once)
        except Exception:  # keep the loop alive; the next round retries
            log.exception("license event worker round failed")
