"""An S3-like bucket on the fake itself: presigned PUT/GET URLs and CloudFront-style CDN URLs."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import formatdate
from functools import lru_cache
from pathlib import Path
from typing import Final
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

import anyio
import anyio.to_thread
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from ..engine.clock import Clock
from .buckets import Bucket, DirectoryBucket, MemoryBucket, StorageError, StoredObject, check_key
from .media import mime_type, sample

OBJECTS_PREFIX: Final = "/_objects/"
CDN_PREFIX: Final = "/_cdn/"
DEFAULT_MAX_BYTES: Final = 50 * 1024 * 1024
DEFAULT_CONTENT_TYPE: Final = "binary/octet-stream"  # what S3 records for a PUT without one
ALGORITHM: Final = "AWS4-HMAC-SHA256"
ACCESS_KEY_ID: Final = "AKIAMOCKTOPVIEW00000"
KEY_PAIR_ID: Final = "K2MOCKTOPVIEWCDN"
MAX_EXPIRES: Final = 604_800  # S3 refuses presigned URLs that live longer than a week
_AMZ_DATE: Final = "%Y%m%dT%H%M%SZ"
# The SigV4 query of a presigned S3 URL, in signing order (the signature last).
S3_PARAMS: Final = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)
_METHODS: Final = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"]  # the rest get S3's 405
_CDN_SAFE: Final = str.maketrans("+=/", "-_~")  # CloudFront's URL-safe base64 alphabet
_IPAD: Final = bytes(x ^ 0x36 for x in range(256))  # HMAC's inner and outer pads, as translation tables
_OPAD: Final = bytes(x ^ 0x5C for x in range(256))


class Hmac:
    """HMAC-SHA256 under one key, its padded key hashed once: ``hmac.digest`` pads and hashes it again on every
    call, which was a third of signing an upload URL."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        block = hashlib.sha256().block_size
        key = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")  # as RFC 2104
        self._inner = hashlib.sha256(key.translate(_IPAD))
        self._outer = hashlib.sha256(key.translate(_OPAD))

    def digest(self, message: bytes) -> bytes:
        """The HMAC of ``message`` (the same bytes as ``hmac.digest(key, message, "sha256")``)."""
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


UploadHook = Callable[[str, StoredObject], None]
ExchangeHook = Callable[[Request, Response, str], None]  # request, answer, object key


