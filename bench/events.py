"""Benchmark: license-event webhooks (issue 8) on SQLite — the cost the outbox adds to a
state change, and the delivery rate of ``deliver_due`` (claim, unseal, sign, POST, commit
per delivery) to an in-process receiver that verifies every signature.

Timed: N ``suspend`` state changes through ``issuer.lifecycle.change_state`` with and
without a matching subscription (each emits an event and, with one, a sealed delivery);
then ``deliver_due`` draining the N deliveries into a FastAPI receiver mounted in the same
``TestClient`` (no network; the receiver runs ``issuer.events.verify_webhook``).

Ends with exactly one line::

    events suspend_plain=<n>/s suspend_with_subscription=<n>/s deliver=<n>/s

Run: ``.venv/bin/python bench/events.py [--n 300]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi import FastAPI, Request, Response
from sqlmodel import Session
from starlette.exceptions import StarletteDeprecationWarning

from core.clock import FixedClock
from core.db import make_engine, migrate
from issuer import events_delivery, issuance, lifecycle, subscriptions
from issuer.app import bootstrap
from issuer.events import SIGNATURE_HEADER, verify_webhook
from issuer.keyring import issuer_signer
from issuer.oauth import Principal, agency_scopes
from issuer.schemas import Holder, IssueRequest
from issuer.settings import IssuerSettings
from keys.software import generate_signer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

BASE = "http://127.0.0.1:8000"


def _issue(session: Session, settings: IssuerSettings, p: Principal, n: int, now: int
           ) -> list[str]:
    holder = generate_signer("EdDSA").public_jwk()
    signer = issuer_signer(session, settings)
    req = IssueRequest(type="business_license", holder=Holder(jwk=holder), claims={
        "company_name": "某某有限公司", "unified_social_credit_code": "91110105MA01ABCD1X",
        "business_scope": ["零售"]})
    return [issuance.issue(session=session, settings=settings, signer=signer, principal=p,
                           req=req, now=now)["id"] for _ in range(n)]


def _suspend_rate(session: Session, settings: IssuerSettings, p: Principal, ids: list[str],
                  now: int) -> float:
    t0 = time.perf_counter()
    for cid in ids:
        lifecycle.change_state(session=session, settings=settings, principal=p, cred_id=cid,
                               action="suspend", now=now)
    return len(ids) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    n = ap.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        settings = IssuerSettings(database_url=url, public_url=BASE, mode="dev",
                                  argon2_time_cost=1, argon2_memory_kib=1024,
                                  status_list_size=2**14, events_poll_s=0)
        clock = FixedClock(1_790_000_000)
        bootstrap(settings, clock=clock)
        engine = make_engine(url)
        p = Principal(client_id="bench", agency="amr", scopes=agency_scopes("amr"),
                      kind="access")
        now = clock.now()
        received = 0
        app = FastAPI()
        with Session(engine, expire_on_commit=False) as s:
            jwks = {"keys": [issuer_signer(s, settings).public_jwk()]}

        @app.post("/hooks")
        async def hook(request: Request) -> Response:
            nonlocal received
            verify_webhook(await request.body(), request.headers[SIGNATURE_HEADER], jwks,
                           iss=settings.issuer_url)
            received += 1
            return Response(status_code=204)

        with Session(engine, expire_on_commit=False) as s:
            plain = _suspend_rate(s, settings, p, _issue(s, settings, p, n, now), now)
            subscriptions.create(session=s, agency="hc", now=now, require_https=False,
                                 req=subscriptions.SubscriptionIn(
                                     type="business_license", events=["suspended"],
                                     fields=["company_name", "business_scope"],
                                     url=f"{BASE}/hooks"))
            subbed = _suspend_rate(s, settings, p, _issue(s, settings, p, n, now), now)
        with TestClient(app, base_url=BASE) as http, Session(engine) as s:
            t0 = time.perf_counter()
            while events_delivery.deliver_due(session=s, http=http, clock=clock,
                                              settings=settings).delivered:
                pass
            rate = received / (time.perf_counter() - t0)
        engine.dispose()
        assert received == n, received
    print(f"events suspend_plain={plain:.0f}/s suspend_with_subscription={subbed:.0f}/s "
          f"deliver={rate:.0f}/s")


if __name__ == "__main__":
    main()
