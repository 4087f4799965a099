"""The documents the clients ship (`documents/*.graphql`): the portal's "All
cases" and "My cases" pages, a case's page, the agent's queue and consumer
search. The API registers them when it starts, so they run from plans
whether a client sends their text or their hash."""

from __future__ import annotations

from importlib import resources

from csm_graph import runtime
from csm_graph.persisted import document_hash, store_for
from csm_graph.schema.persisted import REGISTERED
from csm_graph.settings import Settings


def shipped_documents() -> dict[str, str]:
    """Operation name (the file's stem) -> the document's text, without
    surrounding whitespace (as `csm-graph persisted register` keeps it)."""
    folder = resources.files("csm_graph.schema.plans") / "documents"
    return {
        entry.name.removesuffix(".graphql"): entry.read_text(encoding="utf-8").strip()
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".graphql")
    }


async def register_shipped(settings: Settings) -> list[str]:
    """Registers every shipped document; returns their hashes."""
    redis = runtime.get_runtime().redis if runtime.is_started() else None
    store = store_for(settings, redis)
    hashes = []
    for document in shipped_documents().values():
        sha256 = document_hash(document)
        await store.register(sha256, document)
        hashes.append(sha256)
    REGISTERED.forget()
    return hashes
