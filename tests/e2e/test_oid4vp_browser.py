"""The OpenID4VP flow in Debian's Chromium (Playwright, issue 6 part B): the hotel's staff
page shows a request QR (which decodes to the ``openid4vp://`` link), the demo citizen opens
that link on the wallet page, sees who asks and why, approves, and the staff page — polling
— turns green with the guest's name. A second request the citizen refuses shows as refused."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from core.clock import SystemClock
from core.qr import decode_image
from tests.support import CHROMIUM, free_port, require_chromium, serve
from tests.support import CHROMIUM_ARGS as ARGS
from tests.wallet.conftest import Env, demo_world
from wallet.demo import DEMO_CLAIMS, DEMO_PASSWORD, DEMO_USER

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def served(db_url: str) -> Generator[tuple[str, Env], None, None]:
    require_chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The system clock: the pages and the server must agree on what "now" is.
    with demo_world(db_url, SystemClock(), public_url=base, status_cache_s=0) as env, \
            serve(env.app, port=port):
        yield base, env


def test_staff_request_citizen_answers_staff_sees_verdict(served: tuple[str, Env]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, _env = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            staff = browser.new_context().new_page()
            staff.goto(f"{base}/verifier/oid4vp")
            staff.fill("#username", "hotel")
            staff.fill("#password", "hotel-password")
            staff.click("#login-form button[type=submit]")
            staff.select_option("#scenario", "hotel_checkin")
            staff.click("#make-request")
            expect(staff.locator("#request-qr")).to_be_visible()
            link = staff.locator("#request-link").text_content() or ""
            assert link.startswith("openid4vp://?client_id=")
            assert decode_image(staff.locator("#request-qr").screenshot()) == link
            expect(staff.locator("#request-state")).to_have_attribute("data-state", "pending")

            citizen = browser.new_context(viewport={"width": 412, "height": 915}).new_page()
            citizen.goto(f"{base}/wallet/")
            citizen.fill("#username", DEMO_USER)
            citizen.fill("#password", DEMO_PASSWORD)
            citizen.click("#login-button")
            citizen.click("#nav-scan")
            citizen.fill("#oid4vp-uri", link)
            citizen.click("#oid4vp-open button[type=submit]")
            expect(citizen.locator("#oid4vp-verifier")).to_have_text("示范酒店")
            expect(citizen.locator("#oid4vp-claims")).to_contain_text("document_number")
            citizen.click("#oid4vp-approve")
            expect(citizen.locator("#oid4vp-sent")).to_have_attribute("data-sent", "vp_token")

            expect(staff.locator("#verdict-banner")).to_have_class("banner valid",
                                                                   timeout=10_000)
            expect(staff.locator("#request-state")).to_have_attribute("data-state",
                                                                      "answered")
            expect(staff.locator("#claims")).to_contain_text(DEMO_CLAIMS["id_card"]["name"])

            # a second request, refused by the citizen
            staff.click("#make-request")
            expect(staff.locator("#request-state")).to_have_attribute("data-state", "pending")
            second = staff.locator("#request-link").text_content() or ""
            assert second != link
            citizen.click("#nav-scan")
            citizen.fill("#oid4vp-uri", second)
            citizen.click("#oid4vp-open button[type=submit]")
            citizen.click("#oid4vp-refuse")
            expect(citizen.locator("#oid4vp-sent")).to_have_attribute("data-sent",
                                                                      "access_denied")
            expect(staff.locator("#request-state")).to_have_attribute("data-state", "refused",
                                                                      timeout=10_000)
            # the first link, answered already, is refused with its code
            citizen.click("#nav-scan")
            citizen.fill("#oid4vp-uri", link)
            citizen.click("#oid4vp-open button[type=submit]")
            expect(citizen.locator("#oid4vp-error")).to_have_attribute(
                "data-code", "oid4vp_request_closed")
        finally:
            browser.close()
