"""Validated field types of the settings. No error message repeats the value it refuses."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Annotated, Any
from urllib.parse import urlsplit

from cryptography import x509
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
REGISTRY = r"^(https?://)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[A-Za-z0-9._/-]+)?$"
BUCKET = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
REGION = r"^[A-Za-z0-9_-]{1,64}$"
GCP_PROJECT = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"
KUBECONFIG_MAX = 256 * 1024


def _http_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry credentials; put them in the key, token or password field")
    try:
        parts.port  # noqa: B018  # raises on a malformed port
    except ValueError:
        raise ValueError("has an invalid port") from None
    return value


def _matching(pattern: str, explanation: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(explanation)
        return value

    return check


def _one_line(value: str) -> str:
    if not value.strip() or any(not c.isprintable() for c in value):
        raise ValueError("must be one line of printable characters")
    return value.strip()


def _absolute_path(value: str) -> str:
    if "\0" in value or not PurePosixPath(value).is_absolute():
        raise ValueError("must be an absolute path on the machine that runs the platform")
    return value


def _pem_certificates(value: str) -> str:
    try:
        x509.load_pem_x509_certificates(value.strip().encode())
    except ValueError:
        raise ValueError("must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)") from None
    return value.strip() + "\n"


def _secret_text(max_chars: int, one_line: bool) -> Callable[[Any], Any]:
    def clean(value: Any) -> Any:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            return value  # SecretStr refuses it with the usual message
        value = value.strip()
        if not value:
            raise ValueError("must not be empty; send null to clear it")
        if len(value) > max_chars:
            raise ValueError(f"must be at most {max_chars} characters")
        if one_line and any(not c.isprintable() for c in value):
            raise ValueError("must be one line of printable characters")
        return value

    return clean


def _json_object(value: SecretStr) -> SecretStr:
    try:
        parsed = json.loads(value.get_secret_value())
    except ValueError:
        raise ValueError("must be the JSON content of a service-account key file") from None
    if not isinstance(parsed, dict) or "client_email" not in parsed or "private_key" not in parsed:
        raise ValueError("must be a service-account key: a JSON object with client_email and private_key")
    return value


def _database_url(value: SecretStr) -> SecretStr:
    scheme = value.get_secret_value().split("://", 1)[0]
    if "://" not in value.get_secret_value() or not re.match(r"^[a-z][a-z0-9+]*$", scheme):
        raise ValueError("must be a SQLAlchemy URL such as postgresql://user:password@host:5432/database")
    return value


HttpUrl = Annotated[str, Field(max_length=2048), AfterValidator(_http_url)]
Namespace = Annotated[
    str,
    Field(max_length=63, json_schema_extra={"pattern": DNS_LABEL}),
    AfterValidator(
        _matching(
            DNS_LABEL,
            "must be a DNS-1123 label: lowercase letters, digits and '-', "
            "starting and ending with a letter or digit",
        )
    ),
]
ContextName = Annotated[str, Field(max_length=253), AfterValidator(_one_line)]
Username = Annotated[str, Field(max_length=256), AfterValidator(_one_line)]
AccessKeyId = Annotated[str, Field(max_length=256), AfterValidator(_one_line)]
RegistryUrl = Annotated[
    str,
    Field(max_length=512, json_schema_extra={"pattern": REGISTRY}),
    AfterValidator(
        _matching(
            REGISTRY, "must be a registry host, optionally with port and path: registry.example.com:5000/team"
        )
    ),
]
Bucket = Annotated[
    str,
    Field(max_length=63, json_schema_extra={"pattern": BUCKET}),
    AfterValidator(
        _matching(BUCKET, "must be an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-'")
    ),
]
Region = Annotated[
    str,
    Field(max_length=64, json_schema_extra={"pattern": REGION}),
    AfterValidator(_matching(REGION, "must be a region name such as us-east-1")),
]
LocalPath = Annotated[str, Field(max_length=1024), AfterValidator(_absolute_path)]
GcpProject = Annotated[
    str,
    Field(max_length=30, json_schema_extra={"pattern": GCP_PROJECT}),
    AfterValidator(
        _matching(GCP_PROJECT, "must be a Google Cloud project id: 6-30 lowercase letters, digits, '-'")
    ),
]
PemCertificates = Annotated[str, Field(max_length=65536), AfterValidator(_pem_certificates)]

# Secrets: stripped, non-empty, bounded; SecretStr keeps them out of repr() and logs.
ApiKey = Annotated[SecretStr, BeforeValidator(_secret_text(4096, True)), Field(max_length=4096)]
Token = Annotated[SecretStr, BeforeValidator(_secret_text(16384, True)), Field(max_length=16384)]
Password = Annotated[SecretStr, BeforeValidator(_secret_text(1024, True)), Field(max_length=1024)]
ServiceAccountJson = Annotated[
    SecretStr,
    BeforeValidator(_secret_text(65536, False)),
    AfterValidator(_json_object),
    Field(max_length=65536),
]
DatabaseUrl = Annotated[
    SecretStr,
    BeforeValidator(_secret_text(2048, True)),
    AfterValidator(_database_url),
    Field(max_length=2048),
]
KubeconfigText = Annotated[
    SecretStr, BeforeValidator(_secret_text(KUBECONFIG_MAX, False)), Field(max_length=KUBECONFIG_MAX)
]
