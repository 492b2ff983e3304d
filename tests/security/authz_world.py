"""The world the authorization matrix runs in (issue 7, docs/security.md §5): issuer,
wallet and verifier mounted in one app over one ``TestClient`` with the dev bootstraps
(demo agencies, demo citizen with four licenses, demo verifier orgs), real tokens for every
role obtained through the real login / OAuth endpoints, and objects owned by role A that
role B probes.

Roles (one column each in the matrix):

- ``anonymous`` — no ``Authorization`` header;
- ``citizen_a`` (the demo citizen, owns the wallet objects), ``citizen_b`` — wallet logins;
- ``agency_psb``, ``agency_amr`` — issuer OAuth client-credentials tokens; at the wallet the
  agency's consent client secret (``demo-<code>-wallet-secret``);
- ``org_hotel``, ``org_police``, ``org_cafe``, ``org_city`` — verifier org API keys;
  ``staff_hotel`` — a verifier staff session token (``/verifier/v1/login``);
- ``wallet_client`` — the verifier's client secret at the wallet (online QR redeem).

There is no admin / operator role over HTTP: operator actions are CLI-only
(``elicense issuer …``, ``elicense wallet access-reports``, ``elicense verifier-trust …``).
A role without a credential for a service sends its own token there (a token of one
service must grant nothing at another).
"""

from __future__ import annotations

import secrets
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from core.clock import FixedClock
from tests.issuer.conftest import id_card_claims
from tests.wallet.conftest import Env, build_env
from wallet.demo import DEMO_PASSWORD, DEMO_USER
from wallet.demo import bootstrap as wallet_demo

ROLES = ("anonymous", "citizen_a", "citizen_b", "agency_psb", "agency_amr", "org_hotel",
         "org_police", "org_cafe", "org_city", "staff_hotel", "wallet_client")
SERVICES = ("issuer", "wallet", "verifier")
PUBLIC = "http://localhost"  # OpenID4VP accepts http on loopback only
HOOK = f"{PUBLIC}/hooks/authz"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    env: Env
    # role → service → headers
    headers: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    # named objects (ids) owned by one role, probed by the others
    objects: dict[str, str] = field(default_factory=dict)

    @property
    def http(self) -> Any:
        return self.env.http

    def login_citizens(self) -> None:
        for role, user, password in (("citizen_a", DEMO_USER, DEMO_PASSWORD),
                                     ("citizen_b", "bob", "bob-password")):
            r = self.http.post("/wallet/v1/login", json={"username": user, "password": password})
            assert r.status_code == 200, r.text
            h = _bearer(r.json()["access_token"])
            self.headers[role] = {s: h for s in SERVICES}

    def for_role(self, role: str, service: str) -> dict[str, str]:
        return self.headers[role][service]


