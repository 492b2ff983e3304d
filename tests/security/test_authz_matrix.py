"""Authorization matrix (issue 7, docs/security.md §5): every route of the issuer, wallet
and verifier × every role, in one table. Each cell is the status a real request with that
role's real token gets (tokens from the real login / OAuth endpoints, objects owned by one
role probed by the others — ``authz_world``).

The table is the single source: ``test_every_route_has_a_row`` fails when a service grows a
route without a row, ``test_matrix`` sends every cell, and ``test_doc_is_the_rendering``
keeps docs/security.md equal to ``render()``. Regenerate the doc section with
``.venv/bin/python -m tests.security.test_authz_matrix``.

Cells: the allowed roles get ``ok``; the others get 401 (anonymous, or a token this service
does not know), 403 (authenticated, not allowed) or 404 (another owner's object: existence
does not leak) — the defaults below, overridden per row in ``deny``.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, _IncludedRouter
from PIL import Image
from starlette.routing import BaseRoute, Mount

from core.clock import FixedClock
from core.qr import new_online_token
from keys.software import generate_signer
from tests.issuer.conftest import id_card_claims
from tests.security.authz_world import ROLES, World, build_world, fresh_name

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
BEGIN, END = "<!-- authz-matrix:begin -->", "<!-- authz-matrix:end -->"

AGENCIES = ("agency_psb", "agency_amr")
ORGS = ("org_hotel", "org_police", "org_cafe", "org_city", "staff_hotel")
CITIZENS = ("citizen_a", "citizen_b")
# The kind of credential each role holds. A denied role whose kind the route authenticates
# (the kind of an allowed role) gets 403; any other token is unknown there: 401.
KIND = {"anonymous": "none", "citizen_a": "citizen", "citizen_b": "citizen",
        "agency_psb": "agency", "agency_amr": "agency", "org_hotel": "org",
        "org_police": "org", "org_cafe": "org", "org_city": "org", "staff_hotel": "org",
        "wallet_client": "wallet_client"}

Body = Callable[[World, str], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    method: str
    path: str                      # mount prefix + route path, as in the OpenAPI document
    allowed: tuple[str, ...]       # roles that pass; ("*",) = every role (public)
    ok: int                        # their status
    deny: dict[str, int] = field(default_factory=dict)  # per-role overrides
    fill: dict[str, str] = field(default_factory=dict)  # path placeholder → World.objects key
    json: Body | None = None
    data: Body | None = None
    content: Callable[[World, str], bytes] | None = None
    form: Callable[[World, str], tuple[dict[str, str], dict[str, Any]]] | None = None
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def expected(self, role: str) -> int:
        if role in self.deny:
            return self.deny[role]
        if "*" in self.allowed or role in self.allowed:
            return self.ok
        realm = {KIND[r] for r in self.allowed}
        return 403 if KIND[role] in realm else 401


def _static(body: dict[str, Any]) -> Body:
    return lambda _w, _r: body


def _id_card(_w: World, _r: str) -> dict[str, Any]:
    return {"type": "id_card", "claims": id_card_claims(), "holder": {"offer": True}}


def _batch(_w: World, role: str) -> bytes:
    line = {"ref": f"authz-{role}", "type": "id_card", "claims": id_card_claims(),
            "holder": {"jwk": generate_signer("ES256").public_jwk()}}
    return orjson.dumps(line) + b"\n"


def _account(_w: World, _r: str) -> dict[str, Any]:
    return {"username": fresh_name(), "password": "long-enough-password"}


def _wallet_login(_w: World, _r: str) -> dict[str, Any]:
    return {"username": "bob", "password": "bob-password"}


def _consent_req(_w: World, _r: str) -> dict[str, Any]:
    return {"username": "demo", "purpose": "authz matrix", "credential_type": "id_card",
            "claims": ["name"]}


def _sub(_w: World, _r: str) -> dict[str, Any]:
    return {"type": "id_card", "events": ["issued"], "fields": ["name"],
            "url": "http://localhost/hooks/authz"}


def _verify(_w: World, _r: str) -> dict[str, Any]:
    return {"scenario": "hotel_checkin", "qr": "ELR1:not-a-token"}


def _image(_w: World, _r: str) -> tuple[dict[str, str], dict[str, Any]]:
    buf = io.BytesIO()
    Image.new("RGB", (40, 40), (255, 255, 255)).save(buf, "PNG")
    return {"scenario": "hotel_checkin"}, {"image": ("blank.png", buf.getvalue(), "image/png")}


def _redeem(_w: World, _r: str) -> dict[str, Any]:
    return {"token": new_online_token(), "nonce": "n-authz",
            "aud": "http://localhost/verifier/orgs/demo-hotel", "scenario": "hotel_checkin"}


PSB, ALL, NONE = ("agency_psb",), ("*",), ()
HOTEL_SCENARIO = ("org_hotel", "org_police", "staff_hotel")
# Another agency's credential / subscription / delivery: 404, existence does not leak.
# Another agency's credential: 403 (agencies are known, trusted parties; ids are 128-bit
# random); its subscription or delivery: 404.
OTHER_AGENCY = {"agency_amr": 403}
OTHER_AGENCY_404 = {"agency_amr": 404}
OTHER_CITIZEN = {"citizen_b": 404}
PUBLIC_NOTE = "public"

TABLE: tuple[Row, ...] = (
    # ---- issuer: metadata (public) -------------------------------------------------------
    Row("GET", "/issuer/.well-known/jwt-vc-issuer", ALL, 200, note=PUBLIC_NOTE),
    Row("GET", "/issuer/jwks.json", ALL, 200, note=PUBLIC_NOTE),
    Row("GET", "/issuer/vct/{type_}", ALL, 200, fill={"type_": "=id_card"}, note=PUBLIC_NOTE),
    Row("GET", "/issuer/.well-known/openid-credential-issuer", ALL, 200, note=PUBLIC_NOTE),
    Row("GET", "/issuer/.well-known/oauth-authorization-server", ALL, 200, note=PUBLIC_NOTE),
    Row("GET", "/issuer/status-lists/{list_id}", ALL, 200, fill={"list_id": "=1"},
        note=PUBLIC_NOTE),
    # ---- issuer: OAuth / OpenID4VCI ------------------------------------------------------
    Row("POST", "/issuer/oauth/token", ALL, 200,
        data=_static({"grant_type": "client_credentials", "client_id": "demo-psb",
                      "client_secret": "demo-psb-secret"}),
        note="the client authenticates in the request (RFC 6749 §2.3); a bearer header "
             "grants nothing"),
    Row("POST", "/issuer/oid4vci/nonce", ALL, 200, note=PUBLIC_NOTE),
    Row("POST", "/issuer/oid4vci/credential", NONE, 401,
        json=_static({"format": "dc+sd-jwt"}),
        note="only an access token from the pre-authorized code grant (holder wallet)"),
    # ---- issuer: agency API --------------------------------------------------------------
    Row("POST", "/issuer/v1/credentials", PSB, 201, json=_id_card,
        note="an agency issues only the types the trust list gives it (amr: no id_card)"),
    Row("POST", "/issuer/v1/credentials:batch", PSB, 200, content=_batch,
        note="NDJSON; amr's lines are refused line by line (200 with per-line errors)",
        deny={"agency_amr": 200}),
    Row("GET", "/issuer/v1/credentials", AGENCIES, 200, note="each agency sees its own"),
    Row("GET", "/issuer/v1/credentials/{cred_id}", PSB, 200, fill={"cred_id": "cred"},
        deny=OTHER_AGENCY),
    Row("POST", "/issuer/v1/credentials/{cred_id}/reissue", PSB, 201,
        fill={"cred_id": "cred_reissue"}, deny=OTHER_AGENCY,
        json=lambda _w, _r: {"holder": {"offer": True}}),
    Row("POST", "/issuer/v1/credentials/{cred_id}/revoke", PSB, 200,
        fill={"cred_id": "cred_revoke"}, deny=OTHER_AGENCY, json=_static({"reason": "x"})),
    Row("POST", "/issuer/v1/credentials/{cred_id}/suspend", PSB, 200,
        fill={"cred_id": "cred_suspend"}, deny=OTHER_AGENCY, json=_static({"reason": "x"})),
    Row("POST", "/issuer/v1/credentials/{cred_id}/reinstate", PSB, 200,
        fill={"cred_id": "cred_reinstate"}, deny=OTHER_AGENCY, json=_static({"reason": "x"})),
    Row("POST", "/issuer/v1/credentials/{cred_id}/amend", PSB, 201,
        fill={"cred_id": "cred_amend"}, deny=OTHER_AGENCY,
        json=_static({"claims": {"address": "北京市东城区2号"}})),
    Row("POST", "/issuer/v1/subscriptions", AGENCIES, 201, json=_sub,
        note="the data-sharing list decides which agency may subscribe to which type"),
    Row("GET", "/issuer/v1/subscriptions", AGENCIES, 200, note="each agency sees its own"),
    Row("DELETE", "/issuer/v1/subscriptions/{sub_id}", PSB, 204, fill={"sub_id": "sub"},
        deny=OTHER_AGENCY_404),
    Row("GET", "/issuer/v1/event-deliveries", AGENCIES, 200, note="each agency sees its own"),
    Row("POST", "/issuer/v1/event-deliveries/{ident}/redeliver", PSB, 200,
        fill={"ident": "delivery"}, deny=OTHER_AGENCY_404),
    # ---- issuer: console pages (session cookie + CSRF; bearer headers grant nothing) -----
    Row("GET", "/issuer/", ALL, 200, note="login form without a session cookie"),
    Row("POST", "/issuer/login", ALL, 303,
        data=_static({"client_id": "demo-psb", "client_secret": "demo-psb-secret"}),
        note="the agency client logs in with its secret"),
    Row("POST", "/issuer/logout", NONE, 401, data=_static({"csrf": "x"})),
    Row("POST", "/issuer/issue", NONE, 401,
        data=_static({"csrf": "x", "type": "id_card", "claims": "{}"})),
    Row("POST", "/issuer/credentials/{cred_id}/amend", NONE, 401, fill={"cred_id": "cred"},
        data=_static({"csrf": "x", "claims": "{}"})),
    Row("POST", "/issuer/credentials/{cred_id}/{action}", NONE, 401,
        fill={"cred_id": "cred", "action": "=suspend"}, data=_static({"csrf": "x"})),
    Row("POST", "/issuer/subscriptions", NONE, 401,
        data=_static({"csrf": "x", "type": "id_card", "url": "http://localhost/h"})),
    Row("POST", "/issuer/subscriptions/{sub_id}/delete", NONE, 401, fill={"sub_id": "sub"},
        data=_static({"csrf": "x"})),
    # ---- wallet: citizen API -------------------------------------------------------------
    Row("POST", "/wallet/v1/register", ALL, 201, json=_account, note=PUBLIC_NOTE),
    Row("POST", "/wallet/v1/login", ALL, 200, json=_wallet_login, note=PUBLIC_NOTE),
    Row("POST", "/wallet/v1/offers", CITIZENS, 422,
        json=_static({"credential_offer": "not an offer"}),
        note="authorized citizens reach body validation"),
    Row("GET", "/wallet/v1/credentials", CITIZENS, 200, note="each citizen sees their own"),
    Row("GET", "/wallet/v1/credentials/{credential_id}", ("citizen_a",), 200,
        fill={"credential_id": "wcred"}, deny=OTHER_CITIZEN),
    Row("POST", "/wallet/v1/credentials/{credential_id}/qr", ("citizen_a",), 200,
        fill={"credential_id": "wcred"}, deny=OTHER_CITIZEN,
        json=_static({"scenario": "hotel_checkin", "mode": "offline"})),
    Row("GET", "/wallet/v1/presentations", CITIZENS, 200, note="each citizen sees their own"),
    Row("POST", "/wallet/v1/presentations/redeem", ("wallet_client",), 404, json=_redeem,
        note="the verifier service's client secret; an unknown token is 404"),
    Row("POST", "/wallet/v1/consent-requests", AGENCIES, 201, json=_consent_req,
        note="agency consent clients (wallet secrets)"),
    Row("GET", "/wallet/v1/agency/consent-requests", AGENCIES, 200,
        note="each agency sees its own requests"),
    Row("GET", "/wallet/v1/consent-requests", CITIZENS, 200,
        note="each citizen sees requests to them"),
    Row("GET", "/wallet/v1/consent-requests/{request_id}", PSB, 200,
        fill={"request_id": "consent"}, deny=OTHER_AGENCY_404),
    Row("POST", "/wallet/v1/consent-requests/{request_id}/approve", ("citizen_a",), 200,
        fill={"request_id": "consent_approve"}, deny=OTHER_CITIZEN),
    Row("POST", "/wallet/v1/consent-requests/{request_id}/refuse", ("citizen_a",), 200,
        fill={"request_id": "consent_refuse"}, deny=OTHER_CITIZEN),
    Row("GET", "/wallet/v1/access-log", CITIZENS, 200, note="each citizen sees their own"),
    Row("POST", "/wallet/v1/access-log/{log_id}/report", ("citizen_a",), 201,
        fill={"log_id": "log"}, deny=OTHER_CITIZEN),
    Row("POST", "/wallet/v1/logout", CITIZENS, 204, note="ends the caller's own session"),
    # ---- wallet: pages (session cookie + CSRF; bearer headers grant nothing) -------------
    Row("GET", "/wallet/", ALL, 200, note="login form without a session cookie"),
    Row("POST", "/wallet/login", NONE, 403, deny={r: 403 for r in ROLES},
        data=_static({"username": "bob", "password": "bob-password"}),
        note="without the pre-login cookie of GET / (login CSRF)"),
    Row("POST", "/wallet/logout", ALL, 303, data=_static({"csrf": "x"})),
    Row("GET", "/wallet/credentials/{credential_id}", ALL, 303,
        fill={"credential_id": "wcred"}, note="redirects to the login form"),
    Row("GET", "/wallet/requests", ALL, 303, note="redirects to the login form"),
    Row("POST", "/wallet/requests/{request_id}/{decision}", ALL, 303,
        fill={"request_id": "consent", "decision": "=approve"}, data=_static({"csrf": "x"})),
    Row("GET", "/wallet/access", ALL, 303, note="redirects to the login form"),
    Row("GET", "/wallet/scan", ALL, 303, note="redirects to the login form"),
    Row("POST", "/wallet/scan/respond", ALL, 303,
        data=lambda w, _r: {"uri": w.objects["vreq_uri"], "decision": "approve",
                            "credential_id": w.objects["wcred"], "csrf": "x"},
        note="redirects to the login form"),
    Row("POST", "/wallet/access/{log_id}/report", ALL, 303, fill={"log_id": "log"},
        data=_static({"csrf": "x"})),
    # ---- verifier ------------------------------------------------------------------------
    Row("GET", "/verifier/v1/scenarios", ALL, 200, note=PUBLIC_NOTE),
    Row("GET", "/verifier/v1/trust-list", ALL, 200, note=PUBLIC_NOTE),
    Row("POST", "/verifier/v1/login", ALL, 200,
        json=_static({"username": "cafe", "password": "cafe-password"}), note=PUBLIC_NOTE),
    Row("GET", "/verifier/v1/me", ORGS, 200),
    Row("POST", "/verifier/v1/verify", ("org_hotel", "org_police", "staff_hotel"), 200,
        json=_verify, note="hotel_checkin: only orgs registered for the scenario"),
    Row("POST", "/verifier/v1/verify-image", HOTEL_SCENARIO, 200, form=_image,
        note="hotel_checkin; the verdict for an image without a QR code is a failure"),
    Row("GET", "/verifier/", ALL, 200, note="the staff page (logs in through /v1/login)"),
    # ---- verifier: OpenID4VP (verifier-initiated) ----------------------------------------
    Row("POST", "/verifier/v1/requests", HOTEL_SCENARIO, 201,
        json=_static({"scenario": "hotel_checkin"}),
        note="only orgs registered for the scenario"),
    Row("GET", "/verifier/v1/requests/{request_id}", ("org_hotel", "staff_hotel"), 200,
        fill={"request_id": "vreq"}, deny={"org_police": 404, "org_cafe": 404, "org_city": 404},
        note="the requesting org only; other orgs 404"),
    Row("GET", "/verifier/v1/requests/{request_id}/request-object", ALL, 200,
        fill={"request_id": "vreq"}, note="the wallet fetches it (unguessable id, §5.10)"),
    Row("POST", "/verifier/v1/requests/{request_id}/response", ALL, 400,
        fill={"request_id": "vreq"}, data=_static({"vp_token": "{}", "state": "wrong"}),
        note="direct_post from the wallet; checked by state and nonce, not by a header"),
    Row("GET", "/verifier/orgs/{org_id}", ALL, 200, fill={"org_id": "=demo-hotel"},
        note="the org's client metadata (public)"),
    Row("GET", "/verifier/oid4vp", ALL, 200, note="staff page (logs in through /v1/login)"),
    Row("POST", "/wallet/v1/oid4vp/resolve", CITIZENS, 200,
        json=lambda w, _r: {"uri": w.objects["vreq_wallet_uri"]}),
    Row("POST", "/wallet/v1/oid4vp/respond", ("citizen_a",), 200, deny=OTHER_CITIZEN,
        json=lambda w, _r: {"request_id": w.objects["vreq_wallet_uri"],
                            "credential_id": w.objects["wcred"], "consent": True},
        note="with the caller's own credential only"),
    # ---- operations (every service) ------------------------------------------------------
    *(Row("GET", f"/{svc}/{probe}", ALL, 200, note=PUBLIC_NOTE)
      for svc in ("issuer", "wallet", "verifier") for probe in ("healthz", "readyz")),
    *(Row("GET", f"/{svc}/metrics", NONE, 403, deny={r: 403 for r in ROLES},
          note="loopback or the operator's metrics token only")
      for svc in ("issuer", "wallet", "verifier")),
)


# ---- the routes the services actually serve ----------------------------------------------

def _walk(routes: list[BaseRoute], prefix: str) -> Generator[str, None, None]:
    for r in routes:
        if isinstance(r, _IncludedRouter):
            yield from _walk(r.original_router.routes, prefix + r.include_context.prefix)
        elif isinstance(r, APIRoute):
            for m in sorted(r.methods or ()):
                yield f"{m} {prefix}{r.path}"


def served_routes(world: World) -> set[str]:
    """Every API route and page of each mounted service (static files and FastAPI's own
    /openapi.json, /docs excluded)."""
    found: set[str] = set()
    for mount in world.env.app.routes:
        if isinstance(mount, Mount) and mount.path in ("/issuer", "/wallet", "/verifier"):
            sub = mount.app
            assert isinstance(sub, FastAPI)
            found |= set(_walk(list(sub.routes), mount.path))
    return found


# ---- rendering ---------------------------------------------------------------------------

SHORT = {"anonymous": "anon", "citizen_a": "cit A", "citizen_b": "cit B",
         "agency_psb": "psb", "agency_amr": "amr", "org_hotel": "hotel",
         "org_police": "police", "org_cafe": "café", "org_city": "city",
         "staff_hotel": "hotel staff", "wallet_client": "verifier→wallet"}


def render() -> str:
    head = "| Endpoint | " + " | ".join(SHORT[r] for r in ROLES) + " | Note |"
    sep = "|---|" + "---|" * len(ROLES) + "---|"
    lines = [head, sep]
    for row in TABLE:
        cells = []
        for role in ROLES:
            code = row.expected(role)
            passes = "*" in row.allowed or role in row.allowed
            cells.append(f"**{code}**" if passes else str(code))
        lines.append(f"| `{row.key}` | " + " | ".join(cells) + f" | {row.note} |")
    return "\n".join(lines) + "\n"


def doc_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    m = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), text, re.S)
    assert m, f"{DOC} lacks the {BEGIN} … {END} section"
    return m.group(1)


def write_doc() -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN) + 1, text.index(END)
    DOC.write_text(text[:start] + render() + text[end:], encoding="utf-8")


# ---- probing -----------------------------------------------------------------------------

def _url(world: World, row: Row) -> str:
    path = row.path
    for name, source in row.fill.items():
        value = source[1:] if source.startswith("=") else world.objects[source]
        path = path.replace("{" + name + "}", value)
    return path


def probe(world: World, row: Row, role: str) -> int:
    service = row.path.split("/")[1]
    kwargs: dict[str, Any] = {"headers": dict(world.for_role(role, service))}
    if row.json is not None:
        kwargs["json"] = row.json(world, role)
    if row.data is not None:
        kwargs["data"] = row.data(world, role)
    if row.form is not None:
        kwargs["data"], kwargs["files"] = row.form(world, role)
    if row.content is not None:
        kwargs["content"] = row.content(world, role)
    world.http.cookies.clear()
    try:
        r = world.http.request(row.method, _url(world, row), follow_redirects=False, **kwargs)
    except Exception:  # the TestClient re-raises server errors: the cell is a 500
        return 500
    return r.status_code


def _order(row: Row) -> list[str]:
    # Denied roles first: a state change by an allowed role must not mask a denial.
    passes = [r for r in ROLES if "*" in row.allowed or r in row.allowed]
    return [r for r in ROLES if r not in passes] + passes


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Generator[World, None, None]:
    from core.db import migrate
    from tests.conftest import NOW

    url = f"sqlite:///{tmp_path_factory.mktemp('authz') / 'authz.db'}"
    migrate(url)
    yield from build_world(url, FixedClock(NOW))


def test_every_route_has_a_row(world: World) -> None:
    table = [row.key for row in TABLE]
    assert len(table) == len(set(table)), "duplicate rows"
    served = served_routes(world)
    assert served - set(table) == set(), "routes without a row in the authorization matrix"
    assert set(table) - served == set(), "rows for routes no service serves"


def test_matrix(world: World) -> None:
    wrong = []
    for row in TABLE:
        for role in _order(row):
            got = probe(world, row, role)
            if got != row.expected(role):
                wrong.append(f"{row.key} as {role}: {got}, expected {row.expected(role)}")
        if row.path.endswith("/logout"):
            world.login_citizens()
    assert not wrong, "\n".join(wrong)


def test_a_token_for_one_citizen_does_not_open_the_other_citizens_objects(world: World
                                                                          ) -> None:
    # The matrix's 404 cells are not an artefact of a bad id: the owner reads the same URL.
    url = f"/wallet/v1/credentials/{world.objects['wcred']}"
    assert world.http.get(url, headers=world.for_role("citizen_a", "wallet")).status_code == 200
    r = world.http.get(url, headers=world.for_role("citizen_b", "wallet"))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def _console_login(world: World, agency: str) -> str:
    world.http.cookies.clear()
    r = world.http.post("/issuer/login", data={"client_id": f"demo-{agency}",
                                               "client_secret": f"demo-{agency}-secret"},
                        follow_redirects=False)
    assert r.status_code == 303, r.text
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', world.http.get("/issuer/").text)
    assert m
    return m.group(1)


def test_cookie_sessions_reach_only_their_own_objects(world: World) -> None:
    # The pages' principals (session cookie + CSRF), which the table probes with bearer
    # headers only: amr's console session cannot suspend psb's credential, a wrong CSRF
    # token is refused, and citizen B's page session does not open citizen A's license.
    cred = world.objects["cred"]
    state = f"/issuer/v1/credentials/{cred}"
    psb = world.for_role("agency_psb", "issuer")
    before = world.http.get(state, headers=psb).json()
    csrf = _console_login(world, "amr")
    r = world.http.post(f"/issuer/credentials/{cred}/suspend", data={"csrf": csrf},
                        follow_redirects=False)
    assert r.status_code != 303 and ": credential_not_owned" in r.text
    r = world.http.post(f"/issuer/credentials/{cred}/suspend", data={"csrf": "0" * 32},
                        follow_redirects=False)
    assert r.status_code == 403
    assert world.http.get(state, headers=psb).json() == before
    world.http.cookies.clear()
    page = world.http.get("/wallet/")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token
    r = world.http.post("/wallet/login", data={"username": "bob", "password": "bob-password",
                                               "form_token": token.group(1)},
                        follow_redirects=False)
    assert r.status_code == 303, r.text
    r = world.http.get(f"/wallet/credentials/{world.objects['wcred']}", follow_redirects=False)
    assert r.status_code == 303 and "11010519" not in r.text
    world.http.cookies.clear()


def test_doc_is_the_rendering() -> None:
    assert doc_section() == render(), (
        "docs/security.md is stale: run .venv/bin/python -m tests.security.test_authz_matrix")


if __name__ == "__main__":
    write_doc()
    sys.stdout.write(f"wrote the authorization matrix into {DOC}\n")
