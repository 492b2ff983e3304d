"""bench/verify.py must keep running: ``--quick`` as a subprocess, last line's format."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "verify.py"


def test_bench_quick_runs_and_reports_ratios() -> None:
    out = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    lines = out.strip().splitlines()
    match = re.fullmatch(r"verify_ratio ES256=(\d+\.\d{3}) EdDSA=(\d+\.\d{3})", lines[-1])
    assert match, lines[-1]
    assert all(0.5 < float(x) < 20 for x in match.groups())
    assert any(line.startswith("ES256 ") for line in lines)
    assert any(line.startswith("EdDSA ") for line in lines)
