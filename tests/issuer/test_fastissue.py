"""The bulk batch encoder (``issuer.fastissue``) against the reference encoder
(``core.credential.issue``): same verified claims, disclosures, header and status, for
every catalog type; fresh >= 128-bit salts."""

from __future__ import annotations

from core.credential import StaticKeys, issue, verify
from core.jose import b64u_decode
from issuer.catalog import license_types
from issuer.fastissue import FlatEncoder
from issuer.settings import IssuerSettings
from keys.software import generate_signer

from .test_catalog import SAMPLES

ISS = "https://city.example/issuer"
NOW = 1_790_000_000


def test_flat_encoder_matches_reference_for_every_type() -> None:
    settings = IssuerSettings(database_url="sqlite://", public_url="https://city.example")
    signer, holder = generate_signer("EdDSA"), generate_signer("ES256")
    keys = StaticKeys({ISS: {"keys": [signer.public_jwk()]}})
    enc = FlatEncoder(signer, settings)
    for t, lt in license_types().items():
        claims = dict(SAMPLES[t])
        if lt.identity_document:
            claims.update(age_over_18=True, age_over_60=False)
        fast = enc.encode(type_=t, claims=claims, holder_jwk=holder.public_jwk(), agency="psb",
                          iat=NOW, exp=NOW + 100, list_id=7, idx=42)
        ref = issue(signer=signer, iss=ISS, vct=settings.vct(t), claims={**claims,
                    "agency": "psb"}, sd=lt.selectively_disclosable,
                    holder_jwk=holder.public_jwk(), iat=NOW, exp=NOW + 100,
                    status={"status_list": {"idx": 42, "uri": settings.status_list_uri(7)}})
        vf = verify(fast, keys=keys, key_binding=False, now=NOW)
        vr = verify(ref, keys=keys, key_binding=False, now=NOW)
        assert vf.claims == vr.claims, t
        assert vf.disclosed == vr.disclosed == frozenset(claims), t
        assert vf.header == vr.header and vf.status == vr.status and vf.vct == vr.vct
        assert len(fast.split("~")) == len(ref.split("~"))


def test_salts_are_fresh_and_long() -> None:
    settings = IssuerSettings(database_url="sqlite://", public_url="https://city.example")
    enc = FlatEncoder(generate_signer("EdDSA"), settings)
    holder = generate_signer("ES256").public_jwk()
    salts = set()
    for _ in range(20):
        sd_jwt = enc.encode(type_="dog_license", claims=SAMPLES["dog_license"],
                            holder_jwk=holder, agency="psb", iat=NOW, exp=NOW + 1, list_id=1,
                            idx=1)
        for d in sd_jwt.split("~")[1:-1]:
            salt = b64u_decode(d)
            import json

            s = json.loads(salt)[0]
            assert len(b64u_decode(s)) >= 16
            salts.add(s)
    assert len(salts) == 20 * len(SAMPLES["dog_license"])
