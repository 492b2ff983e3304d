"""``elicense wallet`` commands."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from core.db import make_engine
from elicense.cli import app
from wallet.deps import hash_client_secrets
from wallet.models import User
from wallet.settings import Settings


def test_add_citizen_and_refuse_a_second(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELICENSE_DATABASE_URL", db_url)
    runner = CliRunner()
    r = runner.invoke(app, ["wallet", "add-citizen", "carol"],
                      input="long enough pw\nlong enough pw\n")
    assert r.exit_code == 0, r.output
    engine = make_engine(db_url)
    with Session(engine) as db:
        assert db.exec(select(User)).one().username == "carol"
    engine.dispose()
    r = runner.invoke(app, ["wallet", "add-citizen", "carol"],
                      input="long enough pw\nlong enough pw\n")
    assert r.exit_code == 1 and "username_taken" in r.output


def test_hashed_client_secret_is_accepted_by_settings() -> None:
    r = CliRunner().invoke(app, ["wallet", "hash-client-secret", "--secret", "s3cret-value"])
    assert r.exit_code == 0
    hashed = r.output.strip()
    assert hashed == "sha256:" + hashlib.sha256(b"s3cret-value").hexdigest()
    settings = Settings(verifier_clients={"v": hashed})  # type: ignore[dict-item]
    assert hash_client_secrets(settings) == {"v": hashed[7:]}


def test_dev_verifier_secret_refused_outside_dev() -> None:
    with pytest.raises(ValueError, match="dev verifier client secret"):
        Settings(mode="prod", key_encryption_secret="x" * 40)  # type: ignore[arg-type]
