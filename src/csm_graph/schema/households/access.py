"""The viewer's household reach, loaded once per request."""

from __future__ import annotations

import asyncio

from csm_graph.households.access import Reach, reach_of
from csm_graph.schema.context import Info

_KEY = "households.reach"


async def viewer_reach(info: Info) -> Reach:
    """Cached in the request context as one task, so the fields of a page that
    ask at the same moment share a single load."""
    cache = info.context.cache
    task = cache.get(_KEY)
    if task is None:
        task = cache[_KEY] = asyncio.ensure_future(reach_of(info.context.viewer))
    reach = await task
    assert isinstance(reach, Reach)
    return reach
