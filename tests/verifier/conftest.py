from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from core.clock import FixedClock
from tests.verifier.world import World


@pytest.fixture
def world(engine: Engine, clock: FixedClock) -> World:
    return World(engine=engine, clock=clock)
