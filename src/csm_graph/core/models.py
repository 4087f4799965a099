"""Tables every domain shares."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Counter(Model):
    """Named counters behind human numbers (CON0001001, CS0001001, ...).

    Taking numbers is one conditional UPDATE ... RETURNING, so numbers are
    unique and never reused, even when many requests take them at once.
    """

    name = fields.CharField(max_length=32, primary_key=True)
    value = fields.BigIntField(default=0)

    class Meta:
        table = "counter"
