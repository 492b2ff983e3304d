"""Smoke test: ``bench/issue.py --quick`` runs as a subprocess and ends with its one-line
summary (the full run is ``.venv/bin/python bench/issue.py``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_quick() -> None:
    env = {**os.environ, "ELICENSE_TEST_POSTGRES_URL": ""}
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "issue.py"), "--quick",
                          "--processes", "2"], capture_output=True, text=True, env=env,
                         timeout=300, check=True).stdout
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(r"issue_rate sqlite=\d+/s postgres=skipped bare_sign=\d+/s", last), out