class ObjectStore:
    """A bucket with presigned URLs served by the fake's own routes; in memory or in a directory."""

    __slots__ = (
        "_bucket",
        "_clock",
        "_mac",
        "_making",
        "_requests",
        "_secret",
        "fallback",
        "max_bytes",
        "on_exchange",
        "on_upload",
    )

    def __init__(
        self,
        clock: Clock,
        secret: bytes,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        directory: Path | None = None,
        on_upload: UploadHook | None = None,
    ) -> None:
        self._clock = clock
        self._secret = secret
        self._mac = Hmac(secret)
        self.max_bytes = max_bytes
        self.on_upload = on_upload
        # Called with a key nothing is stored under, when it is downloaded: may make the object then.
        # It runs in a worker thread (a large video takes a while to make), so it must only make and store.
        self.fallback: Callable[[str], StoredObject | None] | None = None
        self._making: dict[str, anyio.Event] = {}  # keys whose fallback is running: later downloads wait for it
        self.on_exchange: ExchangeHook | None = None  # told of every request the store answered
        self._bucket: Bucket = DirectoryBucket(directory) if directory else MemoryBucket()
        self._requests = 0

    # -- Python API -------------------------------------------------------------------------

    def put_object(self, key: str, data: bytes, content_type: str = DEFAULT_CONTENT_TYPE) -> StoredObject:
        """Store (or replace) an object directly, as the fake does for task results."""
        stored = StoredObject(
            data=data,
            content_type=content_type,
            etag=f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"',
            size=len(data),
            uploaded_at=self._clock.now(),
        )
        self._bucket.put(check_key(key), stored)
        return stored

    def ensure_sample(
        self,
        key: str,
        fmt: str,
        *,
        width: int | None = None,
        height: int | None = None,
        seconds: float | None = None,
        look: str | None = None,
    ) -> StoredObject:
        """The object under ``key``, first storing a valid sample file of ``fmt`` if absent (seeded by the key)."""
        existing = self.get_object(key)
        if existing is not None:
            return existing
        data = sample(fmt, width=width, height=height, seconds=seconds, look=look, seed=key)
        return self.put_object(key, data, mime_type(fmt))

    def get_object(self, key: str) -> StoredObject | None:
        """The stored object, or None."""
        return self._bucket.get(check_key(key))

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        return self.get_object(key) is not None

    def reset(self) -> None:
        """Forget every object (in directory mode, delete the files this store wrote)."""
        self._bucket.clear()
        self._requests = 0

    def presign_put(self, base_url: str, key: str, expires_in: int = 3600) -> str:
        """A presigned S3 PUT URL for ``key`` on the fake."""
        return self._presign_s3("PUT", base_url, key, expires_in)

    def presign_get(self, base_url: str, key: str, expires_in: int = 86_400, cdn: bool = False) -> str:
        """A presigned S3 GET URL, or with ``cdn`` a CloudFront-style signed URL."""
        if not cdn:
            return self._presign_s3("GET", base_url, key, expires_in)
        expires_at = str(int(self._clock.now()) + _check_expires(expires_in))
        query = {
            "Expires": expires_at,
            "Signature": self._cdn_signature(check_key(key), expires_at, KEY_PAIR_ID),
            "Key-Pair-Id": KEY_PAIR_ID,
        }
        return f"{_object_url(base_url, CDN_PREFIX, key)}?{urlencode(query, quote_via=quote)}"

    # -- signing ----------------------------------------------------------------------------

    def _presign_s3(self, method: str, base_url: str, key: str, expires_in: int) -> str:
        """Build the query string an AWS SDK's presigner would, signed with our secret."""
        credential, amz_date = _signing_time(int(self._clock.now()))
        expires = str(_check_expires(expires_in))
        url = _object_url(base_url, OBJECTS_PREFIX, key)  # refuses a bad key first
        signature = self._s3_signature(method, key, _signed_params(credential, amz_date, expires))  # hex
        return f"{url}?{_unsigned_query(credential, amz_date, expires)}&X-Amz-Signature={signature}"

    def _s3_signature(self, method: str, key: str, params: dict[str, str]) -> str:
        """Hex HMAC-SHA256 over the method, the key and every signed query parameter."""
        fields = [method, key, *(params[name] for name in S3_PARAMS[:-1])]
        return self._mac.digest("\n".join(fields).encode()).hex()

    def _cdn_signature(self, key: str, expires_at: str, key_pair_id: str) -> str:
        """CloudFront-alphabet base64 of an HMAC-SHA256 over the key and expiry."""
        message = f"CDN\n{key}\n{expires_at}\n{key_pair_id}".encode()
        digest = self._mac.digest(message)
        return base64.b64encode(digest).decode().translate(_CDN_SAFE)

    def _authorise_s3(self, request: Request, method: str, key: str) -> None:
        """Check a presigned S3 URL the way S3 does; raise :class:`StorageError` if refused."""
        query = request.query_params
        present = [name for name in S3_PARAMS if name in query]
        if not present:
            raise StorageError(403, "AccessDenied", "Access Denied")
        if len(present) < len(S3_PARAMS):
            raise StorageError(
                400,
                "AuthorizationQueryParametersError",
                "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                "and X-Amz-Expires parameters.",
            )
        params = {name: query[name] for name in S3_PARAMS}
        signed_at, expires = _parse_s3_time(params["X-Amz-Date"], params["X-Amz-Expires"])
        expected = self._s3_signature(method, key, params)
        if not hmac.compare_digest(expected.encode(), params["X-Amz-Signature"].encode()):
            raise StorageError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your key and signing method.",
            )
        now = self._clock.now()
        if now > signed_at + expires:
            raise StorageError(
                403,
                "AccessDenied",
                "Request has expired",
                [
                    ("X-Amz-Expires", str(expires)),
                    ("Expires", _iso(signed_at + expires)),
                    ("ServerTime", _iso(now)),
                ],
            )

    def _authorise_cdn(self, request: Request, key: str) -> None:
        """Check a CloudFront canned-policy URL; CloudFront says little about why it refuses."""
        query = request.query_params
        if "Key-Pair-Id" not in query:
            raise StorageError(403, "MissingKey", "Missing Key-Pair-Id query parameter or cookie value")
        if query["Key-Pair-Id"] != KEY_PAIR_ID:
            raise StorageError(403, "InvalidKey", "Unknown Key")
        expires_at, signature = query.get("Expires", ""), query.get("Signature", "")
        expected = self._cdn_signature(key, expires_at, KEY_PAIR_ID)
        if (
            not _is_decimal(expires_at)
            or len(expires_at) > 12  # beyond year 33658: no URL this store signed
            or not hmac.compare_digest(expected.encode(), signature.encode())
            or self._clock.now() > int(expires_at)
        ):
            raise StorageError(403, "AccessDenied", "Access denied")

    # -- HTTP -------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        """The bucket's ASGI routes: ``/_objects/{key}`` (S3) and ``/_cdn/{key}`` (CloudFront)."""
        return [
            Route(OBJECTS_PREFIX + "{key:path}", self._serve_s3, methods=_METHODS, name="object_store.s3"),
            Route(CDN_PREFIX + "{key:path}", self._serve_cdn, methods=_METHODS, name="object_store.cdn"),
        ]

    async def _serve_s3(self, request: Request) -> Response:
        """PUT, GET or HEAD an object through a presigned S3 URL."""
        return self._told(request, await self._answer_s3(request))

    async def _serve_cdn(self, request: Request) -> Response:
        """GET or HEAD an object through a CloudFront-style signed URL."""
        return self._told(request, await self._answer_cdn(request))

    def _told(self, request: Request, response: Response) -> Response:
        if self.on_exchange is not None:
            self.on_exchange(request, response, request.path_params["key"])
        return response

    async def _answer_s3(self, request: Request) -> Response:
        key = request.path_params["key"]
        self._requests += 1
        request_id = f"{self._requests:016X}"
        try:
            if request.method == "PUT":
                return await self._upload(request, key, request_id)
            if request.method in ("GET", "HEAD"):
                # HEAD is accepted with a GET signature so clients can size a download first
                # (real S3 signs the verb, so there HEAD needs its own URL).
                self._authorise_s3(request, "GET", key)
                return await self._download(request, key, request_id)
            raise StorageError(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                [("Method", request.method), ("ResourceType", "OBJECT")],
            )
        except StorageError as error:
            return _error_response(request, error, [("Key", key), ("RequestId", request_id)])

    async def _answer_cdn(self, request: Request) -> Response:
        key = request.path_params["key"]
        try:
            if request.method not in ("GET", "HEAD"):
                raise StorageError(405, "MethodNotAllowed", "This distribution is read-only.")
            self._authorise_cdn(request, key)
            return await self._download(request, key, request_id=None)
        except StorageError as error:
            return _error_response(request, error, [])

    async def _upload(self, request: Request, key: str, request_id: str) -> Response:
        """Store a PUT body, refusing it once it passes ``max_bytes`` without reading the rest."""
        self._authorise_s3(request, "PUT", key)
        self._refuse_second_upload(key)
        declared = request.headers.get("content-length", "")
        if _is_decimal(declared) and (len(declared) > 18 or int(declared) > self.max_bytes):
            raise self._too_large(int(declared) if len(declared) <= 18 else None)
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > self.max_bytes:
                    raise self._too_large(None)
        except ClientDisconnect:  # the bytes stopped coming: S3's answer to an idle upload
            raise StorageError(
                400,
                "RequestTimeout",
                "Your socket connection to the server was not read from or written to within the timeout "
                "period. Idle connections will be closed.",
            ) from None
        self._refuse_second_upload(key)  # a concurrent PUT may have finished meanwhile
        content_type = request.headers.get("content-type") or DEFAULT_CONTENT_TYPE
        stored = self.put_object(key, bytes(body), content_type)
        if self.on_upload is not None:
            self.on_upload(key, stored)
        return Response(headers={"ETag": stored.etag, "x-amz-request-id": request_id})

    def _refuse_second_upload(self, key: str) -> None:
        """Presigned upload URLs here are single-use per key.

        Real S3 would overwrite. Topview hands out a fresh fileId and URL for every upload, so a
        second PUT means a client re-used a credential for another file (or retried after
        success); refusing it surfaces that bug, and keeps an uploaded file immutable once
        /v1/upload/check has vouched for it.
        """
        if self._bucket.get(key) is not None:
            raise StorageError(403, "AccessDenied", "Access Denied")

    def _too_large(self, proposed: int | None) -> StorageError:
        """S3's refusal of a body over the size limit."""
        details = [("ProposedSize", str(proposed))] if proposed is not None else []
        details.append(("MaxSizeAllowed", str(self.max_bytes)))
        return StorageError(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            details,
        )

    async def _download(self, request: Request, key: str, request_id: str | None) -> Response:
        """The object's bytes (or only its headers for HEAD)."""
        stored = self._bucket.get(key)
        make = self.fallback
        if stored is None and make is not None:
            stored = await self._made(key, make)  # result media are made when first downloaded
        if stored is None:
            raise StorageError(404, "NoSuchKey", "The specified key does not exist.")
        headers = {
            "Content-Type": stored.content_type,
            "Content-Length": str(stored.size),
            "ETag": stored.etag,
            "Last-Modified": formatdate(stored.uploaded_at, usegmt=True),
        }
        if request_id is not None:
            headers["x-amz-request-id"] = request_id
        body = b"" if request.method == "HEAD" else stored.data
        return Response(body, headers=headers)

    async def _made(self, key: str, make: Callable[[str], StoredObject | None]) -> StoredObject | None:
        """What the fallback makes for ``key``, made once in a worker thread while the loop serves others."""
        making = self._making.get(key)
        if making is not None:  # another download of it is making it: the file is made once
            await making.wait()
            return self._bucket.get(key)
        done = self._making[key] = anyio.Event()
        try:
            return await anyio.to_thread.run_sync(make, key)
        finally:
            del self._making[key]
            done.set()


