"""Shared test plumbing: free loopback ports, Debian's Chromium for Playwright, and an app
served by uvicorn in a background thread (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "free_port", "require_chromium", "serve"]

CHROMIUM = os.environ.get("ELICENSE_TEST_CHROMIUM", "/usr/bin/chromium")
# No background networking: this machine's closed network refuses Chromium's own requests.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


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
