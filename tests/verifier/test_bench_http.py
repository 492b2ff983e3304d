"""Smoke test: ``bench/verify_http.py --quick`` (uvicorn with 2 workers, wrk, every check
on, both phases) runs as a subprocess on SQLite and, when the suite has one, PostgreSQL, and
ends with its one-line summary; every verification was valid and answered 200. The full run
and its figures: docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import PG_ADMIN_URL, require_postgres

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql",
                                                            marks=pytest.mark.postgres)])
def test_verify_http_quick(backend: str) -> None:
    if shutil.which("wrk") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but wrk is missing: .ci/run installs it")
        pytest.skip("wrk not installed (apt-get install wrk; .ci/run does)")
    args = [sys.executable, str(ROOT / "bench" / "verify_http.py"), "--quick"]
    if backend == "postgresql":
        require_postgres()
        args += ["--postgres", PG_ADMIN_URL]
    out = subprocess.run(args, capture_output=True, text=True, timeout=300,
                         check=True).stdout
    lines = out.strip().splitlines()
    assert re.fullmatch(r"verify_http rps=\d+ p50_ms=[\d.]+ p99_ms=[\d.]+ vs_bare=[\d.]+",
                        lines[-1]), out
    for phase in ("verify", "bare"):
        line = next(x for x in lines if x.startswith(phase + " "))
        assert " non2xx=0 socket_errors=0" in line, out
    verdicts = json.loads(next(x for x in lines if x.startswith("verdicts recorded:"))
                          .split(":", 1)[1])
    assert set(verdicts) == {"valid"}, out  # every check passed, no replay
