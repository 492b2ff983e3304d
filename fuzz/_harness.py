"""Shared pieces of the atheris targets (issue 7): fixed keys (so that a seed corpus written
by one process still verifies in another), seeds, and the one rule every target checks —
any input ends in a result or one of our ``ELicenseError``s; anything else is a crash that
libFuzzer reports with the input that caused it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

ISS = "https://city.example/issuer"
VCT = "https://city.example/issuer/vct/id_card"
NOW = 1_790_000_000
NONCE, AUD = "fuzz-nonce", "https://verifier.example/verifier/orgs/1"


def fixed_signer(secret: int) -> Any:
    """A deterministic P-256 test key (fuzzing only; never a real key)."""
    from keys.software import SoftwareSigner

    return SoftwareSigner(ec.derive_private_key(secret, ec.SECP256R1()))


def write_seeds(seeds: Iterable[bytes]) -> None:
    """Put ``seeds`` into the first corpus directory on the command line if it is empty."""
    dirs = [Path(a) for a in sys.argv[1:] if not a.startswith("-") and os.path.isdir(a)]
    if not dirs or any(dirs[0].iterdir()):
        return
    for i, seed in enumerate(seeds):
        (dirs[0] / f"seed-{i:03d}").write_bytes(seed)


def run(target: Callable[[bytes], None], seeds: Callable[[], Iterable[bytes]]) -> None:
    import atheris

    write_seeds(seeds())
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