def _object_url(base_url: str, prefix: str, key: str) -> str:
    """``{base_url}{prefix}{key}`` with the key percent-encoded as S3 encodes it."""
    return f"{base_url.rstrip('/')}{prefix}{quote(check_key(key), safe='/')}"


@lru_cache(maxsize=8)
def _signing_time(second: int) -> tuple[str, str]:
    """X-Amz-Credential and X-Amz-Date of a signature made at ``second`` (every URL signed in it shares them)."""
    signed_at = datetime.fromtimestamp(second, tz=UTC)
    return f"{ACCESS_KEY_ID}/{signed_at:%Y%m%d}/us-east-1/s3/aws4_request", signed_at.strftime(_AMZ_DATE)


@lru_cache(maxsize=16)
def _unsigned_query(credential: str, amz_date: str, expires: str) -> str:
    """The encoded query of a presigned S3 URL before its signature (shared by every URL signed in a second)."""
    return urlencode(_signed_params(credential, amz_date, expires), quote_via=quote)


def _signed_params(credential: str, amz_date: str, expires: str) -> dict[str, str]:
    """The query parameters a presigned S3 URL signs (every one of ``S3_PARAMS`` but the signature)."""
    return {
        "X-Amz-Algorithm": ALGORITHM,
        "X-Amz-Credential": credential,
        "X-Amz-Date": amz_date,
        "X-Amz-Expires": expires,
        "X-Amz-SignedHeaders": "host",
    }


