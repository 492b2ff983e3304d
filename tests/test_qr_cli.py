"""``elicense qr decode IMAGE_OR_TEXT`` (DESIGN §4 contract): PNG file, text file or the
payload itself in; the compact SD-JWT+KB out; exit 1 with the stable code on failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.qr import new_online_token, render_png
from elicense.qr_cli import app

VECTOR = json.loads((Path(__file__).parent / "vectors" / "qr" / "worked_example.json")
                    .read_text(encoding="utf-8"))
runner = CliRunner()


def _run(arg: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["decode", arg])


def test_root_cli_registers_qr_decode() -> None:
    from elicense.cli import app as root

    result = runner.invoke(root, ["qr", "decode", VECTOR["elv1"]])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == VECTOR["presentation"]


def test_decode_png_file(tmp_path: Path) -> None:
    png = tmp_path / "qr.png"
    png.write_bytes(render_png(VECTOR["elv1"]))
    result = _run(str(png))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == VECTOR["presentation"]


def test_decode_text_file_and_text(tmp_path: Path) -> None:
    txt = tmp_path / "payload.txt"
    txt.write_text(VECTOR["elv1"] + "\n", encoding="utf-8")
    for arg in (str(txt), VECTOR["elv1"]):
        result = _run(arg)
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == VECTOR["presentation"]


def test_text_file_with_bom_and_crlf(tmp_path: Path) -> None:
    txt = tmp_path / "payload.txt"
    txt.write_bytes(("\ufeff" + VECTOR["elv1"] + "\r\n").encode("utf-8"))
    result = _run(str(txt))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == VECTOR["presentation"]


def test_decode_online_token_prints_the_token() -> None:
    token = new_online_token()
    result = _run(token)
    assert result.exit_code == 0
    assert result.stdout.strip().endswith(token[5:])


@pytest.mark.parametrize(("arg", "code"), [
    ("ELV1:A", "qr_payload_invalid"),
    ("not a payload", "qr_prefix_unknown"),
])
def test_failure_exits_1_with_the_code(arg: str, code: str) -> None:
    result = _run(arg)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {code}:")


def test_unreadable_or_empty_images(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage")
    result = _run(str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: qr_image_invalid:")
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("L", (100, 100), 255).save(blank)
    result = _run(str(blank))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: qr_not_found:")


def test_unreadable_file_is_a_typed_error(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"x")
    secret.chmod(0)
    try:
        if os.access(secret, os.R_OK):
            pytest.skip("running as a user who can read any file")
        result = _run(str(secret))
    finally:
        secret.chmod(0o600)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: invalid_request:")


def test_real_subprocess(tmp_path: Path) -> None:
    png = tmp_path / "qr.png"
    png.write_bytes(render_png(VECTOR["elv1"]))
    exe = Path(sys.executable).with_name("elicense")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c",
                                           "from elicense.cli import main; main()"]
    done = subprocess.run([*cmd, "qr", "decode", str(png)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == VECTOR["presentation"]
    done = subprocess.run([*cmd, "qr", "decode", "ELV1:A"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 1
    assert "qr_payload_invalid" in done.stderr
