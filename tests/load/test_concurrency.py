"""Concurrency on PostgreSQL (issue 7, docs/security.md §Load and concurrency):

- one QR, 1,000 verification attempts spread over two verifier app instances (each its
  own event loop and thread pool, one shared database), fired from 64 threads: exactly
  one accepted verdict — for an online ``ELR1:`` QR (the wallet's once-only redemption)
  and for an offline ``ELV1:`` QR (the verifier's replay store), also when one instance
  gets the presentation and the other its ECDSA (r, n-s) twin;
- 20 bulk imports at once: every credential issued, status indices unique;
- one Idempotency-Key from 20 threads: one credential.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from starlette.testclient import TestClient

import verifier.app as vapp
from core.clock import FixedClock
from core.db import make_engine
from core.jose import b64u_decode, b64u_encode
from core.qr import decode_offline, encode_offline
from issuer import bulk
from issuer.models import Credential
from issuer.oauth import Principal, agency_scopes
from issuer.settings import IssuerSettings
from keys.software import generate_signer
from tests.issuer.conftest import id_card_claims
from tests.wallet.conftest import PUBLIC_URL, Env
from wallet.demo import DEMO_PASSWORD, DEMO_USER

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ATTEMPTS = 1000
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
THREADS = 64
HOTEL = {"Authorization": "Bearer demo-hotel-key"}


def _qr(env: Env, mode: str) -> str:
    r = env.http.post("/wallet/v1/login", json={"username": DEMO_USER,
                                               "password": DEMO_PASSWORD})
    citizen = {"Authorization": f"Bearer {r.json()['access_token']}"}
    creds = env.http.get("/wallet/v1/credentials", headers=citizen).json()["credentials"]
    id_card = next(c["id"] for c in creds if c["type"] == "id_card")
    r = env.http.post(f"/wallet/v1/credentials/{id_card}/qr", headers=citizen,
                      json={"scenario": "hotel_checkin", "mode": mode})
    assert r.status_code == 200, r.text
    return str(r.json()["payload"])


def _storm(env: Env, *qrs: str) -> tuple[list[dict[str, Any]], float]:
    """``ATTEMPTS`` verifications; attempt i sends ``qrs[i % len(qrs)]`` to instance i % 2."""
    settings = vapp.Settings(database_url=env.settings.database_url, public_url=PUBLIC_URL)
    workers = [TestClient(vapp.create_app(settings, http=env.http, clock=env.clock))
               for _ in range(2)]
    with workers[0], workers[1]:
        def fire(i: int) -> dict[str, Any]:
            r = workers[i % 2].post("/v1/verify", headers=HOTEL,
                                    json={"scenario": "hotel_checkin",
                                          "qr": qrs[i % len(qrs)]})
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

        start = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            verdicts = list(pool.map(fire, range(ATTEMPTS)))
        return verdicts, time.perf_counter() - start


@pytest.mark.parametrize("mode", ["online", "offline"])
def test_one_qr_is_accepted_once_across_two_verifiers(pg_world: Env, mode: str) -> None:
    verdicts, seconds = _storm(pg_world, _qr(pg_world, mode))
    accepted = [v for v in verdicts if v["valid"]]
    print(f"{mode}: {ATTEMPTS} attempts, {len(accepted)} accepted, {seconds:.1f} s")
    assert len(verdicts) == ATTEMPTS
    assert len(accepted) == 1
    refused = Counter(next(c["code"] for c in v["checks"] if not c["ok"])
                      for v in verdicts if not v["valid"])
    print(f"{mode}: refused by {dict(refused)}")
    if mode == "offline":
        assert refused == {"replayed": ATTEMPTS - 1}
    else:
        assert sum(refused.values()) == ATTEMPTS - 1 and "replayed" not in refused


def test_offline_qr_and_its_ecdsa_twin_on_two_verifiers_accept_once(pg_world: Env) -> None:
    """The KB-JWT's (r, n-s) twin is a second valid encoding of the same presentation: one
    instance gets only the original, the other only the twin; one is accepted in all."""
    presentation = decode_offline(_qr(pg_world, "offline"))
    sig = b64u_decode(presentation[presentation.rindex(".") + 1:])
    assert len(sig) == 64  # ES256 holder key (wallet default)
    s = int.from_bytes(sig[32:], "big")
    twin = presentation[:presentation.rindex(".") + 1] + b64u_encode(
        sig[:32] + (P256_N - s).to_bytes(32, "big"))
    verdicts, _seconds = _storm(pg_world, encode_offline(presentation), encode_offline(twin))
    accepted = [v for v in verdicts if v["valid"]]
    assert len(accepted) == 1
    refused = Counter(next(c["code"] for c in v["checks"] if not c["ok"])
                      for v in verdicts if not v["valid"])
    assert refused == {"replayed": ATTEMPTS - 1}


def _principal() -> Principal:
    return Principal(agency="psb", client_id="load-test", scopes=agency_scopes("psb"))


def test_concurrent_bulk_imports_lose_nothing(pg_world: Env, clock: FixedClock) -> None:
    settings = IssuerSettings(database_url=pg_world.settings.database_url,
                              public_url=PUBLIC_URL)
    engine = make_engine(settings.database_url)
    holder = generate_signer("ES256")
    imports, per_import = 20, 25

    def run(n: int) -> list[dict[str, Any]]:
        lines = [orjson.dumps({
            "ref": f"load-{n}-{i}", "type": "id_card",
            "claims": id_card_claims(document_number=f"11010519900501{n:02d}{i:02d}"),
            "holder": {"jwk": holder.public_jwk()}}).decode() for i in range(per_import)]
        return [orjson.loads(x) for x in bulk.issue_ndjson(
            engine=engine, settings=settings, principal=_principal(), lines=lines,
            clock=clock, chunk=10)]

    try:
        with ThreadPoolExecutor(imports) as pool:
            results = [r for out in pool.map(run, range(imports)) for r in out]
        errors = [r for r in results if "error" in r]
        assert errors == []
        assert len(results) == imports * per_import
        with Session(engine) as s:
            rows = s.exec(select(Credential.status_list_id, Credential.status_idx).where(
                Credential.agency_code == "psb",
                Credential.ref.startswith("load-"))).all()  # type: ignore[union-attr]
        assert len(rows) == imports * per_import
        assert len(set(rows)) == len(rows)
        assert {(r["status"]["uri"], r["status"]["idx"]) for r in results}.__len__() == len(rows)
    finally:
        engine.dispose()


def test_one_idempotency_key_from_20_threads_issues_once(pg_world: Env) -> None:
    env = pg_world
    r = env.http.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                      auth=("demo-psb", "demo-psb-secret"))
    auth = {"Authorization": f"Bearer {r.json()['access_token']}",
            "Idempotency-Key": "load-same-key-1"}
    holder = generate_signer("ES256")
    body = {"type": "id_card", "claims": id_card_claims(document_number="110105199005019999"),
            "holder": {"jwk": holder.public_jwk()}}
    engine = make_engine(env.settings.database_url)

    def count() -> int:
        with Session(engine) as s:
            return int(s.exec(select(func.count()).select_from(Credential)).one())

    try:
        before = count()
        post: Callable[[int], Any] = lambda _i: env.http.post(  # noqa: E731
            "/issuer/v1/credentials", headers=auth, json=body)
        with ThreadPoolExecutor(20) as pool:
            responses = list(pool.map(post, range(20)))
        assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        assert count() == before + 1
    finally:
        engine.dispose()