def _check_expires(expires_in: int) -> int:
    """Lifetimes S3 would accept for a presigned URL: one second to a week."""
    if not 1 <= expires_in <= MAX_EXPIRES:
        raise ValueError(f"expires_in must be between 1 and {MAX_EXPIRES} seconds")
    return expires_in


def _parse_s3_time(amz_date: str, expires: str) -> tuple[float, int]:
    """Parse X-Amz-Date and X-Amz-Expires, with S3's complaints when malformed."""
    try:
        signed_at = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise StorageError(
            400,
            "AuthorizationQueryParametersError",
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
        ) from None
    if not _is_decimal(expires):
        raise StorageError(400, "AuthorizationQueryParametersError", "X-Amz-Expires should be a number")
    if len(expires.lstrip("0")) > len(str(MAX_EXPIRES)) or int(expires) > MAX_EXPIRES:  # no int() of 5,000 digits
        raise StorageError(
            400,
            "AuthorizationQueryParametersError",
            f"X-Amz-Expires must be less than a week (in seconds) that is; {MAX_EXPIRES}",
        )
    return signed_at, int(expires)


def _is_decimal(text: str) -> bool:
    """Only ASCII digits ("²" and "٣" are digits to str.isdigit, not to int())."""
    return text.isascii() and text.isdigit()


def _iso(timestamp: float) -> str:
    """S3's timestamp format in error bodies."""
    return datetime.fromtimestamp(int(timestamp), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error_response(request: Request, error: StorageError, fields: Sequence[tuple[str, str]]) -> Response:
    """The one place an error becomes S3's XML body (no body for HEAD, as S3 does)."""
    elements = [
        ("Code", error.code),
        ("Message", error.message),
        *error.details,
        *fields,
    ]
    xml = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in elements)
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>{xml}</Error>'.encode()
    headers = {"Content-Type": "application/xml"}
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        body = b""
    return Response(body, status_code=error.status, headers=headers)
