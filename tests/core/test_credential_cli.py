"""``elicense credential`` issue → present → verify, through Typer's CliRunner and once as
a real ``.venv/bin/elicense`` subprocess; key files are plain JWK JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from elicense.credential_cli import app
from keys.software import generate_signer

NOW = 1_790_000_000
ISS = "https://city.example/issuer"
VCT = "https://city.example/issuer/vct/id_card"
CLAIMS = {"name": "王五", "birthdate": "1980-05-06", "document_number": "X1",
          "address": {"street": "a", "city": "b"}, "agency": "psb"}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    issuer, holder = generate_signer("ES256"), generate_signer("EdDSA")
    paths = {
        "issuer": tmp_path / "issuer.jwk", "holder": tmp_path / "holder.jwk",
        "holder_pub": tmp_path / "holder.pub.jwk", "jwks": tmp_path / "jwks.json",
        "claims": tmp_path / "claims.json", "other_jwks": tmp_path / "other.json",
    }
    paths["issuer"].write_text(json.dumps(issuer.private_jwk()))
    paths["holder"].write_text(json.dumps(holder.private_jwk()))
    paths["holder_pub"].write_text(json.dumps(holder.public_jwk()))
    paths["jwks"].write_text(json.dumps({"keys": [issuer.public_jwk()]}))
    paths["other_jwks"].write_text(json.dumps(generate_signer("ES256").public_jwk()))
    paths["claims"].write_text(json.dumps(CLAIMS, ensure_ascii=False), encoding="utf-8")
    return paths


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


def _issue_and_present(files: dict[str, Path], tmp_path: Path) -> Path:
    code, sd_jwt = _run("issue", "--issuer-key", str(files["issuer"]), "--holder-jwk",
                        str(files["holder_pub"]), "--claims", str(files["claims"]),
                        "--sd", "name,birthdate,document_number,address,address.street",
                        "--vct", VCT, "--iss", ISS, "--iat", str(NOW - 60),
                        "--exp", str(NOW + 3600))
    assert code == 0, sd_jwt
    (tmp_path / "cred.sdjwt").write_text(sd_jwt)
    code, vp = _run("present", "--sdjwt", str(tmp_path / "cred.sdjwt"), "--disclose",
                    "name,address.street", "--holder-key", str(files["holder"]),
                    "--nonce", "N1", "--aud", "A1", "--iat", str(NOW))
    assert code == 0, vp
    (tmp_path / "vp.txt").write_text(vp)
    return tmp_path / "vp.txt"


def test_issue_present_verify(files: dict[str, Path], tmp_path: Path) -> None:
    vp = _issue_and_present(files, tmp_path)
    code, out = _run("verify", "--presentation", str(vp), "--issuer-jwks", str(files["jwks"]),
                     "--nonce", "N1", "--aud", "A1", "--now", str(NOW))
    assert code == 0, out
    claims = json.loads(out)
    assert claims["name"] == "王五" and claims["address"] == {"street": "a", "city": "b"}
    assert "birthdate" not in claims and "document_number" not in claims
    assert claims["iss"] == ISS and claims["vct"] == VCT


@pytest.mark.parametrize(("args", "expected"), [
    (["--nonce", "other", "--aud", "A1"], "nonce_mismatch"),
    (["--nonce", "N1", "--aud", "other"], "aud_mismatch"),
    (["--no-key-binding"], "key_binding_unexpected"),
    (["--nonce", "N1", "--aud", "A1", "--now", str(NOW + 10_000)], "credential_expired"),
    (["--nonce", "N1", "--aud", "A1", "--iss", "https://pinned.example"], "unknown_key"),
])
def test_verify_failure_prints_code(files: dict[str, Path], tmp_path: Path, args: list[str],
                                    expected: str) -> None:
    vp = _issue_and_present(files, tmp_path)
    if "--now" not in args:
        args = [*args, "--now", str(NOW)]
    code, out = _run("verify", "--presentation", str(vp), "--issuer-jwks",
                     str(files["jwks"]), *args)
    assert code == 1
    assert out.strip() == expected


def test_verify_with_untrusted_keys(files: dict[str, Path], tmp_path: Path) -> None:
    vp = _issue_and_present(files, tmp_path)
    code, out = _run("verify", "--presentation", str(vp), "--issuer-jwks",
                     str(files["other_jwks"]), "--nonce", "N1", "--aud", "A1",
                     "--now", str(NOW))
    assert (code, out.strip()) == (1, "unknown_key")


def test_verify_needs_a_key_binding_decision(files: dict[str, Path], tmp_path: Path) -> None:
    vp = _issue_and_present(files, tmp_path)
    code, _ = _run("verify", "--presentation", str(vp), "--issuer-jwks", str(files["jwks"]))
    assert code == 2
    code, _ = _run("verify", "--presentation", str(vp), "--issuer-jwks", str(files["jwks"]),
                   "--no-key-binding", "--nonce", "N1")
    assert code == 2


def test_bad_inputs_print_codes(files: dict[str, Path], tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("not-a-token")
    code, out = _run("verify", "--presentation", str(garbage), "--issuer-jwks",
                     str(files["jwks"]), "--no-key-binding")
    assert (code, out.strip()) == (1, "malformed")
    code, out = _run("issue", "--issuer-key", str(files["holder_pub"]), "--holder-jwk",
                     str(files["holder_pub"]), "--claims", str(files["claims"]),
                     "--vct", VCT, "--iss", ISS)
    assert (code, out.strip()) == (1, "invalid_request")
    code, out = _run("issue", "--issuer-key", str(tmp_path / "missing"), "--holder-jwk",
                     str(files["holder_pub"]), "--claims", str(files["claims"]),
                     "--vct", VCT, "--iss", ISS)
    assert (code, out.strip()) == (1, "invalid_request")


def test_real_subprocess(files: dict[str, Path], tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("elicense")
    if not exe.exists():
        pytest.skip("elicense console script not installed in this interpreter's bin/")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(exe), "credential", *args], capture_output=True,
                              text=True, timeout=60, env=env, encoding="utf-8")

    issued = run("issue", "--issuer-key", str(files["issuer"]), "--holder-jwk",
                 str(files["holder"]), "--claims", str(files["claims"]), "--sd",
                 "name,birthdate", "--vct", VCT, "--iss", ISS, "--iat", str(NOW))
    assert issued.returncode == 0, issued.stderr
    (tmp_path / "c.sdjwt").write_text(issued.stdout)
    presented = run("present", "--sdjwt", str(tmp_path / "c.sdjwt"), "--disclose", "name",
                    "--holder-key", str(files["holder"]), "--nonce", "N", "--aud", "A",
                    "--iat", str(NOW))
    assert presented.returncode == 0, presented.stderr
    (tmp_path / "vp").write_text(presented.stdout)
    verified = run("verify", "--presentation", str(tmp_path / "vp"), "--issuer-jwks",
                   str(files["jwks"]), "--nonce", "N", "--aud", "A", "--now", str(NOW))
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["name"] == "王五"
    refused = run("verify", "--presentation", str(tmp_path / "vp"), "--issuer-jwks",
                  str(files["jwks"]), "--nonce", "X", "--aud", "A", "--now", str(NOW))
    assert (refused.returncode, refused.stdout.strip()) == (1, "nonce_mismatch")
