"""Fixtures for the key store: settings with a real (non-placeholder) secret, a session."""

from __future__ import annotations

from collections.abc import Generator

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.settings import BaseServiceSettings
from keys import service

SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def settings() -> BaseServiceSettings:
    return BaseServiceSettings(mode="prod", key_encryption_secret=SecretStr(SECRET))


@pytest.fixture
def session(engine: Engine) -> Generator[Session, None, None]:
    service.clear_cache()
    with Session(engine, expire_on_commit=False) as s:
        yield s
    service.clear_cache()
