"""Replay safety across real worker processes (issue 7): ``elicense run --workers 2`` on
PostgreSQL, and 1,000 verifications of one offline QR sent at once over 1,000 HTTP
connections. Exactly one is accepted; every other verdict names the replay."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import running
from tests.support import pg_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ATTEMPTS = 1000


@pytest.fixture
def pg_empty() -> Iterator[str]:
    with pg_database("procs") as url:
        yield url


async def _storm(url: str, qr: str) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=ATTEMPTS, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        async def one() -> dict[str, Any]:
            r = await client.post("/verifier/v1/verify",
                                  headers={"Authorization": "Bearer demo-hotel-key"},
                                  json={"scenario": "hotel_checkin", "qr": qr})
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

        return await asyncio.gather(*(one() for _ in range(ATTEMPTS)))


def test_one_offline_qr_once_across_two_worker_processes(tmp_path: Path,
                                                         pg_empty: str) -> None:
    with running(tmp_path, workers=2, ELICENSE_DATABASE_URL=pg_empty,
                 ELICENSE_EVENTS_POLL_S="0") as server, \
            httpx.Client(base_url=server.url, timeout=60) as http:
        r = http.post("/wallet/v1/login", json={"username": "demo", "password": "demo-password"})
        citizen = {"Authorization": f"Bearer {r.json()['access_token']}"}
        creds = http.get("/wallet/v1/credentials", headers=citizen).json()["credentials"]
        id_card = next(c["id"] for c in creds if c["type"] == "id_card")
        qrs = []
        for _ in range(2):
            r = http.post(f"/wallet/v1/credentials/{id_card}/qr", headers=citizen,
                          json={"scenario": "hotel_checkin", "mode": "offline"})
            assert r.status_code == 200, r.text
            qrs.append(r.json()["payload"])
        # Warm both workers' trust and status caches first: in the all-in-one process the
        # verifier fetches the status list from its own issuer mount, which a storm of
        # requests already holding every worker thread would starve.
        # (a new connection each time, so that both worker processes get some).
        for _ in range(24):
            warm = httpx.post(f"{server.url}/verifier/v1/verify", timeout=60,
                              headers={"Authorization": "Bearer demo-hotel-key"},
                              json={"scenario": "hotel_checkin", "qr": qrs[0]})
            assert warm.status_code == 200, warm.text
        verdicts = asyncio.run(_storm(server.url, qrs[1]))
    accepted = [v for v in verdicts if v["valid"]]
    refused = Counter(next(c["code"] for c in v["checks"] if c["name"] == "replay")
                      for v in verdicts if not v["valid"])
    print(f"\n{ATTEMPTS} concurrent verifications over 2 worker processes: "
          f"{len(accepted)} accepted, refused {dict(refused)}")
    assert len(accepted) == 1
    assert refused == Counter({"replayed": ATTEMPTS - 1})
