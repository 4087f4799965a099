"""Authenticated file downloads with the bearer token: `GET /files/attachments/{id}`
and a data export's archive, `GET /exports/{token}`.

The case's access check runs on every download, so a file is never
reachable by someone who cannot read its case; a file one may not see
answers 404, exactly like a missing one. An export's link works once, for
its consumer's login or an administrator, until it expires; any other
request for it answers 404 as well.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from csm_graph import storage
from csm_graph.access.engine import load_subject
from csm_graph.accounts.viewer import Viewer, authenticate
from csm_graph.cases.services import attachment_for
from csm_graph.errors import NotAuthenticated
from csm_graph.exports.services import claim_download, discard_archive
from csm_graph.schema.node import decode_query_id


def _error(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


async def _viewer(request: Request) -> Viewer | Response:
    """The bearer token's viewer, or the 401 that answers its absence or failure."""
    try:
        viewer = await authenticate(request.headers.get("authorization"))
    except NotAuthenticated as exc:
        return _error(401, str(exc), "UNAUTHENTICATED")
    if viewer is None:
        return _error(401, "Authentication required.", "UNAUTHENTICATED")
    return viewer


async def attachment(request: Request) -> Response:
    viewer = await _viewer(request)
    if isinstance(viewer, Response):
        return viewer
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


async def data_export(request: Request) -> Response:
    if request.method != "GET":
        # A HEAD must not use up the link.
        return _error(405, "Use GET.", "METHOD_NOT_ALLOWED")
    viewer = await _viewer(request)
    if isinstance(viewer, Response):
        return viewer
    claimed = await claim_download(viewer, request.path_params["token"])
    if claimed is None:
        return _error(404, "No such export, or its link was used or has expired.", "NOT_FOUND")
    export, path = claimed
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"data-export-{export.id}.zip",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
        # The link worked once: the archive goes as soon as it is sent.
        background=BackgroundTask(discard_archive, export.id, export.storage_key),
    )
