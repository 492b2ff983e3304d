"""The citizen page in Debian's Chromium (Playwright): log in as the demo citizen, open a
license, show its QR, see it refresh, and decode the QR from a screenshot."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from core.clock import SystemClock
from core.qr import decode_image
from tests.support import CHROMIUM, CHROMIUM_ARGS, free_port, require_chromium, serve
from tests.wallet.conftest import Env, demo_world
from wallet.demo import DEMO_PASSWORD, DEMO_USER

ARGS = CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def served(db_url: str) -> Generator[tuple[str, Env], None, None]:
    require_chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The system clock: the page and the server must agree on what "now" is.
    with demo_world(db_url, SystemClock(), real_verifier=False, public_url=base,
                    qr_refresh_s=2, status_cache_s=0) as env, serve(env.app, port=port):
        yield base, env


def _revoke_demo_dog_license(env: Env) -> None:
    from tests.wallet.test_pickup import agency

    auth = agency(env)
    listed = env.http.get("/issuer/v1/credentials", params={"type": "dog_license"},
                          headers=auth).json()
    items = listed.get("items") or listed.get("credentials") or []
    assert len(items) == 1, listed
    r = env.http.post(f"/issuer/v1/credentials/{items[0]['id']}/revoke", headers=auth,
                      json={"reason": "browser test"})
    assert r.status_code == 200, r.text


def test_demo_citizen_shows_a_refreshing_qr(served: tuple[str, Env]) -> None:
    from playwright.sync_api import sync_playwright

    base, env = served
    _revoke_demo_dog_license(env)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 412, "height": 915})  # a phone
            page.goto(f"{base}/wallet/")
            page.fill("#username", DEMO_USER)
            page.fill("#password", DEMO_PASSWORD)
            page.click("#login-button")
            page.click("li[data-type=id_card] a")
            page.select_option("#scenario", "hotel_checkin")
            page.select_option("#mode", "online")
            page.click("#show-qr")
            # selectors, not wait_for_function: the page's CSP (script-src 'self') forbids
            # the eval Playwright uses for string predicates
            page.wait_for_selector("#qr[data-payload^='ELR1:']", state="attached")
            first = page.get_attribute("#qr", "data-payload")
            page.wait_for_selector(f"#qr[data-payload^='ELR1:']:not([data-payload='{first}'])",
                                   state="attached", timeout=15000)
            before = page.get_attribute("#qr", "data-payload")
            shot = page.screenshot(full_page=True)
            after = page.get_attribute("#qr", "data-payload")
            assert before != first and before and before.startswith("ELR1:")
            assert decode_image(shot) in {before, after}
            box = page.locator("#qr").bounding_box()
            assert box is not None and box["width"] >= 300  # full width on the phone

            # A revoked license: the page says so instead of showing a QR.
            page.goto(f"{base}/wallet/?lang=en")
            page.click("li[data-type=dog_license] a")
            page.click("#show-qr")
            page.wait_for_selector("#qr-error:not([hidden])")
            assert page.get_attribute("#qr-error", "data-code") == "credential_revoked"
            assert "revoked" in page.inner_text("#qr-error")
            assert page.is_hidden("#qr-box")
        finally:
            browser.close()
