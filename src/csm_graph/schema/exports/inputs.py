"""Inputs of the data exports domain."""

from __future__ import annotations

import strawberry


@strawberry.input(description="Whose data to export.")
class ConsumerDataExportInput:
    consumer_id: strawberry.ID = strawberry.field(
        description="The consumer whose data the archive holds (yourself, unless an administrator)."
    )
