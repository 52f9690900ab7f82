"""SecretBox: sealing and opening secrets, wrong keys, damaged values, the key file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from services.gateway.secrets import (
    KEY_FILE,
    SecretBox,
    SecretCorrupted,
    SecretKeyError,
    SecretKeyMismatch,
    load_secret_box,
    read_or_create_key_file,
)
from services.gateway.settings import GatewaySettings

KEY_A = "a" * 8 + "-first-key-of-at-least-32-characters"
KEY_B = "b" * 8 + "-other-key-of-at-least-32-characters"
CLEAR = "sk-ant-api03-clear-value-0123456789"


def settings(home: Path, key: str | None = None) -> GatewaySettings:
    return GatewaySettings(home=home, secret_key=SecretStr(key) if key else None)


class TestSealAndOpen:
    def test_a_sealed_value_opens_to_the_clear_text(self) -> None:
        box = SecretBox(KEY_A, "test")
        sealed = box.seal(CLEAR, "llm.anthropic_api_key")
        assert CLEAR.encode() not in sealed
        assert box.open(sealed, "llm.anthropic_api_key") == CLEAR

    def test_sealing_twice_gives_different_bytes(self) -> None:
        box = SecretBox(KEY_A, "test")
        assert box.seal(CLEAR, "x.y") != box.seal(CLEAR, "x.y")

    def test_the_same_key_string_opens_what_another_box_sealed(self) -> None:
        sealed = SecretBox(KEY_A, "one").seal(CLEAR, "x.y")
        assert SecretBox(KEY_A, "two").open(sealed, "x.y") == CLEAR

    def test_repr_shows_no_key(self) -> None:
        assert KEY_A not in repr(SecretBox(KEY_A, "test"))


class TestWrongKey:
    def test_another_key_is_a_clear_error_not_garbage(self) -> None:
        sealed = SecretBox(KEY_A, "MLOPS_SECRET_KEY").seal(CLEAR, "llm.openai_api_key")
        other = SecretBox(KEY_B, "MLOPS_SECRET_KEY")
        with pytest.raises(SecretKeyMismatch) as caught:
            other.open(sealed, "llm.openai_api_key")
        error = caught.value
        assert error.code == "secret_key_mismatch"
        assert error.status == 409
        assert error.field == "llm.openai_api_key"
        assert error.reason.startswith("llm.openai_api_key: it was encrypted with a different secret key")
        assert "Re-enter it in Settings, or restore the MLOPS_SECRET_KEY" in error.reason
        assert other.key_id.hex() in error.reason
        assert CLEAR not in error.reason and KEY_A not in error.reason and KEY_B not in error.reason

    def test_a_short_key_is_refused(self) -> None:
        with pytest.raises(SecretKeyError, match="shorter than 32 characters"):
            SecretBox("too-short", "MLOPS_SECRET_KEY")


class TestDamage:
    def test_a_tampered_ciphertext_is_a_clear_error(self) -> None:
        box = SecretBox(KEY_A, "test")
        sealed = bytearray(box.seal(CLEAR, "x.y"))
        sealed[-1] ^= 0x01
        with pytest.raises(SecretCorrupted) as caught:
            box.open(bytes(sealed), "x.y")
        assert caught.value.code == "secret_corrupted"
        assert "failed its integrity check" in caught.value.reason

    def test_a_value_moved_onto_another_setting_does_not_open(self) -> None:
        box = SecretBox(KEY_A, "test")
        with pytest.raises(SecretCorrupted):
            box.open(box.seal(CLEAR, "llm.openai_api_key"), "llm.anthropic_api_key")

    @pytest.mark.parametrize(
        "sealed", [b"", b"\x01short", b"\x09" + bytes(64)], ids=["empty", "short", "version"]
    )
    def test_bytes_that_are_no_sealed_value(self, sealed: bytes) -> None:
        with pytest.raises(SecretCorrupted, match="not in a format this gateway knows"):
            SecretBox(KEY_A, "test").open(sealed, "x.y")


class TestKeyFile:
    def test_without_a_configured_key_a_key_file_is_made_with_mode_0600(self, tmp_path: Path) -> None:
        home = tmp_path / "home"
        box = load_secret_box(settings(home))
        path = home / KEY_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(path.read_text().strip()) >= 32
        assert box.source == str(path)
        assert list(home.iterdir()) == [path]  # no draft left behind

    def test_the_key_file_is_reused(self, tmp_path: Path) -> None:
        sealed = load_secret_box(settings(tmp_path)).seal(CLEAR, "x.y")
        assert load_secret_box(settings(tmp_path)).open(sealed, "x.y") == CLEAR

    def test_the_configured_key_wins_over_the_file(self, tmp_path: Path) -> None:
        box = load_secret_box(settings(tmp_path, KEY_A))
        assert box.source == "MLOPS_SECRET_KEY"
        assert box.key_id == SecretBox(KEY_A, "x").key_id
        assert not (tmp_path / KEY_FILE).exists()

    @pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
    def test_a_key_file_others_may_read_is_refused(self, tmp_path: Path, mode: int) -> None:
        path = tmp_path / KEY_FILE
        path.write_text(KEY_A)
        os.chmod(path, mode)
        with pytest.raises(SecretKeyError) as caught:
            read_or_create_key_file(path)
        assert f"mode {mode:04o}" in caught.value.reason
        assert f"chmod 600 {path}" in caught.value.reason
        assert KEY_A not in caught.value.reason

    def test_an_empty_key_file_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / KEY_FILE
        path.write_text("")
        os.chmod(path, 0o600)
        with pytest.raises(SecretKeyError, match="shorter than 32 characters"):
            load_secret_box(settings(tmp_path))
