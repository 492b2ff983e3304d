"""The agency page in Debian's Chromium (Playwright): log in as demo-psb, issue an ID card
offer from the form and read its PIN, revoke it by hand, switch to English."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Generator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from core.clock import SystemClock
from issuer.app import bootstrap, create_app

from .conftest import id_card_claims, make_settings

CHROMIUM = os.environ.get("ELICENSE_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(db_url: str) -> Generator[str, None, None]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium missing at {CHROMIUM} in CI")
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    import uvicorn

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(db_url).model_copy(update={"public_url": base})
    clock = SystemClock()
    bootstrap(settings, clock=clock)
    sub = create_app(settings, clock=clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        async with sub.router.lifespan_context(sub):
            yield

    parent = FastAPI(lifespan=lifespan)
    parent.mount("/issuer", sub)
    server = uvicorn.Server(uvicorn.Config(parent, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(10)


def test_officer_issues_an_offer_and_revokes_it(served: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{served}/issuer/")
            page.fill("#client_id", "demo-psb")
            page.fill("#client_secret", "demo-psb-secret")
            page.click("#login")
            page.select_option("#type", "id_card")
            page.fill("#claims", json.dumps(id_card_claims(), ensure_ascii=False))
            page.check("#offer")
            page.click("#submit")
            pin = page.text_content("#pin") or ""
            assert pin.isdigit() and len(pin) == 6
            assert (page.text_content("#offer-link") or "").startswith(
                "openid-credential-offer://")
            cred_id = page.text_content("#cred-id")
            page.click("#back")
            row = page.locator(f"tr[data-id='{cred_id}']")
            assert row.locator(".state").text_content() == "valid"
            row.locator("button.revoke").click()
            row = page.locator(f"tr[data-id='{cred_id}']")
            assert row.locator(".state").text_content() == "revoked"
            page.click("#lang")
            assert page.text_content("h2") == "Issue a license"
        finally:
            browser.close()
