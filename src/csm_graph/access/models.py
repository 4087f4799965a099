"""Customer access as data: responsibilities, relationship types, related parties.

A responsibility names a level of access and lists, as data, the actions it
allows on cases and on sold products. A relationship type (guarantor,
finance contact, ...) says what a related party is to a case or a sold
product and defaults a responsibility; a party with no responsibility is
listed and grants nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from csm_graph.accounts.models import Team, User
    from csm_graph.cases.models import Case
    from csm_graph.consumers.models import Consumer
    from csm_graph.products.models import SoldProduct


class ProductAction(StrEnum):
    READ = "READ"
    MANAGE = "MANAGE"


class Responsibility(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    description = fields.CharField(max_length=500, default="")
    case_actions = fields.CharField(max_length=300, default="")
    """Space-separated `CaseAction` names (READ COMMENT ...)."""
    product_actions = fields.CharField(max_length=100, default="")
    """Space-separated `ProductAction` names (READ MANAGE)."""
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "responsibility"


class RelationshipType(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    description = fields.CharField(max_length=500, default="")
    for_cases = fields.BooleanField(default=True)
    for_sold_products = fields.BooleanField(default=False)
    default_responsibility: fields.ForeignKeyNullableRelation[Responsibility] = (
        fields.ForeignKeyField(
            "access.Responsibility",
            related_name="relationship_types",
            null=True,
            on_delete=fields.RESTRICT,
        )
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    default_responsibility_id: int | None

    class Meta:
        table = "relationship_type"
        indexes = (("default_responsibility_id", "id"),)


def department_key(name: str) -> str:
    """How a department name compares: spaces collapsed, case folded, so a
    user's `department` text "finance " belongs to the department "Finance"."""
    return " ".join(name.split()).casefold()


class Department(Model):
    """A department of the organisation, as a related party can name it.

    Its members are the internal users whose `department` text is its name
    (compared by `department_key`): an administrator who moves a user to
    another department changes what the user's department grants at once."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    key = fields.CharField(max_length=100, unique=True)
    """`department_key(name)`: what a user's department text is matched against."""
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "department"


class RelatedParty(Model):
    """A consumer, a user, a team or a department related to a case or a sold
    product (exactly one of each side). A team's members and a department's
    members hold the party's access while they are members."""

    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "cases.Case", related_name="related_parties", null=True, on_delete=fields.CASCADE
    )
    sold_product: fields.ForeignKeyNullableRelation[SoldProduct] = fields.ForeignKeyField(
        "products.SoldProduct", related_name="related_parties", null=True, on_delete=fields.CASCADE
    )
    consumer: fields.ForeignKeyNullableRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="related_parties", null=True, on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="related_parties", null=True, on_delete=fields.CASCADE
    )
    team: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        "accounts.Team", related_name="related_parties", null=True, on_delete=fields.CASCADE
    )
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "access.Department", related_name="related_parties", null=True, on_delete=fields.CASCADE
    )
    relationship_type: fields.ForeignKeyRelation[RelationshipType] = fields.ForeignKeyField(
        "access.RelationshipType", related_name="related_parties", on_delete=fields.RESTRICT
    )
    responsibility: fields.ForeignKeyNullableRelation[Responsibility] = fields.ForeignKeyField(
        "access.Responsibility",
        related_name="related_parties",
        null=True,
        on_delete=fields.RESTRICT,
    )
    valid_from = fields.DateField(null=True)
    """First day the party's access applies (None: from the start)."""
    valid_until = fields.DateField(null=True)
    """Last day the party's access applies (None: open-ended)."""
    added_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="related_parties_added", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    case_id: int | None
    sold_product_id: int | None
    consumer_id: int | None
    user_id: int | None
    team_id: int | None
    department_id: int | None
    relationship_type_id: int
    responsibility_id: int | None
    added_by_id: int | None

    class Meta:
        table = "related_party"
        indexes = (
            ("case_id", "id"),
            ("sold_product_id", "id"),
            ("consumer_id", "id"),
            ("user_id", "id"),
            ("team_id", "id"),
            ("department_id", "id"),
            ("relationship_type_id", "id"),
            ("responsibility_id", "id"),
        )
