"""GraphQL over HTTP: what the transport accepts and how it refuses.

Everything here runs before a document reaches Strawberry: media types
(`Accept`, `Content-Type`), the body's size, JSON that is an object of
sane depth, and a multipart map that names files. Every refusal is a
GraphQL-shaped JSON error with the right status; nothing a client sends
ends in a plain-text 500.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from csm_graph.observability import request_id_var

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MULTIPART = "multipart/form-data"
REQUEST_MEDIA_TYPES = frozenset({JSON, MULTIPART})
ALLOWED_METHODS = "GET, POST"
HTTP_ERROR_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects a request may send (variables included)."""


class BodyTooLarge(Exception):
    pass


def client_address(request: Request | WebSocket) -> str:
    return request.client.host if request.client else "unknown"


def _accept_match(ranges: list[tuple[str, float]], media_type: str) -> tuple[float, int]:
    """The quality the Accept ranges give `media_type`, and how specific the
    deciding range was (2 exact, 1 `type/*`, 0 `*/*`, -1 none)."""
    kind = media_type.split("/", 1)[0]
    best = (0.0, -1)
    for media_range, q in ranges:
        if media_range == media_type:
            specificity = 2
        elif media_range == f"{kind}/*":
            specificity = 1
        elif media_range == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[1]:
            best = (q, specificity)
    return best


def negotiate_media_type(accept: str | None) -> str | None:
    """The response media type for an `Accept` header, or None when the client
    accepts neither JSON type (GraphQL over HTTP: 406).

    No header means `application/json`. `application/graphql-response+json`
    is chosen only when the client names it and ranks it no lower than
    `application/json`; wildcards get the legacy `application/json`."""
    if not accept or not accept.strip():
        return JSON
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media_range, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        if media_range:
            ranges.append((media_range.lower(), q))
    q_graphql, specificity_graphql = _accept_match(ranges, GRAPHQL_RESPONSE)
    q_json, _ = _accept_match(ranges, JSON)
    if q_graphql > 0 and specificity_graphql == 2 and q_graphql >= q_json:
        return GRAPHQL_RESPONSE
    if q_json > 0:
        return JSON
    if q_graphql > 0:
        return GRAPHQL_RESPONSE
    return None


def content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8"


def error_response(
    status_code: int,
    message: str,
    media_type: str | None = None,
    *,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    request_id: bool = False,
) -> Response:
    """A GraphQL-shaped error body for a request refused before execution
    (with the request id when support will want to find it in the logs)."""
    extensions = {"code": code or HTTP_ERROR_CODES.get(status_code, "BAD_REQUEST")}
    if request_id:
        extensions["requestId"] = request_id_var.get()
    body = {"errors": [{"message": message, "extensions": extensions}]}
    response = Response(orjson.dumps(body), status_code=status_code, headers=headers)
    response.headers["content-type"] = content_type(media_type or JSON)
    return response


def media_type_of(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_body(request: Request, limit: int) -> bytes:
    """The body, read at most `limit` bytes far (BodyTooLarge beyond): a declared
    length over the limit is refused before reading, a chunked one as it grows."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # Starlette's cache: later readers get these bytes
    return body


def decode_json(data: str | bytes) -> object:
    """Strict JSON: UTF-8 without lone surrogates (orjson), at most
    `MAX_JSON_DEPTH` deep. Failures are `json.JSONDecodeError`, which the
    transports answer as malformed JSON."""
    value = orjson.loads(data)
    if _depth(value) > MAX_JSON_DEPTH:
        raise json.JSONDecodeError(f"nested deeper than {MAX_JSON_DEPTH}", "", 0)
    return value


def _depth(value: object) -> int:
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item)
        if deepest > MAX_JSON_DEPTH:
            break
    return deepest


def files_map(value: Any) -> dict[str, list[str]] | None:
    """A multipart request's `map` when it is one (file field -> operation paths)."""
    if not isinstance(value, dict):
        return None
    for field, paths in value.items():
        if not isinstance(field, str) or not isinstance(paths, list):
            return None
        if not all(isinstance(p, str) and p.startswith("variables.") for p in paths):
            return None
    return value
