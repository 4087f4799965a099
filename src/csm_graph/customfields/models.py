"""Custom fields: typed fields an administrator adds to consumers and cases.

A definition says what the field is (its key, label, type and, for a
choice, its options) and who reads and writes it (names of the field
policy's rules). Values live in one typed table, a column per type, so a
filter or a sort by one field reads an index on (field, value) instead of
every record.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CustomFieldEntity(StrEnum):
    CONSUMER = "CONSUMER"
    CASE = "CASE"


class CustomFieldType(StrEnum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    BOOLEAN = "BOOLEAN"
    CHOICE = "CHOICE"


class CustomField(Model):
    """A field of consumers or of cases. Its key is unique per entity, for good
    (a retired field keeps its key and values, and defining it again revives it)."""

    id = fields.IntField(primary_key=True)
    entity = fields.CharEnumField(CustomFieldEntity, max_length=16)
    key = fields.CharField(max_length=64)
    label = fields.CharField(max_length=120)
    type = fields.CharEnumField(CustomFieldType, max_length=16)
    options: fields.Field[list[str]] = fields.JSONField(default=list)
    """A CHOICE field's allowed values, in display order."""
    read_rules: fields.Field[list[str]] = fields.JSONField(default=list)
    """Names of field policy rules; a viewer any of them admits reads the field."""
    write_rules: fields.Field[list[str]] = fields.JSONField(default=list)
    """Names of field policy rules; a viewer any of them admits sets the field."""
    retired_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "custom_field"
        unique_together = (("entity", "key"),)


class CustomFieldValue(Model):
    """One field's value on one consumer or case (`object_id`, by the field's
    entity). Exactly the column of the field's type is set: TEXT and CHOICE
    in `text_value`, NUMBER in `number_value`, DATE in `date_value`, BOOLEAN
    in `bool_value`. A cleared value is no row."""

    id = fields.IntField(primary_key=True)
    field: fields.ForeignKeyRelation[CustomField] = fields.ForeignKeyField(
        "customfields.CustomField", related_name="values", on_delete=fields.CASCADE
    )
    field_id: int
    object_id = fields.IntField()
    text_value = fields.CharField(max_length=1000, null=True)
    number_value = fields.FloatField(null=True)
    date_value = fields.DateField(null=True)
    bool_value = fields.BooleanField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "custom_field_value"
        unique_together = (("field", "object_id"),)
        indexes = (
            ("object_id", "field_id"),
            ("field_id", "text_value"),
            ("field_id", "number_value"),
            ("field_id", "date_value"),
            ("field_id", "bool_value"),
        )
