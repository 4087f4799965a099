from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from csm_graph.delegations.models import DelegationScope, DelegationState


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("accounts", "0002_seed_roles"),
        ("accounts", "0003_email_token_identity"),
        ("accounts", "0004_lookup_indexes"),
        ("accounts", "0005_sessions_and_email_change"),
        ("cases", "0001_initial"),
        ("cases", "0002_sold_product_sla"),
        ("cases", "0003_case_grant_indexes"),
        ("cases", "0004_lookup_indexes"),
        ("cases", "0005_consumer_merged_activity"),
        ("consumers", "0001_initial"),
        ("consumers", "0002_search_trigrams"),
        ("consumers", "0003_lookup_indexes"),
        ("consumers", "0004_merge_and_duplicates"),
        ("consumers", "0005_consumer_merge"),
        ("households", "0002_one_primary_household"),
    ]

    initial = True

    operations = [
        ops.CreateModel(
            name="Delegation",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "consumer",
                    fields.ForeignKeyField(
                        "consumers.Consumer",
                        source_field="consumer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="delegations_given",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("email", fields.CharField(max_length=254)),
                (
                    "scope",
                    fields.CharEnumField(
                        description="READ: READ\nREAD_AND_ACT: READ_AND_ACT",
                        enum_type=DelegationScope,
                        max_length=16,
                    ),
                ),
                ("ends_on", fields.DateField()),
                (
                    "state",
                    fields.CharEnumField(
                        default=DelegationState.INVITED,
                        description="INVITED: INVITED\nACCEPTED: ACCEPTED\nENDED: ENDED",
                        enum_type=DelegationState,
                        max_length=16,
                    ),
                ),
                ("token_hash", fields.CharField(null=True, unique=True, max_length=64)),
                ("token_expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "delegate",
                    fields.ForeignKeyField(
                        "consumers.Consumer",
                        source_field="delegate_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="delegations_held",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "representation",
                    fields.ForeignKeyField(
                        "households.Representation",
                        source_field="representation_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="delegations",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "ended_by",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="ended_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="delegations_ended",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "accepted_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("ended_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "reminded_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "delegation",
                "app": "delegations",
                "indexes": [
                    Index(fields=["consumer_id", "id"]),
                    Index(fields=["delegate_id", "id"]),
                    Index(fields=["representation_id"]),
                    Index(fields=["ended_by_id"]),
                    Index(fields=["state", "ends_on"]),
                ],
                "pk_attr": "id",
                "table_description": "One consumer's invitation to another person to act for them until `ends_on`.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DelegatedActivity",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "activity",
                    fields.OneToOneField(
                        "cases.CaseActivity",
                        source_field="activity_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="delegation_mark",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "delegation",
                    fields.ForeignKeyField(
                        "delegations.Delegation",
                        source_field="delegation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="activity_marks",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "delegated_activity",
                "app": "delegations",
                "indexes": [Index(fields=["delegation_id"])],
                "pk_attr": "id",
                "table_description": "The mark on a case activity entry written by a delegate acting under a delegation.",
            },
            bases=["Model"],
        ),
    ]
