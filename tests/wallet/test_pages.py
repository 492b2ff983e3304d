"""The citizen page: login form (double-submit token), session cookie flags, CSRF header on
cookie-authenticated POSTs, zh/en switch, phone viewport, no external resources."""

from __future__ import annotations

import re

from tests.wallet.conftest import ID_CLAIMS, Env, store_credential


def _page_login(env: Env, username: str = "alice", password: str = "correct horse") -> str:
    env.citizen(username, password)
    page = env.http.get("/wallet/")
    form_token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert form_token
    r = env.http.post("/wallet/login", data={"username": username, "password": password,
                                             "form_token": form_token.group(1)},
                      follow_redirects=False)
    assert r.status_code == 303, r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/wallet" in cookie
    home = env.http.get("/wallet/")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', home.text)
    assert csrf
    return csrf.group(1)


def test_login_page_is_phone_ready_and_local_only(env: Env) -> None:
    page = env.http.get("/wallet/")
    assert page.status_code == 200
    assert 'name="viewport"' in page.text
    assert not re.search(r'(src|href)="https?://', page.text)
    assert env.http.get("/wallet/static/wallet.js").status_code == 200
    assert env.http.get("/wallet/static/wallet.css").status_code == 200


def test_login_with_wrong_password_or_without_form_token(env: Env) -> None:
    env.citizen()
    env.http.get("/wallet/")
    r = env.http.post("/wallet/login", data={"username": "alice", "password": "correct horse",
                                             "form_token": "forged"})
    assert r.status_code == 403
    page = env.http.get("/wallet/")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token
    r = env.http.post("/wallet/login", data={"username": "alice", "password": "nope nope",
                                             "form_token": token.group(1)})
    assert r.status_code == 401 and 'id="login-error"' in r.text


def test_cookie_session_needs_the_csrf_header_for_posts(env: Env) -> None:
    csrf = _page_login(env)
    cred = store_credential(env, "alice", "id_card", ID_CLAIMS)
    body = {"scenario": "hotel_checkin", "mode": "online"}
    r = env.http.post(f"/wallet/v1/credentials/{cred}/qr", json=body)
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    r = env.http.post(f"/wallet/v1/credentials/{cred}/qr", json=body,
                      headers={"X-CSRF-Token": "x" * 43})
    assert r.json()["code"] == "csrf_failed"
    r = env.http.post(f"/wallet/v1/credentials/{cred}/qr", json=body,
                      headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["payload"].startswith("ELR1:")
    assert env.http.get("/wallet/v1/credentials").status_code == 200  # GET needs no header


def test_list_detail_language_and_other_citizens_page(env: Env) -> None:
    _page_login(env)
    cred = store_credential(env, "alice", "id_card", ID_CLAIMS)
    home = env.http.get("/wallet/")
    assert "居民身份证" in home.text and f"/wallet/credentials/{cred}" in home.text
    en = env.http.get("/wallet/?lang=en")
    assert "Resident identity card" in en.text and "My licenses" in en.text
    assert "My licenses" in env.http.get("/wallet/").text  # remembered
    detail = env.http.get(f"/wallet/credentials/{cred}")
    assert 'value="hotel_checkin"' in detail.text and 'value="internet_cafe"' in detail.text
    assert 'value="roadside_inspection"' not in detail.text
    env.http.cookies.clear()
    assert env.http.get(f"/wallet/credentials/{cred}", follow_redirects=False
                        ).status_code == 303  # not logged in
    _page_login(env, "bob")
    bob = env.http.get(f"/wallet/credentials/{cred}", follow_redirects=False)
    assert bob.status_code == 303 and "张三" not in bob.text  # alice's license: not for bob
