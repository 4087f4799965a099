"""Name parts shared by users and consumers (kept equal while they are linked)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class PersonName(Model):
    prefix = fields.CharField(max_length=40, default="")
    first_name = fields.CharField(max_length=100, default="")
    middle_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    suffix = fields.CharField(max_length=40, default="")

    class Meta:
        abstract = True

    @property
    def full_name(self) -> str:
        parts = (self.prefix, self.first_name, self.middle_name, self.last_name, self.suffix)
        return " ".join(p for p in parts if p)