def _agency_token(env: Env, code: str) -> str:
    r = env.http.post("/issuer/oauth/token", data={"grant_type": "client_credentials"},
                      auth=(f"demo-{code}", f"demo-{code}-secret"))
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _issue(w: World, agency: str, body: dict[str, Any]) -> str:
    r = w.http.post("/issuer/v1/credentials", headers=w.for_role(agency, "issuer"), json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _consent(w: World) -> str:
    r = w.http.post("/wallet/v1/consent-requests", headers=w.for_role("agency_psb", "wallet"),
                    json={"username": DEMO_USER, "purpose": "authz matrix",
                          "credential_type": "id_card", "claims": ["name"]})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _objects(w: World) -> None:
    id_card = {"type": "id_card", "claims": id_card_claims(), "holder": {"offer": True}}
    for name in ("cred", "cred_reissue", "cred_revoke", "cred_suspend", "cred_reinstate",
                 "cred_amend"):
        w.objects[name] = _issue(w, "agency_psb", id_card)
    r = w.http.post(f"/issuer/v1/credentials/{w.objects['cred_reinstate']}/suspend",
                    headers=w.for_role("agency_psb", "issuer"), json={"reason": "setup"})
    assert r.status_code == 200, r.text
    r = w.http.post("/issuer/v1/subscriptions", headers=w.for_role("agency_psb", "issuer"),
                    json={"type": "id_card", "events": ["issued"], "fields": ["name"],
                          "url": HOOK})
    assert r.status_code == 201, r.text
    w.objects["sub"] = str(r.json()["id"])
    _issue(w, "agency_psb", id_card)  # an 'issued' event → a delivery for the subscription
    r = w.http.get("/issuer/v1/event-deliveries", headers=w.for_role("agency_psb", "issuer"))
    assert r.status_code == 200, r.text
    w.objects["delivery"] = str(_first(r.json())["id"])
    citizen = w.for_role("citizen_a", "wallet")
    creds = w.http.get("/wallet/v1/credentials", headers=citizen).json()["credentials"]
    w.objects["wcred"] = next(str(c["id"]) for c in creds if c["type"] == "id_card")
    for name in ("consent", "consent_approve", "consent_refuse"):
        w.objects[name] = _consent(w)
    qr = w.http.post(f"/wallet/v1/credentials/{w.objects['wcred']}/qr", headers=citizen,
                     json={"scenario": "hotel_checkin", "mode": "online"})
    assert qr.status_code == 200, qr.text
    r = w.http.post("/verifier/v1/verify", headers=w.for_role("org_hotel", "verifier"),
                    json={"scenario": "hotel_checkin", "qr": qr.json()["payload"]})
    assert r.status_code == 200 and r.json()["valid"] is True, r.text
    log = w.http.get("/wallet/v1/access-log", headers=citizen).json()["entries"]
    w.objects["log"] = str(log[0]["id"])
    for name in ("vreq", "vreq_wallet"):
        r = w.http.post("/verifier/v1/requests", headers=w.for_role("org_hotel", "verifier"),
                        json={"scenario": "hotel_checkin"})
        assert r.status_code == 201, r.text
        w.objects[name], w.objects[f"{name}_uri"] = str(r.json()["id"]), r.json()["qr_payload"]


def _first(listing: dict[str, Any]) -> dict[str, Any]:
    items = next(v for v in listing.values() if isinstance(v, list))
    assert items, listing
    first: dict[str, Any] = items[0]
    return first


def build_world(db_url: str, clock: FixedClock) -> Generator[World, None, None]:
    # Login rate limits (elicense.ops) have their own tests; the matrix logs in often.
    gen = build_env(db_url, clock, public_url=PUBLIC, real_verifier=True,
                    rate_login="100000/60")
    env = next(gen)
    try:
        wallet_demo(env.settings, http=env.http, clock=env.clock)
        r = env.http.post("/wallet/v1/register",
                          json={"username": "bob", "password": "bob-password"})
        assert r.status_code == 201, r.text
        w = World(env=env)
        w.login_citizens()
        for code in ("psb", "amr"):
            tok = _bearer(_agency_token(env, code))
            w.headers[f"agency_{code}"] = {
                "issuer": tok, "verifier": tok,
                "wallet": _bearer(f"demo-{code}-wallet-secret")}
        for org in ("hotel", "police", "cafe", "city"):
            h = _bearer(f"demo-{org}-key")
            w.headers[f"org_{org}"] = {s: h for s in SERVICES}
        r = env.http.post("/verifier/v1/login",
                          json={"username": "hotel", "password": "hotel-password"})
        assert r.status_code == 200, r.text
        h = _bearer(r.json()["access_token"])
        w.headers["staff_hotel"] = {s: h for s in SERVICES}
        h = _bearer("demo-verifier-wallet-secret")
        w.headers["wallet_client"] = {s: h for s in SERVICES}
        w.headers["anonymous"] = {s: {} for s in SERVICES}
        _objects(w)
        yield w
    finally:
        gen.close()


def fresh_name() -> str:
    return f"u{secrets.token_hex(4)}"
