"""Offline mode (DESIGN §6): a verifier with a signed bundle and no network verifies ELV1:
QRs and states the bundle's age; an expired bundle gets the scenario's stale behaviour."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from core.clock import FixedClock
from core.errors import ELicenseError
from tests.verifier.world import STATUS_URI, World, codes
from verifier.app import create_app
from verifier.bundle import make_bundle
from verifier.orgs import add_api_key, ensure_org
from verifier.policies import load_policies
from verifier.settings import Settings


def _bundle(world: World, path: Path, *, ttl_s: int = 86400) -> Path:
    text = make_bundle(signer=world.anchor, anchor_id="anchor", trust_list_jws=world.trust_jws,
                       status_lists={STATUS_URI: world.status_token()},
                       catalog=load_policies().catalog(), iat=world.clock.now(), ttl_s=ttl_s)
    path.write_text(text)
    return path


def _cut_network(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("network is cut", request=request)


def _client(world: World, db_url: str, bundle: Path, clock: FixedClock) -> TestClient:
    with Session(world.engine) as s:
        for org, scen, key in [("demo-police", ["roadside_inspection", "hotel_checkin"],
                                "police-key"), ("demo-cafe", ["internet_cafe"], "cafe-key")]:
            ensure_org(session=s, org_id=org, name_zh="x", name_en="x", scenarios=scen,
                       now=clock.now())
            add_api_key(session=s, org_id=org, key=key, now=clock.now())
    settings = Settings(database_url=db_url, offline_bundle=bundle,
                        trust_anchor_jwk=json.dumps(world.anchor.public_jwk()))
    app = create_app(settings, http=httpx.Client(transport=httpx.MockTransport(_cut_network)),
                     clock=clock)
    return TestClient(app)


def _verify(client: TestClient, key: str, scenario: str, qr: str) -> dict:
    resp = client.post("/v1/verify", json={"scenario": scenario, "qr": qr},
                       headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 200, resp.text
    data: dict = resp.json()
    return data


def test_offline_valid_with_bundle_age(world: World, db_url: str, tmp_path: Path,
                                       clock: FixedClock) -> None:
    bundle = _bundle(world, tmp_path / "b.jwt")
    with _client(world, db_url, bundle, clock) as client:
        clock.advance(600)
        qr = world.offline_qr("roadside_inspection", "driving_license")
        out = _verify(client, "police-key", "roadside_inspection", qr)
        assert out["valid"], out["checks"]
        assert out["bundle_age_s"] == 600
        assert out["status"] == {"value": 0, "staleness_s": 600}
        again = _verify(client, "police-key", "roadside_inspection", qr)
        assert codes(again)["replay"] == (False, "replayed")
        online = _verify(client, "police-key", "roadside_inspection",
                         "ELR1:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        assert codes(online)["envelope"] == (False, "online_unavailable")


def test_offline_revoked_in_bundle(world: World, db_url: str, tmp_path: Path,
                                   clock: FixedClock) -> None:
    world.statuses.set(7, 1)
    bundle = _bundle(world, tmp_path / "b.jwt")
    with _client(world, db_url, bundle, clock) as client:
        out = _verify(client, "police-key", "roadside_inspection",
                      world.offline_qr("roadside_inspection", "driving_license"))
        assert codes(out)["status"] == (False, "revoked")


def test_expired_bundle_fail_closed_and_fail_open(world: World, db_url: str, tmp_path: Path,
                                                  clock: FixedClock) -> None:
    bundle = _bundle(world, tmp_path / "b.jwt", ttl_s=3600)
    with _client(world, db_url, bundle, clock) as client:
        clock.advance(3601)  # past the bundle's exp (but within both policies' staleness)
        world.sign_trust()
        road = _verify(client, "police-key", "roadside_inspection",
                       world.offline_qr("roadside_inspection", "driving_license"))
        assert codes(road)["status"] == (False, "status_stale")  # fail_closed
        assert not road["valid"] and road["bundle_age_s"] == 3601
        cafe = _verify(client, "cafe-key", "internet_cafe", world.offline_qr("internet_cafe"))
        assert cafe["valid"] and codes(cafe)["status"] == (True, "status_stale")  # fail_open


def test_tampered_or_foreign_bundle_is_refused(world: World, db_url: str, tmp_path: Path,
                                               clock: FixedClock) -> None:
    bundle = _bundle(world, tmp_path / "b.jwt")
    h, p, s = bundle.read_text().split(".")
    bundle.write_text(f"{h}.{p}.{s[::-1]}")
    with pytest.raises(ELicenseError) as exc:
        _client(world, db_url, bundle, clock)
    assert exc.value.code == "bundle_invalid"
    world.anchor, real = World(engine=world.engine, clock=clock).anchor, world.anchor
    foreign = _bundle(world, tmp_path / "f.jwt")
    world.anchor = real
    with pytest.raises(ELicenseError) as exc:
        _client(world, db_url, foreign, clock)
    assert exc.value.code == "bundle_invalid"
