"""The agency console in Debian's Chromium (Playwright, issue 8): an amr officer issues a
business license offer, finds it by id, suspends and reinstates it, amends its business
scope (a new offer with a PIN), subscribes to changes of its own type and removes the
subscription, in Chinese and in English."""

from __future__ import annotations

import json

import pytest

from .test_browser import ARGS, CHROMIUM, served  # noqa: F401 - the served fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COMPANY = {"company_name": "某某理发有限公司", "unified_social_credit_code": "91110105MA01ABCD1X",
           "business_scope": ["美发用品零售"]}


def test_console_lifecycle_and_subscriptions(served: str) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{served}/issuer/")
            page.fill("#client_id", "demo-amr")
            page.fill("#client_secret", "demo-amr-secret")
            page.click("#login")
            page.select_option("#type", "business_license")
            page.fill("#claims", json.dumps(COMPANY, ensure_ascii=False))
            page.check("#offer")
            page.click("#submit")
            cred_id = page.text_content("#cred-id") or ""
            page.click("#back")
            page.fill("#q", cred_id)
            page.click("#search")
            row = page.locator(f"tr[data-id='{cred_id}']")
            row.locator("button.suspend").click()
            row = page.locator(f"tr[data-id='{cred_id}']")
            assert row.locator(".state").text_content() == "suspended"
            row.locator("button.reinstate").click()
            row = page.locator(f"tr[data-id='{cred_id}']")
            assert row.locator(".state").text_content() == "valid"
            row.locator("details.amend summary").click()
            row.locator("textarea.amend-claims").fill(
                json.dumps({"business_scope": ["美发用品零售", "理发服务"]}, ensure_ascii=False))
            row.locator("button.amend-submit").click()
            pin = page.text_content("#pin") or ""
            assert pin.isdigit() and len(pin) == 6
            new_id = page.text_content("#cred-id")
            assert new_id and new_id != cred_id
            page.click("#back")
            page.select_option("#sub-type", "business_license")
            page.check("#ev-changed")
            page.fill("#sub-field", "business_scope")
            page.fill("#sub-contains", "理发")
            page.fill("#sub-fields", "company_name, business_scope")
            page.fill("#sub-url", "https://amr.example/hooks")
            page.click("#subscribe")
            assert page.locator("#subs tr[data-sub]").count() == 1
            page.click("#lang")
            assert page.text_content("#subscriptions h2") == "Event subscriptions"
            page.locator("#subs button.unsubscribe").click()
            assert page.locator("#subs tr[data-sub]").count() == 0
        finally:
            browser.close()
