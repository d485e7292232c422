"""Where uploaded documents live: a local folder by default, or any S3-compatible store.

Blobs are content-addressed (`sha256/ab/cd/<digest>`): the same file uploaded twice is stored
once, and a blob written by a request that later rolled back is harmless garbage, never a
half-written document.
"""

import asyncio
import hashlib
import hmac
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import httpx


class BlobNotFound(LookupError):
    pass


class BlobStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...


def blob_key(sha256_hex: str) -> str:
    return f"sha256/{sha256_hex[:2]}/{sha256_hex[2:4]}/{sha256_hex}"


class LocalBlobStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"blob key {key!r} leaves the store")
        return path

    def _put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)

    def _get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, key, data)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._get, key)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def sigv4_headers(
    *,
    method: str,
    url: httpx.URL,
    payload: bytes,
    access_key: str,
    secret_key: str,
    region: str,
    service: str = "s3",
    now: datetime | None = None,
    extra_headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """AWS Signature Version 4 headers for one request (path-style, payload hashed)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
    day = moment.strftime("%Y%m%d")
    payload_hash = _sha256(payload)
    headers = {
        "host": url.netloc.decode(),
        "x-amz-content-sha256": payload_hash,
        "x-amz-date": amz_date,
        **{name.lower(): value for name, value in (extra_headers or {}).items()},
    }
    signed = sorted(headers)
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(url.params.items())
    )
    canonical = "\n".join(
        [
            method,
            quote(url.path, safe="/-_.~"),
            query,
            canonical_headers,
            ";".join(signed),
            payload_hash,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, _sha256(canonical.encode())])
    key = _hmac(("AWS4" + secret_key).encode(), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={';'.join(signed)}, Signature={signature}"
    )
    del headers["host"]
    return headers


class S3BlobStore:
    """Path-style S3 API (AWS S3, MinIO, Ceph RGW, OSS/COS in S3 mode)."""

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str,
        http: httpx.AsyncClient,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.http = http

    def _url(self, key: str) -> httpx.URL:
        return httpx.URL(f"{self.endpoint}/{self.bucket}/{key}")

    async def _send(
        self, method: str, key: str, payload: bytes, extra: dict[str, str]
    ) -> httpx.Response:
        url = self._url(key)
        headers = sigv4_headers(
            method=method,
            url=url,
            payload=payload,
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=self.region,
            extra_headers=extra,
        )
        return await self.http.request(method, url, content=payload, headers=headers)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        response = await self._send("PUT", key, data, {"content-type": content_type})
        response.raise_for_status()

    async def get(self, key: str) -> bytes:
        response = await self._send("GET", key, b"", {})
        if response.status_code == 404:
            raise BlobNotFound(key)
        response.raise_for_status()
        return response.content


def blob_store_from_settings(settings: object, http: httpx.AsyncClient) -> BlobStore:
    if getattr(settings, "blob_store", "local") == "s3":
        return S3BlobStore(
            endpoint=str(getattr(settings, "s3_endpoint")),  # noqa: B009
            bucket=str(getattr(settings, "s3_bucket")),  # noqa: B009
            access_key=str(getattr(settings, "s3_access_key")),  # noqa: B009
            secret_key=str(getattr(settings, "s3_secret_key")),  # noqa: B009
            region=str(getattr(settings, "s3_region")),  # noqa: B009
            http=http,
        )
    return LocalBlobStore(str(getattr(settings, "blob_dir")))  # noqa: B009
