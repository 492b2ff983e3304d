"""The wallet against the real verifier service: its published catalog drives what the
wallet discloses, and the verifier redeems online tokens at the wallet and accepts offline
QRs — the demo citizen, end to end, in one process."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from core.clock import FixedClock
from tests.wallet.conftest import Env, demo_world
from wallet.demo import DEMO_PASSWORD, DEMO_USER

pytestmark = pytest.mark.slow


@pytest.fixture
def venv(db_url: str, clock: FixedClock) -> Generator[Env, None, None]:
    with demo_world(db_url, clock) as env:
        yield env


def _demo(env: Env) -> tuple[dict[str, str], dict[str, str]]:
    r = env.http.post("/wallet/v1/login", json={"username": DEMO_USER,
                                                "password": DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    creds = env.http.get("/wallet/v1/credentials", headers=headers).json()["credentials"]
    return headers, {c["type"]: c["id"] for c in creds}


@pytest.mark.parametrize(("type_", "scenario", "mode", "key"), [
    ("id_card", "hotel_checkin", "online", "demo-hotel-key"),
    ("id_card", "internet_cafe", "offline", "demo-cafe-key"),
    ("driving_license", "roadside_inspection", "offline", "demo-police-key"),
    ("dog_license", "dog_license_check", "online", "demo-city-key"),
])
def test_verifier_accepts_what_the_wallet_shows(venv: Env, type_: str, scenario: str,
                                                mode: str, key: str) -> None:
    headers, ids = _demo(venv)
    qr = venv.http.post(f"/wallet/v1/credentials/{ids[type_]}/qr", headers=headers,
                        json={"scenario": scenario, "mode": mode})
    assert qr.status_code == 200, qr.text
    r = venv.http.post("/verifier/v1/verify", headers={"Authorization": f"Bearer {key}"},
                       json={"scenario": scenario, "qr": qr.json()["payload"]})
    assert r.status_code == 200, r.text
    verdict = r.json()
    assert verdict["valid"] is True, verdict["checks"]
    catalog = venv.http.get("/verifier/v1/scenarios").json()["scenarios"]
    policy = next(s for s in catalog if s["id"] == scenario)
    disclosed = set(qr.json()["disclosed"])
    assert disclosed <= set(policy["disclose"])
    assert not disclosed & set(policy.get("never", []))
    if mode == "offline":
        assert not disclosed & set(policy.get("online_only", []))
