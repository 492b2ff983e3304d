"""The HTTP path's checks run on the event loop while everything they need is in memory, and
in a worker thread only where they would read the network or the database
(``Verifier.verify_qr_async``, ``WouldBlock``). Each test counts the thread hops and checks
that the verdict is the one the thread path gives."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import pytest

from core.statuslist import INVALID, StatusReference
from keys.software import generate_signer
from tests.verifier.world import ISS, STATUS_URI, World, codes, principal
from verifier.errors import WouldBlock
from verifier.service import Verifier


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the functions run in a worker thread by ``anyio.to_thread.run_sync``."""
    seen: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(func: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        seen.append(getattr(getattr(func, "func", func), "__name__", "?"))
        return await real(func, *args, **kw)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return seen


def _verify(verifier: Verifier, qrs: list[str], scenario: str = "hotel_checkin"
            ) -> list[dict[str, Any]]:
    async def main() -> list[dict[str, Any]]:
        try:
            return [(await verifier.verify_qr_async(principal=principal(),
                                                    scenario_id=scenario, qr=qr)).to_json()
                    for qr in qrs]
        finally:
            await verifier.aclose()

    return asyncio.run(main())


def test_a_warm_offline_verification_needs_no_thread(world: World, hops: list[str]) -> None:
    verifier = world.verifier()
    first, second, third = _verify(verifier, [world.offline_qr("hotel_checkin")
                                              for _ in range(3)])
    assert first["valid"] and second["valid"] and third["valid"], codes(third)
    # The first reads the trust list (database) and fetches the status list: one hop.
    assert hops == ["check"]
    assert world.fetches == 1


def test_a_status_list_due_for_refetch_goes_to_a_thread(world: World,
                                                         hops: list[str]) -> None:
    verifier = world.verifier()
    before = _verify(verifier, [world.offline_qr("hotel_checkin")])
    assert before[0]["valid"]
    world.statuses.set(7, INVALID)  # revoked at the issuer
    world.clock.advance(world.status_ttl + 1)
    after = _verify(verifier, [world.offline_qr("hotel_checkin")])
    assert codes(after[0])["status"] == (False, "revoked")
    assert world.fetches == 2 and hops == ["check", "check"]


def test_a_trust_list_due_for_a_reread_goes_to_a_thread(world: World,
                                                        hops: list[str]) -> None:
    verifier = world.verifier()
    _verify(verifier, [world.offline_qr("hotel_checkin")])
    world.sign_trust(agencies={"psb": ["driving_license"]})  # id_card no longer trusted
    world.clock.advance(301)  # TrustStore refresh_s = 300 (the status list is due too)
    out = _verify(verifier, [world.offline_qr("hotel_checkin")])
    assert codes(out[0])["trust"] == (False, "type_not_trusted")
    assert len(hops) == 2


def test_an_unknown_kid_goes_to_a_thread_and_fails_the_signature(world: World,
                                                                 hops: list[str]) -> None:
    verifier = world.verifier()
    _verify(verifier, [world.offline_qr("hotel_checkin")])
    rogue = world.credential(signer=generate_signer("EdDSA"))
    out = _verify(verifier, [world.offline_qr("hotel_checkin", credential=rogue)])
    assert codes(out[0])["signature"] == (False, "unknown_key")
    assert len(hops) == 2


def test_an_online_qr_is_redeemed_in_a_thread(world: World, hops: list[str]) -> None:
    cred = world.credential()

    def redeem(*, token: str, nonce: str, aud: str, scenario: str) -> str:
        return world.presentation(cred, ["name", "document_number", "sex", "ethnicity",
                                         "birthdate", "address", "portrait"],
                                  scenario=scenario, nonce=nonce, aud=aud)

    verifier = world.verifier(redeem=redeem)
    _verify(verifier, [world.offline_qr("hotel_checkin")])
    out = _verify(verifier, ["ELR1:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"])
    assert out[0]["valid"] and out[0]["mode"] == "online", codes(out[0])
    assert len(hops) == 2


def test_a_replay_on_the_fast_path_is_refused(world: World, hops: list[str]) -> None:
    qr = world.offline_qr("hotel_checkin")
    first, again = _verify(world.verifier(), [qr, qr])
    assert first["valid"]
    assert codes(again)["replay"] == (False, "replayed")


def test_the_fast_path_and_the_thread_path_give_the_same_verdict(world: World) -> None:
    qr = world.offline_qr("hotel_checkin", disclose=["name", "document_number", "sex",
                                                     "ethnicity", "birthdate", "address",
                                                     "age_over_60"])
    warm = world.verifier()
    _verify(warm, [world.offline_qr("hotel_checkin")])
    fast = warm.check(principal=principal(), scenario_id="hotel_checkin", qr=qr, io=False)
    slow = warm.check(principal=principal(), scenario_id="hotel_checkin", qr=qr)
    assert fast[0].to_json() == slow[0].to_json()
    assert codes(fast[0])["policy"] == (False, "over_disclosure")


# --- the gates themselves -------------------------------------------------------------


def test_trust_store_without_io_refuses_to_read(world: World) -> None:
    store = world.trust_store()
    with pytest.raises(WouldBlock):
        store.current(io=False)
    loaded = store.current()
    assert store.current(io=False) is loaded
    world.clock.advance(301)
    with pytest.raises(WouldBlock):
        store.current(io=False)


def test_status_cache_without_io_refuses_to_fetch(world: World) -> None:
    verifier = world.verifier()
    issuer = verifier.trust.current().issuer(ISS)
    ref = StatusReference(idx=7, uri=STATUS_URI)
    with pytest.raises(WouldBlock):
        verifier.status.status(ref, issuer=issuer, max_staleness_s=600, io=False)
    assert world.fetches == 0
    assert verifier.status.status(ref, issuer=issuer, max_staleness_s=600).value == 0
    assert verifier.status.status(ref, issuer=issuer, max_staleness_s=600, io=False).value == 0
    assert world.fetches == 1
