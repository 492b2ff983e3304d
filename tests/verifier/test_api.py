"""The verifier HTTP API over TestClient: catalog, auth, verify (text and image), staff
login, typed problems; status lists come over HTTP from a small issuer-like ASGI app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Response
from sqlmodel import Session
from starlette.testclient import TestClient

from core.clock import FixedClock
from core.qr import render_png
from tests.verifier.world import World, codes
from verifier.app import DEMO_ORGS, create_app
from verifier.orgs import add_api_key, add_staff, ensure_org
from verifier.settings import Settings

HOTEL = {"Authorization": "Bearer demo-hotel-key"}


def _status_server(world: World) -> TestClient:
    app = FastAPI()

    @app.get("/issuer/status-lists/{n}")
    def status_list(n: int) -> Response:
        return Response(world.status_token(), media_type="application/statuslist+jwt")

    return TestClient(app, base_url="https://city.example")


@pytest.fixture
def client(world: World, db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[TestClient]:
    with Session(world.engine) as s:
        for org_id, zh, en, scenarios, key, (user, pw) in DEMO_ORGS[:3]:
            ensure_org(session=s, org_id=org_id, name_zh=zh, name_en=en, scenarios=scenarios,
                       now=clock.now())
            add_api_key(session=s, org_id=org_id, key=key, now=clock.now())
            if user == "hotel":
                add_staff(session=s, org_id=org_id, username=user, password=pw,
                          now=clock.now())
    trust_file = tmp_path / "trust.jwt"
    trust_file.write_text(world.trust_jws)
    settings = Settings(database_url=db_url, trust_list_source=str(trust_file),
                        trust_anchor_jwk=json.dumps(world.anchor.public_jwk()))
    with _status_server(world) as http, TestClient(create_app(settings, http=http,
                                                              clock=clock)) as c:
        yield c


def test_catalog_is_public(client: TestClient) -> None:
    resp = client.get("/v1/scenarios")
    assert resp.status_code == 200
    ids = {s["id"] for s in resp.json()["scenarios"]}
    assert {"hotel_checkin", "roadside_inspection", "internet_cafe",
            "dog_license_check"} <= ids


def test_verify_requires_an_api_key(client: TestClient) -> None:
    resp = client.post("/v1/verify", json={"scenario": "hotel_checkin", "qr": "x"})
    assert resp.status_code == 401 and resp.json()["code"] == "unauthenticated"
    resp = client.post("/v1/verify", json={"scenario": "hotel_checkin", "qr": "x"},
                       headers={"Authorization": "Bearer wrong"})
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_scenario_not_registered_is_403(client: TestClient, world: World) -> None:
    resp = client.post("/v1/verify", headers={"Authorization": "Bearer demo-cafe-key"},
                       json={"scenario": "hotel_checkin", "qr": world.offline_qr("hotel_checkin")})
    assert resp.status_code == 403 and resp.json()["code"] == "scenario_not_allowed"
    resp = client.post("/v1/verify", headers=HOTEL, json={"scenario": "nope", "qr": "x"})
    assert resp.status_code == 404 and resp.json()["code"] == "unknown_scenario"


def test_verify_text(client: TestClient, world: World) -> None:
    resp = client.post("/v1/verify", headers=HOTEL,
                       json={"scenario": "hotel_checkin", "qr": world.offline_qr("hotel_checkin")})
    assert resp.status_code == 200
    assert resp.json()["valid"] is True, resp.json()["checks"]


def test_a_replay_store_that_cannot_be_written_is_a_503_not_a_verdict(
        client: TestClient, world: World) -> None:
    """Fault: the database refuses the write. No verdict at all — a "valid" whose use was
    not recorded could be replayed — but a typed 503, on both write paths; afterwards the
    same QR verifies (nothing was consumed)."""
    from sqlalchemy import text

    qr = world.offline_qr("hotel_checkin")
    png = render_png(qr)
    with world.engine.begin() as conn:
        conn.execute(text("ALTER TABLE verifier_replay RENAME TO replay_away"))
    resp = client.post("/v1/verify", headers=HOTEL, json={"scenario": "hotel_checkin",
                                                           "qr": qr})
    assert resp.status_code == 503, resp.text
    assert resp.json()["code"] == "database_unavailable"
    assert resp.headers["content-type"].startswith("application/problem+json")
    resp = client.post("/v1/verify-image", headers=HOTEL, data={"scenario": "hotel_checkin"},
                       files={"image": ("qr.png", png, "image/png")})  # the writer thread
    assert resp.status_code == 503 and resp.json()["code"] == "database_unavailable"
    with world.engine.begin() as conn:
        conn.execute(text("ALTER TABLE replay_away RENAME TO verifier_replay"))
    resp = client.post("/v1/verify", headers=HOTEL, json={"scenario": "hotel_checkin",
                                                           "qr": qr})
    assert resp.status_code == 200 and resp.json()["valid"] is True, resp.json()["checks"]


def test_verify_revoked_over_http_status(client: TestClient, world: World) -> None:
    world.statuses.set(7, 1)
    resp = client.post("/v1/verify", headers=HOTEL,
                       json={"scenario": "hotel_checkin", "qr": world.offline_qr("hotel_checkin")})
    assert codes(resp.json())["status"] == (False, "revoked")


def test_verify_image(client: TestClient, world: World) -> None:
    png = render_png(world.offline_qr("hotel_checkin"))
    resp = client.post("/v1/verify-image", headers=HOTEL, data={"scenario": "hotel_checkin"},
                       files={"image": ("qr.png", png, "image/png")})
    assert resp.status_code == 200
    assert resp.json()["valid"] is True, resp.json()["checks"]


def test_tampered_and_blank_images_give_verdicts_not_500(client: TestClient,
                                                         world: World) -> None:
    png = bytearray(render_png(world.offline_qr("hotel_checkin")))
    png[len(png) // 2] ^= 0xFF
    resp = client.post("/v1/verify-image", headers=HOTEL, data={"scenario": "hotel_checkin"},
                       files={"image": ("qr.png", bytes(png), "image/png")})
    assert resp.status_code == 200 and resp.json()["valid"] is False
    assert codes(resp.json())["envelope"][0] is False
    resp = client.post("/v1/verify-image", headers=HOTEL, data={"scenario": "hotel_checkin"},
                       files={"image": ("x.png", b"not an image", "image/png")})
    assert resp.status_code == 200 and codes(resp.json())["envelope"] == (False,
                                                                          "qr_image_invalid")
    resp = client.post("/v1/verify-image", headers=HOTEL, data={"scenario": "hotel_checkin"},
                       files={"image": ("x.gif", b"GIF89a", "image/gif")})
    assert resp.status_code == 400 and resp.json()["code"] == "unsupported_image"


@pytest.mark.parametrize("body", [{}, {"scenario": "hotel_checkin"}, {"qr": "x"},
                                  {"scenario": "hotel_checkin", "qr": "x" * 20_000}])
def test_unparsable_requests_are_typed_4xx(client: TestClient, body: dict) -> None:
    resp = client.post("/v1/verify", headers=HOTEL, json=body)
    assert resp.status_code == 422 and resp.json()["code"] == "validation_failed"


def test_garbage_qr_texts_never_500(client: TestClient) -> None:
    for qr in ["ELV1:", "ELV1:" + "A" * 5000, "ELR1:" + "A" * 32, "ELV1:0000", "\x00",
               "ELV1:%%%%", "ELR1:"]:
        resp = client.post("/v1/verify", headers=HOTEL, json={"scenario": "hotel_checkin",
                                                              "qr": qr})
        assert resp.status_code == 200, (qr, resp.text)
        assert resp.json()["valid"] is False


def test_staff_login_and_me(client: TestClient) -> None:
    bad = client.post("/v1/login", json={"username": "hotel", "password": "nope"})
    assert bad.status_code == 401 and bad.json()["code"] == "unauthenticated"
    resp = client.post("/v1/login", json={"username": "hotel", "password": "hotel-password"})
    assert resp.status_code == 200
    token = resp.json()["access_token"]
    assert [s["id"] for s in resp.json()["scenarios"]] == ["hotel_checkin"]
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["org_id"] == "demo-hotel" and me.json()["staff"] == "hotel"


def test_staff_page_and_trust_list(client: TestClient, world: World) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "staff.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "cdn" not in page.text.lower()
    assert client.get("/static/staff.js").status_code == 200
    tl = client.get("/v1/trust-list")
    assert tl.text == world.trust_jws
