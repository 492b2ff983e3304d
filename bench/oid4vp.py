"""Benchmark: one OpenID4VP 1.0 verifier-initiated exchange (issue 6 part B) end to end,
in process on SQLite — issuer, wallet and verifier mounted in one ``TestClient`` (no
network), the demo citizen answering the demo hotel.

Timed, N times each (medians): ``POST /verifier/v1/requests`` (DCQL, sign the Request
Object, QR PNG), ``POST /wallet/v1/oid4vp/resolve`` (registry, fetch + verify the Request
Object, policy, matching licenses), ``POST /wallet/v1/oid4vp/respond`` (fetch + verify again,
present, ``direct_post``, the verifier's whole verdict pipeline), ``GET`` of the verdict.

Ends with exactly one line::

    oid4vp create=<ms> resolve=<ms> respond=<ms> status=<ms> total=<ms> (median ms, n=<n>)

Run: ``.venv/bin/python bench/oid4vp.py [--n 30]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.clock import SystemClock
from core.db import migrate
from tests.wallet.conftest import build_env
from wallet.demo import DEMO_PASSWORD, DEMO_USER, bootstrap

HOTEL = {"Authorization": "Bearer demo-hotel-key"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        gen = build_env(url, SystemClock(), public_url="http://localhost",  # type: ignore[arg-type]
                        real_verifier=True)
        env = next(gen)
        try:
            bootstrap(env.settings, http=env.http)
            http = env.http
            token = http.post("/wallet/v1/login", json={"username": DEMO_USER,
                                                        "password": DEMO_PASSWORD}).json()
            citizen = {"Authorization": f"Bearer {token['access_token']}"}
            times: dict[str, list[float]] = {k: [] for k in ("create", "resolve", "respond",
                                                             "status")}
            for _ in range(n):
                t0 = time.perf_counter()
                req = http.post("/verifier/v1/requests", headers=HOTEL,
                                json={"scenario": "hotel_checkin"}).json()
                t1 = time.perf_counter()
                seen = http.post("/wallet/v1/oid4vp/resolve", headers=citizen,
                                 json={"uri": req["qr_payload"]}).json()
                t2 = time.perf_counter()
                r = http.post("/wallet/v1/oid4vp/respond", headers=citizen, json={
                    "request_id": seen["request_id"],
                    "credential_id": seen["credentials"][0]["id"], "consent": True})
                t3 = time.perf_counter()
                verdict = http.get(f"/verifier/v1/requests/{req['id']}", headers=HOTEL).json()
                t4 = time.perf_counter()
                assert r.status_code == 200 and verdict["verdict"]["valid"], verdict
                for k, a, b in (("create", t0, t1), ("resolve", t1, t2), ("respond", t2, t3),
                                ("status", t3, t4)):
                    times[k].append((b - a) * 1000)
        finally:
            gen.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    print("oid4vp " + " ".join(f"{k}={v:.1f}" for k, v in med.items())
          + f" total={sum(med.values()):.1f} (median ms, n={n})")


if __name__ == "__main__":
    main()
