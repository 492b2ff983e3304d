"""OpenID4VCI 1.0 pre-authorized code flow: metadata, offer, token (PIN, single use,
expiry, attempts), nonce, credential endpoint with one or a batch of key proofs, and every
refusal (reused code, wrong PIN, stale or reused nonce, bad proofs)."""

from __future__ import annotations

from typing import Any

import pytest

from core.clock import FixedClock
from core.credential import StaticKeys, verify
from core.jose import b64u_encode, json_dumps
from keys.software import SoftwareSigner, generate_signer

from .conftest import ISS, TestClient, id_card_claims

GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def proof(key: SoftwareSigner, *, nonce: str, iat: int, aud: str = ISS,
          typ: str = "openid4vci-proof+jwt", header: dict[str, Any] | None = None) -> str:
    hdr = {"typ": typ, "alg": key.alg,
           "jwk": {k: v for k, v in key.public_jwk().items() if k in ("kty", "crv", "x", "y")},
           **(header or {})}
    payload = {"aud": aud, "iat": iat, "nonce": nonce}
    si = b64u_encode(json_dumps(hdr)) + "." + b64u_encode(json_dumps(payload))
    return si + "." + b64u_encode(key.sign(si.encode()))


def offer(client: TestClient, psb: dict[str, str]) -> dict[str, Any]:
    r = client.post("/issuer/v1/credentials", headers=psb, json={
        "type": "id_card", "claims": id_card_claims(), "holder": {"offer": True}})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def redeem(client: TestClient, o: dict[str, Any], pin: str | None = None) -> Any:
    grant = o["offer"]["credential_offer"]["grants"][GRANT]
    return client.post("/issuer/oauth/token", data={
        "grant_type": GRANT, "pre-authorized_code": grant["pre-authorized_code"],
        "tx_code": pin if pin is not None else o["offer"]["tx_code"]})


def c_nonce(client: TestClient) -> str:
    r = client.post("/issuer/oid4vci/nonce")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    return str(r.json()["c_nonce"])


def test_metadata(client: TestClient) -> None:
    m = client.get("/issuer/.well-known/openid-credential-issuer").json()
    assert m["credential_issuer"] == ISS
    assert m["credential_endpoint"] == f"{ISS}/oid4vci/credential"
    assert m["nonce_endpoint"] == f"{ISS}/oid4vci/nonce"
    assert len(m["credential_configurations_supported"]) == 11
    cfg = m["credential_configurations_supported"]["id_card"]
    assert cfg["format"] == "dc+sd-jwt" and cfg["vct"] == f"{ISS}/vct/id_card"
    assert set(cfg["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"]) == {
        "ES256", "EdDSA"}
    a = client.get("/issuer/.well-known/oauth-authorization-server").json()
    assert a["token_endpoint"] == f"{ISS}/oauth/token" and GRANT in a["grant_types_supported"]


