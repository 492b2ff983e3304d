"""The citizen's pages of issue 8 over HTTP: requests approved and refused by form (CSRF
checked), the access log listing the share with its purpose and taking a report."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from tests.wallet.conftest import ID_CLAIMS, Env, store_credential
from wallet.cli import app as wallet_cli

HC = {"Authorization": "Bearer demo-hc-wallet-secret"}


def _page_login(env: Env) -> str:
    env.citizen("alice")
    page = env.http.get("/wallet/").text
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = env.http.post("/wallet/login", data={"username": "alice", "password": "correct horse",
                                              "form_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = env.http.get("/wallet/requests").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def _ask(env: Env, purpose: str) -> str:
    r = env.http.post("/wallet/v1/consent-requests", headers=HC, json={
        "username": "alice", "purpose": purpose, "credential_type": "id_card",
        "claims": ["name"]})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_requests_and_access_log_pages(env: Env) -> None:
    csrf = _page_login(env)
    store_credential(env, "alice", "id_card", ID_CLAIMS)
    yes, no = _ask(env, "卫生许可 health permit"), _ask(env, "something odd")
    page = env.http.get("/wallet/requests").text
    assert page.count('class="approve"') == 2 and "卫生许可 health permit" in page
    r = env.http.post(f"/wallet/requests/{yes}/approve", data={"csrf": "x" * 43})
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    r = env.http.post(f"/wallet/requests/{yes}/approve", data={"csrf": csrf},
                      follow_redirects=False)
    assert r.status_code == 303
    env.http.post(f"/wallet/requests/{no}/refuse", data={"csrf": csrf})
    assert env.http.get(f"/wallet/v1/consent-requests/{yes}",
                        headers=HC).json()["state"] == "approved"
    assert env.http.get(f"/wallet/v1/consent-requests/{no}",
                        headers=HC).json()["state"] == "refused"
    r = env.http.post(f"/wallet/requests/{no}/approve", data={"csrf": csrf},
                      follow_redirects=False)
    assert "error=consent_already_decided" in r.headers["location"]
    page = env.http.get("/wallet/access").text
    [entry] = re.findall(r'data-entry="(\d+)"', page)
    assert "卫生许可 health permit" in page and 'class="who">hc<' in page
    env.http.post(f"/wallet/access/{entry}/report", data={"csrf": csrf})
    page = env.http.get("/wallet/access?lang=en").text
    assert 'class="reported"' in page and "Access log" in page
    assert 'id="nav-access"' in env.http.get("/wallet/").text


def test_pages_need_a_login(env: Env) -> None:
    for path in ("/wallet/requests", "/wallet/access"):
        r = env.http.get(path, follow_redirects=False)
        assert r.status_code == 303


def test_operator_cli_lists_reports(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    csrf = _page_login(env)
    store_credential(env, "alice", "id_card", ID_CLAIMS)
    env.http.post(f"/wallet/requests/{_ask(env, 'odd')}/approve", data={"csrf": csrf})
    [entry] = env.http.get("/wallet/v1/access-log",
                           headers=env.citizen("alice")).json()["entries"]
    env.http.post(f"/wallet/v1/access-log/{entry['id']}/report",
                  headers=env.citizen("alice"), json={"note": "not me"})
    monkeypatch.setenv("ELICENSE_DATABASE_URL", env.settings.database_url)
    res = CliRunner().invoke(wallet_cli, ["access-reports"])
    assert res.exit_code == 0, res.output
    [line] = res.output.strip().splitlines()
    assert line.split("\t")[2:] == ["alice", str(entry["at"]), "consent", "consent", "hc",
                                    "not me"]
