"""``elicense run`` logs JSON lines (``elicense.ops.LOG_CONFIG``): one access line per
request with the route template and the request id, and no raw path or query string
(uvicorn's own access log, which prints them, is off)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

pytestmark = pytest.mark.slow


def test_elicense_run_logs_json_without_raw_paths(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELICENSE_")}
    env.update(ELICENSE_PUBLIC_URL=f"http://127.0.0.1:{port}", ELICENSE_EVENTS_POLL_S="0")
    exe = Path(sys.executable).with_name("elicense")
    log = tmp_path / "stderr.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([str(exe), "run", "--port", str(port)], cwd=tmp_path, env=env,
                                stdout=subprocess.DEVNULL, stderr=sink)
    try:
        deadline = time.monotonic() + 120
        up = False
        while time.monotonic() < deadline and proc.poll() is None and not up:
            try:
                up = httpx.get(f"http://127.0.0.1:{port}/wallet/healthz",
                               timeout=2).status_code == 200
            except httpx.TransportError:
                time.sleep(0.5)
        assert up, log.read_text(errors="replace")[-4000:]
        r = httpx.get(f"http://127.0.0.1:{port}/issuer/credentials-that-do-not-exist/"
                      "110105199005010021?token=s3cr3t-query-value",
                      headers={"X-Request-Id": "ops-run-test-1"})
        assert r.headers["x-request-id"] == "ops-run-test-1"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    text = log.read_text(errors="replace")
    lines = [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]
    access = [x for x in lines if x.get("request_id") == "ops-run-test-1"]
    assert access and access[0]["route"] == "<unmatched>" and access[0]["status"] == 404
    assert "s3cr3t-query-value" not in text and "110105199005010021" not in text
    # once the server runs, everything the app and uvicorn log is JSON (the one-off
    # migration and bootstrap messages come before uvicorn installs the config)
    served = text[text.index('{"time"'):]
    assert "Started server process" in served.splitlines()[0]
    assert all(line.startswith("{") for line in served.splitlines() if line.strip())
