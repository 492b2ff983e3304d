"""`elicense serve SERVICE`: one service alone from its settings, as deployed (DESIGN §8),
and the server factories' frozen heap (elicense.serve)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELICENSE_")}
    env.update({"ELICENSE_DATABASE_URL": f"sqlite:///{tmp_path}/elicense.db",
                "ELICENSE_PUBLIC_URL": f"http://127.0.0.1:{port}", "ELICENSE_MODE": "dev",
                "PYTHONPATH": str(ROOT)})
    return env


def _wait(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"server exited with {proc.returncode}:\n{out[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail("server did not come up")


def test_serve_verifier_alone(tmp_path: Path) -> None:
    port = free_port()
    env = _env(tmp_path, port)
    subprocess.run([str(BIN / "elicense"), "migrate"], env=env, cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)
    proc = subprocess.Popen([str(BIN / "elicense"), "serve", "verifier", "--port", str(port)],
                            env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{base}/healthz", proc)
        # Served at the root, not under /verifier: the deployment of docs/operations.md §6.
        catalog = httpx.get(f"{base}/v1/scenarios").json()["scenarios"]
        assert "hotel_checkin" in {s["id"] for s in catalog}
        assert httpx.get(f"{base}/verifier/v1/scenarios").status_code == 404
        refused = httpx.post(f"{base}/v1/verify", json={"scenario": "hotel_checkin",
                                                        "qr": "ELV1:x"})
        assert refused.status_code == 401
        # Nothing was created for it: no trust list, so not ready (and it says why).
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 503 and "trust_list" in ready.json()["failed"]
    finally:
        proc.terminate()
        try:
            # uvicorn shuts down, then re-raises the SIGTERM it caught
            assert proc.wait(timeout=15) in (0, -15)
            out = proc.stdout.read() if proc.stdout else ""
        finally:
            if proc.poll() is None:
                proc.kill()
            if proc.stdout:
                proc.stdout.close()
    assert "Application shutdown complete" in out and "Traceback" not in out, out[-4000:]


@pytest.mark.parametrize("factory", ["issuer_app", "wallet_app", "verifier_app",
                                     "combined_app"])
def test_server_factories_freeze_the_heap(tmp_path: Path, factory: str) -> None:
    env = _env(tmp_path, 8000)
    code = ("import gc\n"
            f"from elicense.serve import {factory}\n"
            "assert gc.get_freeze_count() == 0\n"
            f"print(type({factory}()).__name__, gc.get_freeze_count())\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, check=True,
                         capture_output=True, text=True, timeout=120)
    kind, frozen = out.stdout.split()
    assert kind == "FastAPI"
    assert int(frozen) > 50_000  # modules, classes, the app: all frozen
