"""Signing throughput: a key inside SoftHSM2 (``keys.pkcs11``) vs a software key
(``keys.software``), for ES256 and EdDSA, one thread, over a ~600-byte JWS signing input
(the size of an SD-JWT VC's issuer-signed part). docs/operations.md §3 quotes it.

    .venv/bin/python bench/hsm.py [--n 2000]

Initialises a throw-away SoftHSM2 token in a temporary directory (``SOFTHSM2_CONF`` is
SoftHSM2's own variable, read when the module loads). The last line is machine-readable:
``pkcs11 es256_hsm=<n>/s es256_sw=<n>/s eddsa_hsm=<n>/s eddsa_sw=<n>/s``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.signing import Signer

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SIGNING_INPUT = b"eyJhbGciOiJFUzI1NiIsInR5cCI6ImRjK3NkLWp3dCJ9." + b"x" * 560


def _rate(signer: Signer, n: int) -> float:
    fn = signer.sign
    fn(SIGNING_INPUT)
    t0 = time.perf_counter()
    for _ in range(n):
        fn(SIGNING_INPUT)
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="signatures per measurement")
    args = ap.parse_args()
    if not (os.path.exists(MODULE) and shutil.which("softhsm2-util")):
        sys.exit("SoftHSM2 not installed (apt-get install softhsm2)")
    root = Path(tempfile.mkdtemp(prefix="elicense-bench-hsm-"))
    (root / "tokens").mkdir()
    (root / "softhsm2.conf").write_text(f"directories.tokendir = {root / 'tokens'}\n"
                                        "objectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(root / "softhsm2.conf")
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "bench",
                    "--pin", "1234", "--so-pin", "5678"], check=True, capture_output=True)

    from keys import pkcs11
    from keys.software import generate_signer

    rates: dict[str, float] = {}
    try:
        for alg in ("ES256", "EdDSA"):
            hsm = pkcs11.generate_in_token(module_path=MODULE, token_label="bench", pin="1234",
                                           alg=alg, key_label=f"bench-{alg}")
            rates[f"{alg.lower()}_hsm"] = _rate(hsm, args.n)
            rates[f"{alg.lower()}_sw"] = _rate(generate_signer(alg), args.n)
            print(f"{alg:6} softhsm2 {rates[f'{alg.lower()}_hsm']:>9,.0f} sign/s   "
                  f"software {rates[f'{alg.lower()}_sw']:>9,.0f} sign/s")
    finally:
        pkcs11.close_all()
        shutil.rmtree(root, ignore_errors=True)
    print("pkcs11 " + " ".join(f"{k}={v:.0f}/s" for k, v in rates.items()))


if __name__ == "__main__":
    main()
