"""Run ``elicense run`` (issuer + wallet + verifier, all-in-one) as a real uvicorn server on
a free loopback port with a temporary SQLite database, for the end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support import free_port

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Server:
    url: str
    env: dict[str, str]
    workdir: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the ``elicense`` command against this server's database."""
        return subprocess.run([str(BIN / "elicense"), *args], env=self.env, cwd=self.workdir,
                              capture_output=True, text=True, timeout=120, check=False)


@contextmanager
def running(workdir: Path, *, workers: int = 1, **extra_env: str) -> Iterator[Server]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ,
           "ELICENSE_DATABASE_URL": f"sqlite:///{workdir}/elicense.db",
           "ELICENSE_PUBLIC_URL": url, "ELICENSE_MODE": "dev",
           # The checkout first: an editable install made before a package had its
           # __init__.py maps it as a namespace package, which breaks its resources.
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                         if p),
           **extra_env}
    log = (workdir / "server.log").open("w")
    proc = subprocess.Popen([str(BIN / "elicense"), "run", "--port", str(port),
                             "--workers", str(workers)], env=env,
                            cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError("server exited:\n" + (workdir / "server.log").read_text())
            try:
                if httpx.get(f"{url}/verifier/v1/scenarios", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start:\n"
                                   + (workdir / "server.log").read_text())
            time.sleep(0.3)
        yield Server(url=url, env=env, workdir=workdir)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
