"""Key-store timings (not a test): ``.venv/bin/python -m tests.keys.bench_keys [DB_URL]``.

Prints generate (keygen + AES-GCM + insert), a cold ``active_signer`` (query + decrypt), a
warm one (query + cache hit: the issuer's hot path) and one ES256 signature.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr
from sqlmodel import Session

from core.db import make_engine, migrate
from core.settings import BaseServiceSettings
from keys import service


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else \
        f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    migrate(url)
    engine = make_engine(url)
    settings = BaseServiceSettings(mode="prod", key_encryption_secret=SecretStr("b" * 40))
    with Session(engine, expire_on_commit=False) as s:
        n = 50
        t = time.perf_counter()
        for _ in range(n):
            service.generate(session=s, owner="bench", alg="ES256", settings=settings)
        print(f"generate (keygen+encrypt+insert): {(time.perf_counter() - t) / n * 1e3:.2f} ms")
        service.ensure_active(session=s, owner="issuer", alg="ES256", settings=settings)
        service.clear_cache()
        t = time.perf_counter()
        signer = service.active_signer(session=s, owner="issuer", settings=settings)
        print(f"active_signer cold (query+decrypt): {(time.perf_counter() - t) * 1e3:.2f} ms")
        n = 2000
        t = time.perf_counter()
        for _ in range(n):
            service.active_signer(session=s, owner="issuer", settings=settings)
        print(f"active_signer warm (query+cache): {(time.perf_counter() - t) / n * 1e6:.0f} us")
        t = time.perf_counter()
        for _ in range(n):
            signer.sign(b"x" * 200)
        print(f"ES256 sign: {(time.perf_counter() - t) / n * 1e6:.0f} us")
    engine.dispose()


if __name__ == "__main__":
    main()
