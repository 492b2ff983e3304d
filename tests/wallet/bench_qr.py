"""Wallet timings in-process (issuer + wallet + contract catalog, SQLite, demo citizen):
demo bootstrap, online / offline QR and redeem medians. Not a test (not collected).

    PYTHONPATH=. .venv/bin/python tests/wallet/bench_qr.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from core.clock import FixedClock
from core.db import migrate
from tests.wallet.conftest import VERIFIER_SECRET, build_env
from wallet.demo import DEMO_PASSWORD, DEMO_USER, bootstrap


def _median_ms(fn: Callable[[], Any], n: int) -> tuple[float, Any]:
    times, last = [], None
    for _ in range(n):
        t = time.perf_counter()
        last = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, last


def main() -> None:
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    migrate(url)
    gen = build_env(url, FixedClock(1_790_000_000), batch_size=10)
    env = next(gen)
    try:
        t = time.perf_counter()
        bootstrap(env.settings, http=env.http, clock=env.clock)
        print(f"demo bootstrap (4 licenses x 10 copies): {time.perf_counter() - t:.2f} s")
        tok = env.http.post("/wallet/v1/login", json={"username": DEMO_USER,
                                                      "password": DEMO_PASSWORD})
        h = {"Authorization": f"Bearer {tok.json()['access_token']}"}
        creds = env.http.get("/wallet/v1/credentials", headers=h).json()["credentials"]
        ids = {c["type"]: c["id"] for c in creds}

        def qr(type_: str, scenario: str, mode: str) -> dict[str, Any]:
            r = env.http.post(f"/wallet/v1/credentials/{ids[type_]}/qr", headers=h,
                              json={"scenario": scenario, "mode": mode})
            assert r.status_code == 200, r.text
            return dict(r.json())

        for mode, n in (("online", 50), ("offline", 9)):
            ms, body = _median_ms(lambda m=mode: qr("id_card", "hotel_checkin", m), n)
            print(f"QR {mode}: median {ms:.1f} ms over {n}, payload "
                  f"{len(body['payload'])} chars")

        def redeem() -> None:
            token = qr("dog_license", "dog_license_check", "online")["payload"]
            r = env.http.post("/wallet/v1/presentations/redeem",
                              headers={"Authorization": f"Bearer {VERIFIER_SECRET}"},
                              json={"token": token, "nonce": "n", "aud": "urn:bench",
                                    "scenario": "dog_license_check"})
            assert r.status_code == 200, r.text

        ms, _ = _median_ms(redeem, 30)
        print(f"QR online + redeem: median {ms:.1f} ms over 30")
    finally:
        gen.close()


if __name__ == "__main__":
    main()
