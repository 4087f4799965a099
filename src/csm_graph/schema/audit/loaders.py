"""DataLoaders for the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

from csm_graph.privacy.models import ErasureRequest, ErasureState

if TYPE_CHECKING:
    from csm_graph.schema.context import Context


class ErasedByConsumerIdLoader(DataLoader[int, bool]):
    """Whether each consumer was erased: an event about them then names nobody,
    whatever is left of their record."""

    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, consumer_ids: Sequence[int]) -> list[bool]:
        rows: list[Any] = await ErasureRequest.filter(
            consumer_id__in=list(consumer_ids), state=ErasureState.DONE
        ).values_list("consumer_id", flat=True)
        erased = {int(consumer_id) for consumer_id in rows}
        return [i in erased for i in consumer_ids]
