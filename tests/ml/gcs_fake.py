"""A fake Google Cloud Storage that speaks the real wire protocol, so the real gcsfs client and the
real google-auth service-account flow are exercised without a network.

It serves the OAuth token endpoint (checking the RS256 signature of the JWT assertion against the
service account's public key) and the JSON API calls gcsfs makes to read: object metadata,
listing, and media download. Storage calls without the issued bearer token get 401.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TOKEN = "fake-gcs-access-token"


class FakeGcs:
    """``with FakeGcs() as fake:`` serves on ``fake.url``; ``fake.put(bucket, name, data)`` adds objects."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.token_requests = 0
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeGcs:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def put(self, bucket: str, name: str, data: bytes) -> None:
        self.objects[(bucket, name)] = data

    def service_account_json(self) -> str:
        """Service-account credentials whose token endpoint is this server."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return json.dumps({
            "type": "service_account", "project_id": "test-project", "private_key_id": "key-1",
            "private_key": pem, "client_email": "trainer@test-project.iam.gserviceaccount.com",
            "client_id": "1", "token_uri": f"{self.url}/token",
        })  # fmt: skip

    def valid_assertion(self, assertion: str) -> bool:
        """Whether a JWT bearer assertion is signed with the service account's key."""
        try:
            head, claims, signature = assertion.split(".")
            self._key.public_key().verify(
                _b64(signature), f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except Exception:
            return False
        return True

    def metadata(self, bucket: str, name: str) -> dict[str, Any]:
        data = self.objects[(bucket, name)]
        return {
            "kind": "storage#object", "bucket": bucket, "name": name, "size": str(len(data)),
            "generation": "1", "updated": "2026-01-01T00:00:00.000Z", "contentType": "application/octet-stream",
        }  # fmt: skip


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _handler(fake: FakeGcs) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _send(self, code: int, body: Any, content_type: str = "application/json") -> None:
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
            if self.path != "/token" or not fake.valid_assertion(form.get("assertion", [""])[0]):
                self._send(400, {"error": "invalid_grant"})
                return
            fake.token_requests += 1
            self._send(200, {"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"})

        def do_GET(self) -> None:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, {"error": {"code": 401, "message": "Unauthorized"}})
                return
            url = urllib.parse.urlparse(self.path)
            query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
            parts = [urllib.parse.unquote(p) for p in url.path.split("/")]
            if parts[1:4] == ["download", "storage", "v1"] and len(parts) == 8:
                self._media(parts[5], parts[7])
            elif parts[1:3] == ["storage", "v1"] and len(parts) == 7:
                self._object(parts[4], parts[6])
            elif parts[1:3] == ["storage", "v1"] and len(parts) == 6 and parts[5] == "o":
                self._list(parts[4], query.get("prefix", ""), query.get("delimiter", ""))
            else:
                self._send(404, {"error": {"code": 404, "message": "Not Found"}})

        def _object(self, bucket: str, name: str) -> None:
            if (bucket, name) in fake.objects:
                self._send(200, fake.metadata(bucket, name))
            else:
                self._send(404, {"error": {"code": 404, "message": "No such object"}})

        def _media(self, bucket: str, name: str) -> None:
            data = fake.objects.get((bucket, name))
            if data is None:
                self._send(404, {"error": {"code": 404, "message": "No such object"}})
                return
            ranged = self.headers.get("Range", "")
            if ranged.startswith("bytes="):
                start, _, end = ranged.removeprefix("bytes=").partition("-")
                data = data[int(start or 0) : (int(end) + 1 if end else None)]
            self._send(200, data, "application/octet-stream")

        def _list(self, bucket: str, prefix: str, delimiter: str) -> None:
            items, prefixes = [], set()
            for b, name in sorted(fake.objects):
                if b != bucket or not name.startswith(prefix):
                    continue
                rest = name[len(prefix) :]
                if delimiter and delimiter in rest:
                    prefixes.add(prefix + rest.split(delimiter)[0] + delimiter)
                else:
                    items.append(fake.metadata(b, name))
            self._send(200, {"kind": "storage#objects", "items": items, "prefixes": sorted(prefixes)})

    return Handler
