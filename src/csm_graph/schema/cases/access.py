"""The viewer's access subject, loaded once per request and shared by every
case field (lists, `viewerCan`, guards)."""

from __future__ import annotations

import asyncio

from csm_graph.access.engine import Subject, load_subject
from csm_graph.schema.context import Info
from csm_graph.schema.households.access import viewer_reach

_KEY = "access.subject"


async def viewer_subject(info: Info) -> Subject | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    cache = info.context.cache
    task = cache.get(_KEY)
    if task is None:

        async def load() -> Subject:
            return await load_subject(viewer, await viewer_reach(info))

        task = cache[_KEY] = asyncio.ensure_future(load())
    subject = await task
    assert isinstance(subject, Subject)
    return subject
