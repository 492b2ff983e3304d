"""Demo citizen seeded for real through the issuer (idempotent), and the acceptance path of
an offline QR: PNG → ``elicense qr decode`` → ``elicense credential verify`` (subprocesses),
disclosing exactly the scenario's claims."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.wallet.conftest import Env
from wallet.demo import DEMO_PASSWORD, DEMO_USER, bootstrap, demo_portrait

ELICENSE = str(Path(sys.executable).parent / "elicense")


@pytest.fixture
def env(issuer_env: Env) -> Env:
    return issuer_env


def _demo_login(env: Env) -> dict[str, str]:
    r = env.http.post("/wallet/v1/login", json={"username": DEMO_USER,
                                                "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_demo_bootstrap_is_real_and_idempotent(env: Env) -> None:
    bootstrap(env.settings, http=env.http, clock=env.clock)
    bootstrap(env.settings, http=env.http, clock=env.clock)
    headers = _demo_login(env)
    creds = env.http.get("/wallet/v1/credentials", headers=headers).json()["credentials"]
    assert sorted(c["type"] for c in creds) == ["dog_license", "driving_license", "id_card",
                                                 "vehicle_license"]
    assert all(c["status"] == "valid" and c["agency"] == "psb" for c in creds)
    id_card = next(c for c in creds if c["type"] == "id_card")
    detail = env.http.get(f"/wallet/v1/credentials/{id_card['id']}", headers=headers).json()
    portrait = base64.b64decode(detail["claims"]["portrait"])
    assert portrait[:3] == b"\xff\xd8\xff"  # a JPEG
    assert detail["claims"]["portrait"] == demo_portrait()  # deterministic
    assert detail["claims"]["age_over_18"] is True
    assert {s["id"] for s in detail["scenarios"]} == {"hotel_checkin", "internet_cafe"}


def test_demo_bootstrap_does_nothing_outside_dev(env: Env) -> None:
    prod = env.settings.model_copy(update={"mode": "prod"})
    bootstrap(prod, http=env.http, clock=env.clock)
    r = env.http.post("/wallet/v1/login", json={"username": DEMO_USER,
                                                "password": DEMO_PASSWORD})
    assert r.json()["code"] == "invalid_credentials"


@pytest.mark.slow
def test_offline_png_through_the_cli(env: Env, tmp_path: Path) -> None:
    bootstrap(env.settings, http=env.http, clock=env.clock)
    headers = _demo_login(env)
    creds = env.http.get("/wallet/v1/credentials", headers=headers).json()["credentials"]
    dl = next(c for c in creds if c["type"] == "driving_license")
    r = env.http.post(f"/wallet/v1/credentials/{dl['id']}/qr", headers=headers,
                      json={"scenario": "roadside_inspection", "mode": "offline"})
    assert r.status_code == 200, r.text
    png = tmp_path / "qr.png"
    png.write_bytes(base64.b64decode(r.json()["png_base64"]))
    decoded = subprocess.run([ELICENSE, "qr", "decode", str(png)], capture_output=True,
                             text=True, check=True, timeout=60).stdout.strip()
    kb = decoded.rsplit("~", 1)[1].split(".")[1]
    kb_payload = json.loads(base64.urlsafe_b64decode(kb + "=" * (-len(kb) % 4)))
    assert kb_payload["aud"] == "urn:elicense:offline:roadside_inspection"
    (tmp_path / "pres.txt").write_text(decoded)
    (tmp_path / "jwks.json").write_text(env.http.get("/issuer/jwks.json").text)
    out = subprocess.run(
        [ELICENSE, "credential", "verify", "--presentation", str(tmp_path / "pres.txt"),
         "--issuer-jwks", str(tmp_path / "jwks.json"), "--nonce", kb_payload["nonce"],
         "--aud", kb_payload["aud"], "--now", str(env.clock.now()),
         "--iss", "http://testserver/issuer"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    claims = json.loads(out.stdout)
    personal = set(claims) - {"iss", "iat", "exp", "nbf", "vct", "cnf", "status", "agency"}
    assert personal == {"name", "license_number", "permitted_class", "valid_until"}
