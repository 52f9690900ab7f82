"""Password hashes (argon2) and random tokens, of which only a SHA-256 digest is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
TOKEN_PREFIX = "mlops_"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def new_secret(nbytes: int = 32) -> str:
    """A random, URL-safe secret (a session or CSRF token)."""
    return secrets.token_urlsafe(nbytes)


def new_api_token() -> str:
    """A personal API token; recognisable by its prefix when leaked."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What is stored of a token: tokens are long random strings, so a plain SHA-256 suffices."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# A hash to verify against when the user does not exist, so a missing user takes as long to
# refuse as a wrong password (no user enumeration by timing).
DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
