"""GraphQL types of the consumers domain."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from csm_graph.consumers import models
from csm_graph.core.names import NAME_PARTS
from csm_graph.households.access import Reach
from csm_graph.schema.accounts.loaders import UserByIdLoader
from csm_graph.schema.cases.queries import cases_under
from csm_graph.schema.consumers.loaders import ConsumerByIdLoader, ImportErrorsByJobIdLoader
from csm_graph.schema.context import Info
from csm_graph.schema.customfields.types import CustomFieldEntity, custom_fields_of
from csm_graph.schema.enums import register_enum
from csm_graph.schema.node import Node, from_partial, register_node, to_global_id
from csm_graph.schema.permissions import Guard, Visible
from csm_graph.schema.policy import (
    consumer_contact,
    consumer_login,
    consumer_service_level,
    internal_only,
)

if TYPE_CHECKING:
    from csm_graph.schema.accounts.types import User
    from csm_graph.schema.households.types import Household, Representation
    from csm_graph.schema.products.types import SoldProduct

register_enum(
    models.SlaLevel,
    name="SlaLevel",
    description="Service level a consumer has.",
    values={
        models.SlaLevel.BRONZE: "The standard level.",
        models.SlaLevel.SILVER: "Faster targets than BRONZE.",
        models.SlaLevel.GOLD: "Faster targets than SILVER.",
        models.SlaLevel.PLATINUM: "The fastest targets.",
    },
)
register_enum(
    models.ImportState,
    name="ImportState",
    description="Where an import stands.",
    values={
        models.ImportState.QUEUED: "Waiting for a worker.",
        models.ImportState.RUNNING: "Rows are being processed; the counts grow.",
        models.ImportState.DONE: "Every row was processed; refused rows are in `errors`.",
        models.ImportState.FAILED: "The file could not be processed at all (see `errors`).",
    },
)
SlaLevel = models.SlaLevel
ImportState = models.ImportState


@strawberry.type(description="A postal address.")
class Address:
    line1: str = strawberry.field(description="Street and number.")
    line2: str = strawberry.field(description="Apartment, suite, etc.")
    city: str = strawberry.field(description="City or town.")
    region: str = strawberry.field(description="State, province or region.")
    postal_code: str = strawberry.field(description="Postal code.")
    country: str = strawberry.field(description="ISO 3166 two-letter country code.")


@strawberry.type(description="A person the service is for, with or without a login.")
class Consumer(Node):
    model: strawberry.Private[models.Consumer]
    db_id: strawberry.Private[int]
    user_id: strawberry.Private[int | None]
    acts_for: strawberry.Private[bool]
    """Whether the viewer currently represents this consumer or heads a household
    they belong to (the contact rule reads it; see `households.access`)."""
    number: str = strawberry.field(description="Human number, such as CON0001001.")
    prefix: str = strawberry.field(description="Name prefix.")
    first_name: str = strawberry.field(description="Given name.")
    middle_name: str = strawberry.field(description="Middle name.")
    last_name: str = strawberry.field(description="Family name.")
    suffix: str = strawberry.field(description="Name suffix.")
    full_name: str = strawberry.field(description="The name parts joined; read-only.")
    is_active: bool = strawberry.field(description="Whether the record is in use.")
    created_at: dt.datetime = strawberry.field(description="When the record was made.")
    updated_at: dt.datetime = strawberry.field(description="When the record last changed.")
    email: str | None = strawberry.field(
        description="Email (lower-cased).", extensions=[Guard(consumer_contact)]
    )
    phone: str | None = strawberry.field(
        description="Phone in E.164.", extensions=[Guard(consumer_contact)]
    )
    mobile_phone: str | None = strawberry.field(
        description="Mobile phone in E.164.", extensions=[Guard(consumer_contact)]
    )
    address: Address | None = strawberry.field(
        description="Postal address.", extensions=[Guard(consumer_contact)]
    )
    date_of_birth: dt.date | None = strawberry.field(
        description="Date of birth.", extensions=[Guard(consumer_contact)]
    )
    preferred_language: str | None = strawberry.field(
        description="Language tag, such as en or pt-BR.", extensions=[Guard(consumer_contact)]
    )
    notify_email: bool | None = strawberry.field(
        description="Whether the consumer wants email notifications.",
        extensions=[Guard(consumer_contact)],
    )
    notify_sms: bool | None = strawberry.field(
        description="Whether the consumer wants text messages.",
        extensions=[Guard(consumer_contact)],
    )
    twitter_handle: str | None = strawberry.field(
        description="Twitter handle, without @.", extensions=[Guard(consumer_contact)]
    )
    facebook_url: str | None = strawberry.field(
        description="Facebook profile URL.", extensions=[Guard(consumer_contact)]
    )
    linkedin_url: str | None = strawberry.field(
        description="LinkedIn profile URL.", extensions=[Guard(consumer_contact)]
    )
    personal_email: str | None = strawberry.field(
        description="A second, personal email.", extensions=[Guard(consumer_contact)]
    )
    sla_level: SlaLevel | None = strawberry.field(
        description="Service level. Internal users and the consumer only.",
        extensions=[Guard(consumer_service_level)],
    )
    last_survey_at: dt.datetime | None = strawberry.field(
        description="When the consumer was last sent a survey. Internal users only.",
        extensions=[Guard(internal_only)],
    )
    external_id: str | None = strawberry.field(
        description="Id in the system the record was imported from. Internal users only.",
        extensions=[Guard(internal_only)],
    )
    review_reason: str | None = strawberry.field(
        description="Why an agent should look at this record, if anything. Internal users only.",
        extensions=[Guard(internal_only)],
    )

    @classmethod
    def from_model(cls, c: models.Consumer, *, acts_for: bool = False) -> Consumer:
        if c._partial:
            return cls._from_partial(c, acts_for)
        return cls(
            id=to_global_id("Consumer", c.id),
            model=c,
            db_id=c.id,
            user_id=c.user_id,
            acts_for=acts_for,
            number=c.number,
            prefix=c.prefix,
            first_name=c.first_name,
            middle_name=c.middle_name,
            last_name=c.last_name,
            suffix=c.suffix,
            full_name=c.full_name,
            is_active=c.is_active,
            created_at=c.created_at,
            updated_at=c.updated_at,
            email=c.email,
            phone=c.phone,
            mobile_phone=c.mobile_phone,
            address=_address(c),
            date_of_birth=c.date_of_birth,
            preferred_language=c.preferred_language,
            notify_email=c.notify_email,
            notify_sms=c.notify_sms,
            twitter_handle=c.twitter_handle,
            facebook_url=c.facebook_url,
            linkedin_url=c.linkedin_url,
            personal_email=c.personal_email,
            sla_level=c.sla_level,
            last_survey_at=c.last_survey_at,
            external_id=c.external_id,
            review_reason=c.review_reason,
        )

    @classmethod
    def _from_partial(cls, c: models.Consumer, acts_for: bool) -> Consumer:
        """From a partial row (a plan's read): the values it holds, and the full
        name and address where it holds all they are made of."""
        held = c.__dict__.keys()
        computed: dict[str, Any] = {}
        if held >= set(NAME_PARTS):
            computed["full_name"] = c.full_name
        if held >= ADDRESS_FIELDS:
            computed["address"] = _address(c)
        return from_partial(
            cls,
            c,
            id=to_global_id("Consumer", c.id),
            model=c,
            db_id=c.id,
            acts_for=acts_for,
            **computed,
        )

    @strawberry.field(
        description="The consumer's login, if linked. Administrators and the consumer only.",
        extensions=[Guard(consumer_login), Visible()],
    )
    async def user(
        self, info: Info
    ) -> Annotated[User, strawberry.lazy("csm_graph.schema.accounts.types")] | None:
        from csm_graph.schema.accounts.types import User

        if self.user_id is None:
            return None
        user = await info.context.loaders.get(UserByIdLoader).load(self.user_id)
        return User.from_model(user) if user else None

    @strawberry.field(
        description="The consumer's primary household, one of their current households.",
        extensions=[Visible()],
    )
    async def primary_household(
        self, info: Info
    ) -> Annotated[Household, strawberry.lazy("csm_graph.schema.households.types")] | None:
        from csm_graph.schema.households.types import consumer_primary_household

        return await consumer_primary_household(info, self.db_id)

    @strawberry.field(
        description="The households the consumer currently belongs to, oldest membership first.",
        extensions=[Visible()],
    )
    async def households(
        self, info: Info
    ) -> list[Annotated[Household, strawberry.lazy("csm_graph.schema.households.types")]]:
        from csm_graph.schema.households.types import consumer_households

        return await consumer_households(info, self.db_id)

    @strawberry.field(
        description="Who may currently act for this consumer.",
        extensions=[Visible()],
    )
    async def representatives(
        self, info: Info
    ) -> list[Annotated[Representation, strawberry.lazy("csm_graph.schema.households.types")]]:
        from csm_graph.schema.households.types import consumer_representatives

        return await consumer_representatives(info, self.db_id)

    @strawberry.field(
        description="For whom this consumer may currently act.",
        extensions=[Visible()],
    )
    async def represents(
        self, info: Info
    ) -> list[Annotated[Representation, strawberry.lazy("csm_graph.schema.households.types")]]:
        from csm_graph.schema.households.types import consumer_represents

        return await consumer_represents(info, self.db_id)

    @strawberry.field(
        description="The products the consumer owns, oldest first.", extensions=[Visible()]
    )
    async def sold_products(
        self, info: Info
    ) -> list[Annotated[SoldProduct, strawberry.lazy("csm_graph.schema.products.types")]]:
        from csm_graph.schema.products.types import consumer_sold_products

        return await consumer_sold_products(info, self.db_id)

    custom_fields = custom_fields_of(
        CustomFieldEntity.CONSUMER,
        "The consumer's custom fields the viewer may read, by key (others are left out and "
        "listed in `extensions.redactedFields`).",
    )

    cases = cases_under(
        "consumer_id",
        "The cases about this consumer that the viewer may read, newest first: "
        "`cases` of this consumer only.",
    )


@strawberry.type(description="A row of an import that was refused, and why.")
class ImportRowError:
    row: int = strawberry.field(description="Line number in the file (the header is line 1).")
    message: str = strawberry.field(description="What was wrong, naming the field.")


@strawberry.type(description="A bulk import of consumers from CSV, and its progress.")
class ImportJob(Node):
    model: strawberry.Private[models.ImportJob]
    db_id: strawberry.Private[int]
    state: ImportState = strawberry.field(description="QUEUED, RUNNING, DONE or FAILED.")
    file_name: str = strawberry.field(description="The uploaded file's name.")
    total: int = strawberry.field(description="Data rows in the file (known once running).")
    processed: int = strawberry.field(description="Rows handled so far.")
    created: int = strawberry.field(description="Consumers created.")
    updated: int = strawberry.field(description="Consumers changed.")
    failed: int = strawberry.field(description="Rows refused (see errors).")
    message: str = strawberry.field(description="Why the whole import failed, if it did.")
    created_at: dt.datetime = strawberry.field(description="When it was uploaded.")
    finished_at: dt.datetime | None = strawberry.field(description="When it ended.")

    @classmethod
    def from_model(cls, job: models.ImportJob) -> ImportJob:
        return cls(
            id=to_global_id("ImportJob", job.id),
            model=job,
            db_id=job.id,
            state=job.state,
            file_name=job.file_name,
            total=job.total,
            processed=job.processed,
            created=job.created,
            updated=job.updated,
            failed=job.failed,
            message=job.message,
            created_at=job.created_at,
            finished_at=job.finished_at,
        )

    @strawberry.field(description="Refused rows, in file order (the first 1,000).")
    async def errors(self, info: Info) -> list[ImportRowError]:
        rows = await info.context.loaders.get(ImportErrorsByJobIdLoader).load(self.db_id)
        return [ImportRowError(row=r.row, message=r.message) for r in rows]


ADDRESS_FIELDS = frozenset(
    {"address_line1", "address_line2", "city", "region", "postal_code", "country"}
)
"""The fields a consumer's `address` is made of."""


def _address(c: models.Consumer) -> Address:
    return Address(
        line1=c.address_line1,
        line2=c.address_line2,
        city=c.city,
        region=c.region,
        postal_code=c.postal_code,
        country=c.country,
    )


async def consumer_object(info: Info, record: models.Consumer | None) -> Consumer | None:
    """The GraphQL object of a consumer record, carrying whether the viewer acts
    for them (the contact rule reads it). Visibility is the field's to check."""
    if record is None:
        return None
    return consumer_in_reach(record, await info.context.reach())


def consumer_in_reach(record: models.Consumer, reach: Reach) -> Consumer:
    """The GraphQL object of a consumer record for a viewer of `reach`."""
    return Consumer.from_model(record, acts_for=record.id in reach.acts_for)


MAX_MERGE_HOPS = 8
"""How far `consumer_by_id` follows merged records. A merge repoints earlier
tombstones at the new survivor, so one hop is the rule; this only bounds it."""


async def consumer_by_id(info: Info, consumer_id: int | None) -> Consumer | None:
    """The consumer record, or the survivor a merged record (a tombstone) went
    into: an old id keeps working. Whoever asks checks the survivor's visibility."""
    if consumer_id is None:
        return None
    loader = info.context.loaders.get(ConsumerByIdLoader)
    record = await loader.load(consumer_id)
    for _ in range(MAX_MERGE_HOPS):
        if record is None or record.merged_into_id is None:
            break
        record = await loader.load(record.merged_into_id)
    if record is not None and record.merged_into_id is not None:
        return None
    return await consumer_object(info, record)


async def _import_job_node(info: Info, pk: int) -> ImportJob | None:
    job = await models.ImportJob.get_or_none(id=pk)
    return ImportJob.from_model(job) if job else None


register_node("Consumer", consumer_by_id)
register_node("ImportJob", _import_job_node)
