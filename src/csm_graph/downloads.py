"""Authenticated file downloads: `GET /files/attachments/{id}` with the bearer token.

The case's access check runs on every download, so a file is never
reachable by someone who cannot read its case; a file one may not see
answers 404, exactly like a missing one.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from csm_graph import storage
from csm_graph.access.engine import load_subject
from csm_graph.accounts.viewer import authenticate
from csm_graph.cases.services import attachment_for
from csm_graph.errors import NotAuthenticated
from csm_graph.schema.node import decode_query_id


def _error(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


async def attachment(request: Request) -> Response:
    try:
        viewer = await authenticate(request.headers.get("authorization"))
    except NotAuthenticated as exc:
        return _error(401, str(exc), "UNAUTHENTICATED")
    if viewer is None:
        return _error(401, "Authentication required.", "UNAUTHENTICATED")
    pk = decode_query_id(request.path_params["id"], "CaseAttachment")
    found = await attachment_for(await load_subject(viewer), pk) if pk is not None else None
    if found is None:
        return _error(404, "No such file.", "NOT_FOUND")
    data = await storage.read(found.storage_key)
    disposition = f"attachment; filename*=UTF-8''{quote(found.file_name)}"
    return Response(
        data,
        media_type=found.content_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
