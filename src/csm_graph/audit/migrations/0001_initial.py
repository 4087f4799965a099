from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from csm_graph.audit.models import AuditKind


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="AuditEvent",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="LOGIN_SUCCEEDED: LOGIN_SUCCEEDED\nLOGIN_FAILED: LOGIN_FAILED\nLOGIN_LOCKED_OUT: LOGIN_LOCKED_OUT\nUSER_CREATED: USER_CREATED\nUSER_DEACTIVATED: USER_DEACTIVATED\nUSER_REACTIVATED: USER_REACTIVATED\nROLE_GRANTED: ROLE_GRANTED\nROLE_REVOKED: ROLE_REVOKED\nTEAM_JOINED: TEAM_JOINED\nTEAM_LEFT: TEAM_LEFT\nMANAGER_CHANGED: MANAGER_CHANGED\nCONSUMER_USER_LINKED: CONSUMER_USER_LINKED\nCONSUMER_USER_UNLINKED: CONSUMER_USER_UNLINKED\nRESPONSIBILITY_CHANGED: RESPONSIBILITY_CHANGED\nRELATIONSHIP_TYPE_CHANGED: RELATIONSHIP_TYPE_CHANGED\nRELATED_PARTY_ADDED: RELATED_PARTY_ADDED\nRELATED_PARTY_CHANGED: RELATED_PARTY_CHANGED\nRELATED_PARTY_REMOVED: RELATED_PARTY_REMOVED\nREPRESENTATIVE_ADDED: REPRESENTATIVE_ADDED\nREPRESENTATIVE_REMOVED: REPRESENTATIVE_REMOVED\nCONSUMERS_MERGED: CONSUMERS_MERGED\nDATA_EXPORT_REQUESTED: DATA_EXPORT_REQUESTED\nDATA_EXPORT_DOWNLOADED: DATA_EXPORT_DOWNLOADED\nERASURE_REQUESTED: ERASURE_REQUESTED\nERASURE_REJECTED: ERASURE_REJECTED\nCONSUMER_ERASED: CONSUMER_ERASED\nLEGAL_HOLD_CHANGED: LEGAL_HOLD_CHANGED\nRETENTION_CONFIGURED: RETENTION_CONFIGURED\nRETENTION_APPLIED: RETENTION_APPLIED",
                        enum_type=AuditKind,
                        max_length=40,
                    ),
                ),
                ("actor_id", fields.IntField(null=True)),
                ("user_id", fields.IntField(null=True)),
                ("consumer_id", fields.IntField(null=True)),
                ("target_type", fields.CharField(default="", max_length=40)),
                ("target_id", fields.IntField(null=True)),
                ("data", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={
                "table": "audit_event",
                "app": "audit",
                "indexes": [
                    Index(fields=["user_id", "id"]),
                    Index(fields=["consumer_id", "id"]),
                    Index(fields=["kind", "id"]),
                    Index(fields=["at", "id"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
