"""Health, readiness, metrics, security headers and request ids (elicense.ops)."""

from __future__ import annotations

import pytest

from core.clock import FixedClock
from tests.ops.conftest import METRICS_TOKEN
from tests.wallet.conftest import Env, build_env
from wallet.demo import DEMO_PASSWORD, DEMO_USER

SERVICES = ("issuer", "wallet", "verifier")
OPS = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.mark.parametrize("service", SERVICES)
def test_healthz_and_readyz(world: Env, service: str) -> None:
    assert world.http.get(f"/{service}/healthz").json() == {"status": "ok", "service": service}
    r = world.http.get(f"/{service}/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready", r.text


def test_readyz_refuses_without_keys_or_trust_list(db_url: str, clock: FixedClock,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELICENSE_EVENTS_POLL_S", "0")
    # build_env bootstraps the issuer; the verifier without its bootstrap has no trust list
    gen = build_env(db_url, clock)
    env = next(gen)
    try:
        import verifier.app as vapp

        app = vapp.create_app(vapp.Settings(database_url=db_url), http=env.http, clock=clock)
        env.app.mount("/v2", app)
        r = env.http.get("/v2/readyz")
        assert r.status_code == 503 and r.json()["code"] == "service_unavailable"
        assert r.json()["failed"] == ["trust_list"]
        assert env.http.get("/v2/healthz").status_code == 200
    finally:
        gen.close()


def test_metrics_need_loopback_or_the_token(world: Env) -> None:
    # TestClient's peer is "testclient", not loopback
    r = world.http.get("/verifier/metrics")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = world.http.get("/verifier/metrics", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 403
    assert world.http.get("/verifier/metrics", headers=OPS).status_code == 200


def test_metrics_from_loopback_unless_proxied() -> None:
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    from core.settings import BaseServiceSettings
    from core.web import install_problem_handlers
    from elicense import ops

    app = FastAPI()
    install_problem_handlers(app)
    ops.install(app, service="verifier", engine=None, settings=BaseServiceSettings())
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        assert client.get("/metrics").status_code == 200
        r = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert r.status_code == 403


def test_metrics_count_issuance_verification_and_replays(world: Env) -> None:
    env = world
    r = env.http.post("/wallet/v1/login", json={"username": DEMO_USER,
                                               "password": DEMO_PASSWORD})
    citizen = {"Authorization": f"Bearer {r.json()['access_token']}"}
    creds = env.http.get("/wallet/v1/credentials", headers=citizen).json()["credentials"]
    id_card = next(c["id"] for c in creds if c["type"] == "id_card")
    qr = env.http.post(f"/wallet/v1/credentials/{id_card}/qr", headers=citizen,
                       json={"scenario": "hotel_checkin", "mode": "offline"}).json()["payload"]
    hotel = {"Authorization": "Bearer demo-hotel-key"}
    verdicts = [env.http.post("/verifier/v1/verify", headers=hotel,
                              json={"scenario": "hotel_checkin", "qr": qr}).json()["valid"]
                for _ in range(2)]
    assert verdicts == [True, False]
    issuer = env.http.get("/issuer/metrics", headers=OPS).text
    assert 'elicense_issued_credentials{type="id_card"} 1.0' in issuer
    assert "elicense_status_list_age_seconds " in issuer
    verifier = env.http.get("/verifier/metrics", headers=OPS).text
    assert 'elicense_verifications{result="valid",scenario="hotel_checkin"} 1.0' in verifier
    assert 'elicense_verifications{result="invalid",scenario="hotel_checkin"} 1.0' in verifier
    assert "elicense_replay_hits 1.0" in verifier
    assert ('elicense_http_requests_count{method="POST",route="/verifier/v1/verify",'
            'service="verifier",status="200"} 2.0') in verifier
    assert "elicense_metrics_db_up 1.0" in verifier
    wallet = env.http.get("/wallet/metrics", headers=OPS).text
    assert 'route="/wallet/v1/credentials/{credential_id}/qr"' in wallet


@pytest.mark.parametrize("path", ["/issuer/", "/wallet/", "/verifier/", "/wallet/v1/scenarios",
                                  "/verifier/v1/scenarios", "/issuer/jwks.json"])
def test_security_headers_on_every_response(world: Env, path: str) -> None:
    r = world.http.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    assert "strict-transport-security" not in r.headers  # dev mode: plain http


def test_hsts_outside_dev() -> None:
    from fastapi import FastAPI
    from pydantic import SecretStr
    from starlette.testclient import TestClient

    from core.settings import BaseServiceSettings
    from elicense import ops

    app = FastAPI()
    ops.install(app, service="verifier", engine=None,
                settings=BaseServiceSettings(mode="prod",
                                                 key_encryption_secret=SecretStr("x" * 40)))
    with TestClient(app) as client:
        r = client.get("/healthz")
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")


def test_request_id_is_echoed_or_generated(world: Env) -> None:
    r = world.http.get("/wallet/healthz", headers={"X-Request-Id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    generated = world.http.get("/wallet/healthz",
                               headers={"X-Request-Id": "bad id\nwith newline"})
    assert len(generated.headers["x-request-id"]) == 32
    assert world.http.get("/wallet/healthz").headers["x-request-id"] != \
        generated.headers["x-request-id"]


def test_readyz_names_what_is_missing(db_url: str) -> None:
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    from core.db import make_engine
    from core.settings import BaseServiceSettings
    from elicense import ops

    def ready(service: str, url: str) -> tuple[int, list[str]]:
        engine = make_engine(url)
        app = FastAPI()
        ops.install(app, service=service, engine=engine, settings=BaseServiceSettings())
        try:
            with TestClient(app) as client:
                r = client.get("/readyz")
        finally:
            engine.dispose()
        return r.status_code, r.json().get("failed", [])

    assert ready("issuer", db_url) == (503, ["keys"])  # migrated, never bootstrapped
    assert ready("wallet", db_url) == (200, [])
    gone = "postgresql://nobody@127.0.0.1:1/nothing"  # nothing listens on port 1
    assert ready("wallet", gone) == (503, ["database"])
