"""Trigram indexes for consumer search on PostgreSQL.

`consumers.services.search` matches `term` anywhere in a name, email,
number or phone (`icontains` / `contains`), which no B-tree can serve. On
PostgreSQL, `pg_trgm` GIN indexes on exactly the expressions Tortoise
emits (`UPPER(CAST(col AS VARCHAR)) LIKE ...`) keep a search proportional
to its matches rather than to the table. SQLite has no such index; it scans.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.schema_editor.base import BaseSchemaEditor
from tortoise.migrations.schema_generator.state_apps import StateApps

INDEXES = (
    # searched with `icontains`
    ("consumer_first_name_trgm", "UPPER(CAST(first_name AS VARCHAR))"),
    ("consumer_last_name_trgm", "UPPER(CAST(last_name AS VARCHAR))"),
    ("consumer_email_trgm", "UPPER(CAST(email AS VARCHAR))"),
    ("consumer_number_trgm", "UPPER(CAST(number AS VARCHAR))"),
    # searched with `contains` on the digits of the term
    ("consumer_phone_trgm", "CAST(phone AS VARCHAR)"),
    ("consumer_mobile_phone_trgm", "CAST(mobile_phone AS VARCHAR)"),
)


async def create(apps: StateApps, editor: BaseSchemaEditor) -> None:
    if editor.client.capabilities.dialect != "postgres":
        return
    await editor.client.execute_script("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES:
        await editor.client.execute_script(
            f"CREATE INDEX {name} ON consumer USING gin (({expression}) gin_trgm_ops)"
        )


async def drop(apps: StateApps, editor: BaseSchemaEditor) -> None:
    if editor.client.capabilities.dialect != "postgres":
        return
    for name, _ in INDEXES:
        await editor.client.execute_script(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("consumers", "0001_initial")]

    initial = False

    operations = [ops.RunPython(create, drop)]