def test_offer_pickup_batch(client: TestClient, psb: dict[str, str],
                            clock: FixedClock) -> None:
    o = offer(client, psb)
    co = o["offer"]["credential_offer"]
    assert co["credential_issuer"] == ISS and co["credential_configuration_ids"] == ["id_card"]
    assert len(o["offer"]["tx_code"]) == 6 and o["offer"]["tx_code"].isdigit()
    assert o["offer"]["credential_offer_url"].startswith("openid-credential-offer://?")
    r = redeem(client, o)
    assert r.status_code == 200, r.text
    at = r.json()["access_token"]
    n = c_nonce(client)
    keys = [generate_signer("ES256"), generate_signer("EdDSA"), generate_signer("ES256")]
    r = client.post("/issuer/oid4vci/credential", headers={"Authorization": f"Bearer {at}"},
                    json={"credential_configuration_id": "id_card", "proofs": {
                        "jwt": [proof(k, nonce=n, iat=clock.now()) for k in keys]}})
    assert r.status_code == 200, r.text
    creds = [c["credential"] for c in r.json()["credentials"]]
    assert len(creds) == 3 and len(set(creds)) == 3
    jwks = client.get("/issuer/jwks.json").json()
    salts = set()
    refs = []
    for sd_jwt, k in zip(creds, keys, strict=True):
        v = verify(sd_jwt, keys=StaticKeys({ISS: jwks}), key_binding=False, now=clock.now())
        assert v.holder_jwk["x"] == k.public_jwk()["x"]
        assert v.claims["name"] == "张三"
        assert v.status is not None
        refs.append(v.status["status_list"])
        salts.add(sd_jwt.split("~")[1])
    assert len(salts) == 3
    # The first copy carries the credential's own index; every copy has its own index, so
    # two verifiers shown two copies cannot link them by status index.
    assert refs[0] == o["status"]
    assert len({(r["uri"], r["idx"]) for r in refs}) == 3
    # the access token and the code are single use
    r = client.post("/issuer/oid4vci/credential", headers={"Authorization": f"Bearer {at}"},
                    json={"proofs": {"jwt": [proof(keys[0], nonce=c_nonce(client),
                                                   iat=clock.now())]}})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    r = redeem(client, o)
    assert r.status_code == 400 and r.json()["code"] == "invalid_grant"
    assert r.json()["reason"] == "code_used"
    assert client.get(f"/issuer/v1/credentials/{o['id']}", headers=psb).json()[
        "delivery"] == "delivered"


def test_wrong_pin_attempts_are_limited(client: TestClient, psb: dict[str, str]) -> None:
    o = offer(client, psb)
    wrong = "000000" if o["offer"]["tx_code"] != "000000" else "111111"
    for left in (4, 3, 2, 1, 0):
        r = redeem(client, o, pin=wrong)
        assert r.status_code == 400 and r.json()["code"] == "invalid_grant"
        assert r.json()["reason"] == "wrong_tx_code" and r.json()["attempts_left"] == left
    r = redeem(client, o)  # right PIN, too late
    assert r.status_code == 400 and r.json()["reason"] == "locked"
    r = redeem(client, o, pin="")
    assert r.json()["code"] == "invalid_grant"


def test_expired_and_unknown_code(client: TestClient, psb: dict[str, str],
                                  clock: FixedClock) -> None:
    o = offer(client, psb)
    r = client.post("/issuer/oauth/token", data={"grant_type": GRANT,
                                                 "pre-authorized_code": "nope", "tx_code": "1"})
    assert r.json()["code"] == "invalid_grant" and r.json()["reason"] == "unknown_code"
    clock.advance(7 * 86_400)
    r = redeem(client, o)
    assert r.json()["code"] == "invalid_grant" and r.json()["reason"] == "code_expired"


def test_revoked_offer_cannot_be_picked_up(client: TestClient, psb: dict[str, str]) -> None:
    o = offer(client, psb)
    client.post(f"/issuer/v1/credentials/{o['id']}/revoke", headers=psb)
    r = redeem(client, o)
    assert r.json()["code"] == "invalid_grant" and r.json()["reason"] == "withdrawn"


@pytest.fixture
def access(client: TestClient, psb: dict[str, str]) -> dict[str, str]:
    r = redeem(client, offer(client, psb))
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_stale_and_reused_nonce(client: TestClient, access: dict[str, str],
                                clock: FixedClock) -> None:
    k = generate_signer("EdDSA")
    n = c_nonce(client)
    clock.advance(301)
    r = client.post("/issuer/oid4vci/credential", headers=access,
                    json={"proofs": {"jwt": [proof(k, nonce=n, iat=clock.now())]}})
    assert r.status_code == 400 and r.json()["code"] == "invalid_nonce"
    r = client.post("/issuer/oid4vci/credential", headers=access,
                    json={"proofs": {"jwt": [proof(k, nonce="made-up", iat=clock.now())]}})
    assert r.status_code == 400 and r.json()["code"] == "invalid_nonce"
    n = c_nonce(client)
    r = client.post("/issuer/oid4vci/credential", headers=access,
                    json={"proof": {"proof_type": "jwt", "jwt": proof(k, nonce=n,
                                                                      iat=clock.now())}})
    assert r.status_code == 200, r.text


