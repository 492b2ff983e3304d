"""The citizen's request and access-log pages in Debian's Chromium (Playwright, issue 8):
the health commission asks the demo citizen for two ID-card claims; the citizen approves
one request and refuses another from the page, then reports the share in the access log;
the agency fetches a presentation that verifies against the issuer's JWKS."""

from __future__ import annotations

import pytest

from core.credential import StaticKeys, verify
from tests.wallet.conftest import Env
from tests.wallet.test_browser import ARGS, CHROMIUM, served  # noqa: F401 - the fixture
from wallet.consent import agency_aud
from wallet.demo import DEMO_PASSWORD, DEMO_USER

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HC = {"Authorization": "Bearer demo-hc-wallet-secret"}


def _ask(env: Env, purpose: str) -> dict[str, str]:
    r = env.http.post("/wallet/v1/consent-requests", headers=HC, json={
        "username": DEMO_USER, "purpose": purpose, "credential_type": "id_card",
        "claims": ["name", "document_number"]})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_citizen_approves_refuses_and_reports(served: tuple[str, Env]) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    base, env = served
    yes, no = _ask(env, "出生登记 birth registration"), _ask(env, "unexpected")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 412, "height": 915})
            page.goto(f"{base}/wallet/")
            page.fill("#username", DEMO_USER)
            page.fill("#password", DEMO_PASSWORD)
            page.click("#login-button")
            page.click("#nav-requests")
            page.locator(f"li[data-request='{yes['id']}'] button.approve").click()
            page.locator(f"li[data-request='{no['id']}'] button.refuse").click()
            assert page.locator(f"li[data-request='{yes['id']}'] .state").text_content() == "已同意"
            assert page.locator(f"li[data-request='{no['id']}'] .state").text_content() == "已拒绝"
            page.click("#nav-access")
            row = page.locator("#access-log tr.mode-consent")
            assert row.locator(".who").text_content() == "hc"
            assert "出生登记" in (row.locator(".scenario").text_content() or "")
            row.locator("button.report").click()
            assert page.locator("#access-log tr.mode-consent .reported").count() == 1
        finally:
            browser.close()
    got = env.http.get(f"/wallet/v1/consent-requests/{yes['id']}", headers=HC).json()
    keys = StaticKeys({f"{base}/issuer": env.http.get("/issuer/jwks.json").json()})
    v = verify(got["presentation"], keys=keys, key_binding=True, now=env.clock.now(),
               nonce=yes["nonce"], aud=agency_aud("hc"))
    assert v.disclosed == frozenset({"name", "document_number"})
