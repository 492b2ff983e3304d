"""`make run`'s command, for real: `elicense run` on a fresh directory migrates the SQLite
default, creates dev keys and demo data, and serves the issuer's JWKS with the active key."""

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


def test_elicense_run_serves_issuer_jwks(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELICENSE_")}
    env["ELICENSE_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    exe = Path(sys.executable).with_name("elicense")
    proc = subprocess.Popen([str(exe), "run", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        body = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"elicense run exited with {proc.returncode}:\n{out[-4000:]}")
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/issuer/jwks.json", timeout=2)
                if r.status_code == 200:
                    body = r.json()
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        assert body is not None, "server did not come up"
        assert body["keys"], "JWKS has no key"
        for key in body["keys"]:
            assert "d" not in key  # public parts only
            assert key["kid"] and key["alg"] in ("ES256", "EdDSA")
        assert (tmp_path / "var" / "elicense.db").exists()
        meta = httpx.get(f"http://127.0.0.1:{port}/issuer/.well-known/jwt-vc-issuer").json()
        assert meta["issuer"] == f"http://127.0.0.1:{port}/issuer"
        assert {k["kid"] for k in meta["jwks"]["keys"]} == {k["kid"] for k in body["keys"]}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        if proc.stdout:
            proc.stdout.close()
