"""Shared test plumbing: free loopback ports, Debian's Chromium for Playwright, and an app
served by uvicorn in a background thread (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "PG_ADMIN_URL", "free_port", "pg_database",
           "require_chromium", "require_postgres", "serve"]

CHROMIUM = os.environ.get("ELICENSE_TEST_CHROMIUM", "/usr/bin/chromium")
# No background networking: this machine's closed network refuses Chromium's own requests.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


# Admin URL of the PostgreSQL that .ci/run starts (scripts/start-postgres prints one).
PG_ADMIN_URL = os.environ.get("ELICENSE_TEST_POSTGRES_URL", "")


def require_postgres() -> None:
    """Skip without PostgreSQL; in CI (which starts it) that is a failure."""
    if not PG_ADMIN_URL:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but ELICENSE_TEST_POSTGRES_URL is not set: .ci/run must "
                        "start PostgreSQL")
        pytest.skip("PostgreSQL not started (set ELICENSE_TEST_POSTGRES_URL, see .ci/run)")


@contextmanager
def pg_database(prefix: str, *, template: str | None = None) -> Iterator[str]:
    """A scratch database (empty, or a copy of ``template``), dropped afterwards; yields
    its URL."""
    from sqlalchemy import text

    from core.db import make_engine

    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    clause = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        try:
            yield f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}"
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_chromium() -> None:
    """Skip where Chromium is not installed; in CI (which installs it) that is a failure."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium missing at {CHROMIUM} in CI")
        pytest.skip(f"Chromium not installed at {CHROMIUM}")


@contextmanager
def serve(app: Any, *, port: int | None = None,
          lifespan: Literal["auto", "on", "off"] = "off") -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 in a daemon thread; yields the base URL."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
