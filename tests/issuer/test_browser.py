"""The agency page in Debian's Chromium (Playwright): log in as demo-psb, issue an ID card
offer from the form and read its PIN, revoke it by hand, switch to English."""

from __future__ import annotations

import json
from collections.abc import Generator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI

from core.clock import SystemClock
from issuer.app import bootstrap, create_app
from tests.support import CHROMIUM, CHROMIUM_ARGS, free_port, require_chromium, serve

from .conftest import id_card_claims, make_settings

ARGS = CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def served(db_url: str) -> Generator[str, None, None]:
    require_chromium()
    port = free_port()
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
    with serve(parent, port=port, lifespan="auto"):
        yield base


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
