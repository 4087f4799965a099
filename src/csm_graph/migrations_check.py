"""Compare models with committed migrations, and write new ones.

`pending_changes` is what the drift test asserts is empty;
`csm-graph makemigrations` writes the same changes as files.
"""

from __future__ import annotations

from pathlib import Path

from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.writer import MigrationWriter

from csm_graph.db import tortoise_config
from csm_graph.settings import Settings


async def _writers(settings: Settings) -> list[MigrationWriter]:
    config = tortoise_config(settings)
    config["connections"] = {"default": "sqlite://:memory:"}
    # Load the apps without connections: connecting would rebind the model
    # classes' query builders to this throwaway SQLite, breaking a process
    # that already runs on PostgreSQL.
    async with TortoiseContext() as ctx:
        await ctx.init(config=config, init_connections=False)
        assert ctx.apps is not None
        return await MigrationAutodetector(ctx.apps, config["apps"]).changes()


async def pending_changes(settings: Settings) -> list[str]:
    """Names of the migrations the models need but the repository lacks."""
    return [f"{w.app_label}.{w.name}" for w in await _writers(settings)]


async def write_migrations(settings: Settings, name: str | None = None) -> list[Path]:
    paths = []
    for writer in await _writers(settings):
        if name:
            number = writer.name.split("_", 1)[0]
            writer.name = f"{number}_{name}"
        paths.append(Path(writer.write()))
    return paths
