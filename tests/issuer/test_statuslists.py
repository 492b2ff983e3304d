"""Status index allocation: random within a shard, never reused (UNIQUE (list, idx)),
shards roll over at their fill limit."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.db import make_engine
from issuer import statuslists
from issuer.agencies import ensure_agencies
from issuer.models import Credential

from .conftest import NOW_FOR_TESTS, make_settings


def _cred(list_id: int, idx: int, n: int) -> Credential:
    return Credential(id=f"{n:032x}", agency_code="psb", type="id_card", status_list_id=list_id,
                      status_idx=idx, iat=NOW_FOR_TESTS, exp=NOW_FOR_TESTS + 1,
                      claims_enc=b"x", updated_at=NOW_FOR_TESTS)


def test_allocation_fills_a_shard_without_reuse_then_rolls_over(any_db_url: str) -> None:
    settings = make_settings(any_db_url, status_list_size=16, status_list_fill=1.0)
    engine = make_engine(any_db_url)
    try:
        with Session(engine) as s:
            ensure_agencies(session=s, now=NOW_FOR_TESTS)
            first = statuslists.allocate(s, settings, 10, NOW_FOR_TESTS)
            for n, (lst, idx) in enumerate(first):
                s.add(_cred(lst, idx, n))
            s.commit()
            rest = statuslists.allocate(s, settings, 6, NOW_FOR_TESTS)
            assert {lst for lst, _ in first + rest} == {first[0][0]}
            assert {i for _, i in first + rest} == set(range(16))  # every index, once
            more = statuslists.allocate(s, settings, 3, NOW_FOR_TESTS)
            assert {lst for lst, _ in more} == {first[0][0] + 1}
            s.commit()
    finally:
        engine.dispose()


def test_indices_are_spread_at_random(any_db_url: str) -> None:
    settings = make_settings(any_db_url)  # 2^14 entries
    engine = make_engine(any_db_url)
    try:
        with Session(engine) as s:
            got = [i for _, i in statuslists.allocate(s, settings, 200, NOW_FOR_TESTS)]
        assert len(set(got)) == 200
        assert max(got) > 2**13 and min(got) < 2**12  # not sequential from 0
    finally:
        engine.dispose()


def test_same_index_twice_is_refused_by_the_database(any_db_url: str) -> None:
    settings = make_settings(any_db_url)
    engine = make_engine(any_db_url)
    try:
        with Session(engine) as s:
            ensure_agencies(session=s, now=NOW_FOR_TESTS)
            [(lst, idx)] = statuslists.allocate(s, settings, 1, NOW_FOR_TESTS)
            s.add(_cred(lst, idx, 1))
            s.commit()
            s.add(_cred(lst, idx, 2))
            with pytest.raises(IntegrityError):
                s.commit()
    finally:
        engine.dispose()
