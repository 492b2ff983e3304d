"""``elicense keys`` through typer's CliRunner against a migrated database."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr
from sqlmodel import Session
from typer.testing import CliRunner

from core.db import make_engine
from core.settings import BaseServiceSettings
from elicense.cli import app as root_app
from keys import service
from keys._crypto import wrapper_for
from keys.cli import app
from keys.models import SigningKey

from .conftest import SECRET


@pytest.fixture
def env(db_url: str) -> dict[str, str]:
    return {"ELICENSE_DATABASE_URL": db_url, "ELICENSE_MODE": "prod",
            "ELICENSE_KEY_ENCRYPTION_SECRET": SECRET}


def _run(env: dict[str, str], *args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(app, list(args), env=env)
    assert (result.exit_code == 0) is ok, (result.output, result.exception)
    return result.output


def _rows(db_url: str) -> list[SigningKey]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        rows = list(service.list_keys(session=session))
    engine.dispose()
    return rows


def test_generate_list_rotate_jwks_revoke(env: dict[str, str], db_url: str) -> None:
    kid1, alg, state = _run(env, "generate", "--owner", "issuer", "--alg", "ES256",
                            "--activate").split()
    assert (alg, state) == ("ES256", "active")
    kid2, _, state2 = _run(env, "generate", "--owner", "issuer", "--alg", "EdDSA").split()
    assert state2 == "pending"

    listing = _run(env, "list", "--owner", "issuer")
    assert kid1 in listing and kid2 in listing and "pending" in listing
    lines = [json.loads(x) for x in _run(env, "list", "--json").splitlines()]
    assert {x["kid"]: x["state"] for x in lines} == {kid1: "active", kid2: "pending"}

    jwks = json.loads(_run(env, "jwks", "--owner", "issuer"))
    assert [k["kid"] for k in jwks["keys"]] == [kid1, kid2]
    assert all("d" not in k for k in jwks["keys"])

    new_kid, new_alg, new_state = _run(env, "rotate", "--owner", "issuer", "--alg", "EdDSA",
                                       "--retain-days", "30").split()
    assert (new_kid, new_alg, new_state) == (kid2, "EdDSA", "active")
    states = {r.kid: (r.state, r.not_after is not None) for r in _rows(db_url)}
    assert states == {kid1: ("retired", True), kid2: ("active", False)}

    # "--": a kid is base64url and may start with "-" (1 in 64), read as an option otherwise
    assert _run(env, "revoke", "--", kid1).split() == [kid1, "revoked"]
    jwks = json.loads(_run(env, "jwks", "--owner", "issuer"))
    assert [k["kid"] for k in jwks["keys"]] == [kid2]


def test_output_never_shows_private_material(env: dict[str, str], db_url: str) -> None:
    _run(env, "generate", "--owner", "issuer", "--alg", "EdDSA", "--activate")
    row = _rows(db_url)[0]
    settings = BaseServiceSettings(key_encryption_secret=SecretStr(SECRET))
    d = json.loads(wrapper_for(settings).decrypt(row.private_ciphertext, kid=row.kid))["d"]
    out = (_run(env, "list") + _run(env, "list", "--json")
           + _run(env, "jwks", "--owner", "issuer"))
    assert row.kid in out
    assert d not in out and row.private_ciphertext not in out


def test_errors_exit_nonzero_with_code(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["revoke", "nope"], env=env)
    assert result.exit_code == 1 and "key_not_found" in result.output
    result = CliRunner().invoke(app, ["generate", "--owner", "o", "--alg", "RS256"], env=env)
    assert result.exit_code == 1 and "key_alg_unsupported" in result.output


def test_registered_under_root_cli(env: dict[str, str]) -> None:
    result = CliRunner().invoke(root_app, ["keys", "generate", "--owner", "verifier"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.split()[2] == "pending"
