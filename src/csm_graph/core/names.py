"""Name parts shared by users and consumers (kept equal while they are linked)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

NAME_PARTS = ("prefix", "first_name", "middle_name", "last_name", "suffix")
"""The fields a full name is made of, in order."""


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
        parts = (getattr(self, name) for name in NAME_PARTS)
        return " ".join(p for p in parts if p)