def test_nonce_is_single_use(client: TestClient, psb: dict[str, str],
                             clock: FixedClock) -> None:
    k = generate_signer("EdDSA")
    n = c_nonce(client)
    tokens = [redeem(client, offer(client, psb)).json()["access_token"] for _ in range(2)]
    first, second = ({"Authorization": f"Bearer {t}"} for t in tokens)
    body = {"proofs": {"jwt": [proof(k, nonce=n, iat=clock.now())]}}
    assert client.post("/issuer/oid4vci/credential", headers=first, json=body).status_code == 200
    r = client.post("/issuer/oid4vci/credential", headers=second, json=body)
    assert r.status_code == 400 and r.json()["code"] == "invalid_nonce"


def test_bad_proofs(client: TestClient, access: dict[str, str], clock: FixedClock) -> None:
    k = generate_signer("ES256")
    other = generate_signer("ES256")
    now = clock.now()
    n = c_nonce(client)
    good = proof(k, nonce=n, iat=now)
    forged = good.rsplit(".", 1)[0] + "." + proof(other, nonce=n, iat=now).rsplit(".", 1)[1]
    cases = {
        "typ": proof(k, nonce=n, iat=now, typ="JWT"),
        "aud": proof(k, nonce=n, iat=now, aud="https://evil.example"),
        "iat": proof(k, nonce=n, iat=now - 3600),
        "key_ambiguous": proof(k, nonce=n, iat=now, header={"kid": "x"}),
        "invalid_signature": forged,
        "malformed": "not.a.jwt",
    }
    for reason, jwt in cases.items():
        r = client.post("/issuer/oid4vci/credential", headers=access,
                        json={"proofs": {"jwt": [good, jwt]}})
        assert r.status_code == 400, reason
        assert r.json()["code"] == "invalid_proof" and r.json()["reason"] == reason, r.json()
    r = client.post("/issuer/oid4vci/credential", headers=access,
                    json={"proofs": {"jwt": [good] * 11}})
    assert r.json()["reason"] == "too_many_proofs"
    r = client.post("/issuer/oid4vci/credential", headers=access, json={})
    assert r.json()["reason"] == "proof_missing"
    r = client.post("/issuer/oid4vci/credential", headers=access,
                    json={"credential_configuration_id": "passport",
                          "proofs": {"jwt": [good]}})
    assert r.json()["error"] == "invalid_credential_request"
    # none of the refusals used up the nonce or the token
    r = client.post("/issuer/oid4vci/credential", headers=access,
                    json={"proofs": {"jwt": [good]}})
    assert r.status_code == 200, r.text


def test_revoking_covers_every_copy(client: TestClient, psb: dict[str, str],
                                    clock: FixedClock) -> None:
    """Each copy's own status index follows the credential: revoke, suspend, reinstate."""
    from core.statuslist import INVALID, SUSPENDED, VALID

    from .test_lifecycle import status_value

    o = offer(client, psb)
    at = redeem(client, o).json()["access_token"]
    n = c_nonce(client)
    keys = [generate_signer("EdDSA") for _ in range(3)]
    r = client.post("/issuer/oid4vci/credential", headers={"Authorization": f"Bearer {at}"},
                    json={"proofs": {"jwt": [proof(k, nonce=n, iat=clock.now()) for k in keys]}})
    assert r.status_code == 200, r.text
    jwks = client.get("/issuer/jwks.json").json()
    refs = [verify(c["credential"], keys=StaticKeys({ISS: jwks}), key_binding=False,
                   now=clock.now()).status["status_list"]  # type: ignore[index]
            for c in r.json()["credentials"]]
    assert {status_value(client, ref, clock.now()) for ref in refs} == {VALID}
    for action, expected in (("suspend", SUSPENDED), ("reinstate", VALID),
                             ("revoke", INVALID)):
        r = client.post(f"/issuer/v1/credentials/{o['id']}/{action}", headers=psb)
        assert r.status_code == 200, r.text
        assert [status_value(client, ref, clock.now()) for ref in refs] == [expected] * 3
