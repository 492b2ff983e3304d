"""Nothing is stored unless it verifies against the issuer's own JWKS and matches the
offer: a credential signed by another key, for another issuer or another vct is refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from core.credential import issue
from core.errors import ELicenseError
from keys.software import generate_signer
from tests.wallet.conftest import Env
from wallet.credentials import _store
from wallet.holder import new_holder_key
from wallet.models import Copy
from wallet.oid4vci import PickedUp
from wallet.upstream import Upstream

ISS = "http://testserver/issuer"
VCT = f"{ISS}/vct/dog_license"


@pytest.fixture
def env(issuer_env: Env) -> Env:
    return issuer_env


def _try(env: Env, *, iss: str = ISS, vct: str = VCT, offered_vct: str = VCT,
         signer: Any = None) -> str:
    env.citizen()
    user_id = env.user_id("alice")
    with Session(env.engine, expire_on_commit=False) as db:
        holder = new_holder_key(db=db, user_id=user_id, alg="ES256", settings=env.settings,
                                clock=env.clock)
        sd_jwt = issue(signer=signer or generate_signer("EdDSA"), iss=iss, vct=vct,
                       claims={"owner_name": "张三"}, sd=["owner_name"],
                       holder_jwk=holder.public_jwk(), iat=env.clock.now())
        batch = PickedUp(ISS, "dog_license", {"vct": offered_vct}, [(sd_jwt, holder)])
        with pytest.raises(ELicenseError) as err:
            _store(db=db, upstream=Upstream(env.http, env.clock), settings=env.settings,
                   now=env.clock.now(), user_id=user_id, batch=batch)
        db.rollback()
        assert db.exec(select(Copy)).all() == []
    return err.value.code


def test_signed_by_a_key_the_issuer_does_not_publish(env: Env) -> None:
    assert _try(env) in ("unknown_key", "invalid_signature")


def test_credential_of_another_issuer(env: Env) -> None:
    assert _try(env, iss="https://elsewhere.example") == "issuer_failed"


def test_vct_other_than_offered(env: Env) -> None:
    from keys import service as keys
    from tests.wallet.conftest import Settings  # the wallet's settings type

    with Session(env.engine) as db:
        issuer_key = keys.active_signer(session=db, owner="issuer",
                                        settings=Settings(database_url="sqlite://"))
    assert _try(env, signer=issuer_key, offered_vct=f"{ISS}/vct/id_card") == "issuer_failed"
