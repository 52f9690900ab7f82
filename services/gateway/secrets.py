"""Encryption of stored secrets (API keys, cluster credentials, passwords).

The key comes from ``MLOPS_SECRET_KEY`` or, when that is unset, from ``MLOPS_HOME/secret.key``,
a file generated on first start with mode 0600. AES-256-GCM seals each secret under a key
derived from that string by HKDF-SHA256. A sealed value is::

    version (1 byte) | key id (8 bytes) | nonce (12 bytes) | ciphertext + tag

The key id (the first 8 bytes of SHA-256 of the derived key) tells "encrypted with another key"
apart from "damaged", so a rotated key yields a clear error instead of garbage. The header and
the secret's name are authenticated too: a value copied onto another setting does not decrypt.
No error message here ever contains a secret.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.gateway.settings import GatewaySettings
from services.kit.errors import PlatformError

VERSION = 1
KEY_FILE = "secret.key"
MIN_KEY_CHARS = 32
_HKDF_SALT = b"mlops-platform"
_HKDF_INFO = b"gateway stored secrets v1"
_ID_BYTES = 8
_NONCE_BYTES = 12
_HEADER_BYTES = 1 + _ID_BYTES


class SecretError(PlatformError):
    """A stored secret or the key protecting it cannot be used."""

    code = "secret_error"
    status = 500


class SecretKeyError(SecretError):
    """The configured key is too weak, or its file unsafe or unreadable: the gateway does not start."""

    code = "secret_key_invalid"


class SecretUnreadable(SecretError):
    """A stored secret cannot be decrypted; ``explanation`` says why without naming the secret."""

    code = "secret_unreadable"
    status = 409
    explanation = "it cannot be decrypted; re-enter it in Settings"

    def __init__(self, names: list[str], explanation: str | None = None) -> None:
        self.names = names
        self.explanation = explanation or self.explanation
        super().__init__(f"{', '.join(names)}: {self.explanation}", field=names[0] if names else None)


class SecretKeyMismatch(SecretUnreadable):
    """The secret was encrypted with another key than the one configured now."""

    code = "secret_key_mismatch"


class SecretCorrupted(SecretUnreadable):
    """The stored bytes were altered or damaged."""

    code = "secret_corrupted"
    explanation = "the stored value failed its integrity check (altered or damaged); re-enter it in Settings"


class SecretBox:
    """Seals and opens secrets with one key. ``source`` says where the key came from (for errors)."""

    def __init__(self, key: str, source: str) -> None:
        if len(key.strip()) < MIN_KEY_CHARS:
            raise SecretKeyError(
                f"the secret key from {source} is shorter than {MIN_KEY_CHARS} characters; "
                "use a random one, e.g. `openssl rand -base64 32`"
            )
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO).derive(
            key.strip().encode()
        )
        self._aead = AESGCM(derived)
        self.key_id = hashlib.sha256(derived).digest()[:_ID_BYTES]
        self.source = source

    def __repr__(self) -> str:
        return f"SecretBox(key_id={self.key_id.hex()}, source={self.source!r})"

    def seal(self, value: str, name: str) -> bytes:
        """Encrypt ``value``, bound to the setting ``name`` (e.g. ``llm.openai_api_key``)."""
        header = bytes([VERSION]) + self.key_id
        nonce = os.urandom(_NONCE_BYTES)
        return header + nonce + self._aead.encrypt(nonce, value.encode(), header + name.encode())

    def open(self, sealed: bytes, name: str) -> str:
        """Decrypt what :meth:`seal` made for ``name``; ``SecretUnreadable`` when that is impossible."""
        if len(sealed) < _HEADER_BYTES + _NONCE_BYTES + 16 or sealed[0] != VERSION:
            raise SecretCorrupted(
                [name], "the stored value is not in a format this gateway knows; re-enter it"
            )
        key_id = sealed[1:_HEADER_BYTES]
        if key_id != self.key_id:
            raise SecretKeyMismatch([name], self._mismatch(key_id))
        nonce = sealed[_HEADER_BYTES : _HEADER_BYTES + _NONCE_BYTES]
        try:
            clear = self._aead.decrypt(
                nonce, sealed[_HEADER_BYTES + _NONCE_BYTES :], sealed[:_HEADER_BYTES] + name.encode()
            )
        except InvalidTag:
            raise SecretCorrupted([name]) from None
        return clear.decode()

    def _mismatch(self, key_id: bytes) -> str:
        return (
            f"it was encrypted with a different secret key (key id {key_id.hex()}; this gateway uses "
            f"key id {self.key_id.hex()} from {self.source}). Re-enter it in Settings, or restore the "
            "MLOPS_SECRET_KEY (or secret.key file) it was saved with"
        )


def load_secret_box(settings: GatewaySettings) -> SecretBox:
    """The box of this gateway: ``MLOPS_SECRET_KEY``, else the key file under ``MLOPS_HOME`` (made if absent)."""
    if settings.secret_key is not None:
        return SecretBox(settings.secret_key.get_secret_value(), "MLOPS_SECRET_KEY")
    path = settings.home.resolve() / KEY_FILE
    return SecretBox(read_or_create_key_file(path), str(path))


def read_or_create_key_file(path: Path) -> str:
    """The key in ``path``; a new random one, written with mode 0600, when the file does not exist.

    Replicas starting together agree on one key: the file appears complete or not at all (written
    aside, then hard-linked into place, which fails if another replica was first).
    """
    if not path.exists():
        _create_key_file(path)
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise SecretKeyError(
                f"{path} is accessible to other users (mode {mode:04o}); the gateway will not use it. "
                f"Run `chmod 600 {path}`, or set MLOPS_SECRET_KEY instead"
            )
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError) as error:
        raise SecretKeyError(f"cannot read the secret key file {path}: {error.__class__.__name__}") from None


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
