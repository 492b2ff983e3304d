"""Every POST form of every page refuses a request without the page's CSRF token
(issue 7). The list of form routes is read from the live apps, so a new form without a
case here fails the first test."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from fastapi.routing import APIRoute

from tests.wallet.conftest import Env
from wallet.demo import DEMO_PASSWORD, DEMO_USER
from wallet.deps import COOKIE

# every ``*pages.py`` module of the services: a new page module is picked up by itself
PAGE_MODULES = tuple(sorted(
    f"{pkg}.{path.stem}" for pkg in ("issuer", "wallet", "verifier")
    for path in (Path(__file__).parents[2] / pkg).glob("*pages.py")))
# path template -> concrete path posted (path parameters filled with plausible values)
FORMS = {
    "/issuer/logout": "/issuer/logout",
    "/issuer/issue": "/issuer/issue",
    "/issuer/credentials/{cred_id}/amend": "/issuer/credentials/x/amend",
    "/issuer/credentials/{cred_id}/{action}": "/issuer/credentials/x/suspend",
    "/issuer/subscriptions": "/issuer/subscriptions",
    "/issuer/subscriptions/{sub_id}/delete": "/issuer/subscriptions/1/delete",
    "/wallet/requests/{request_id}/{decision}": "/wallet/requests/x/approve",
    "/wallet/access/{log_id}/report": "/wallet/access/1/report",
    "/wallet/scan/respond": "/wallet/scan/respond",
    "/wallet/logout": "/wallet/logout",  # last: it clears the cookie whatever happens
}
# The wallet's login form carries a pre-login token (login CSRF), checked below; the
# issuer's agency login has none (its session cookie is SameSite=Strict).
LOGINS = {"/issuer/login", "/wallet/login"}
FIELDS = {"type": "id_card", "claims": "{}", "url": "https://example.org/hook",
          "events": "issued", "uri": "openid4vp://?client_id=x", "decision": "refuse"}


def _page_posts() -> set[str]:
    out = set()
    for name in PAGE_MODULES:
        mount = "/" + name.split(".")[0]
        for route in importlib.import_module(name).router.routes:
            if isinstance(route, APIRoute) and "POST" in (route.methods or set()):
                out.add(f"{mount}{route.path}")
    return out


def test_every_page_form_is_listed() -> None:
    assert {"issuer.pages", "wallet.pages", "wallet.consent_pages"} <= set(PAGE_MODULES)
    assert _page_posts() == set(FORMS) | LOGINS


def _log_in(env: Env) -> None:
    r = env.http.post("/issuer/login", data={"client_id": "demo-psb",
                                             "client_secret": "demo-psb-secret"},
                      follow_redirects=False)
    assert r.status_code == 303, r.text
    creds = {"username": DEMO_USER, "password": DEMO_PASSWORD}
    r = env.http.post("/wallet/login", data=creds, follow_redirects=False)
    assert r.status_code == 403  # no pre-login form token
    page = env.http.get("/wallet/").text
    token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token is not None
    r = env.http.post("/wallet/login", data={**creds, "form_token": token[1]},
                      follow_redirects=False)
    assert r.status_code == 303, r.text


def test_page_posts_without_the_csrf_token_are_refused(world: Env) -> None:
    env = world
    _log_in(env)
    for template, path in FORMS.items():
        for csrf in ({}, {"csrf": "wrong"}):
            cookie = env.http.cookies.get(COOKIE, path="/wallet")
            r = env.http.post(path, data={**FIELDS, **csrf}, follow_redirects=False)
            if template == "/wallet/logout":
                # without the token the session is not ended: the old cookie still works
                env.http.cookies.set(COOKIE, cookie or "", path="/wallet")
                assert 'name="csrf-token"' in env.http.get("/wallet/").text
                continue
            assert r.status_code in (403, 422), (path, csrf, r.status_code, r.text)
            if csrf:
                assert r.json()["code"] in ("forbidden", "csrf_failed"), (path, r.text)
    # the sessions are still good (nothing above logged us out or changed anything)
    assert "csrf" in env.http.get("/issuer/").text
