"""Mutations of the consumers domain."""

from __future__ import annotations

from typing import cast

import strawberry
from starlette.datastructures import UploadFile

from csm_graph.accounts import email_tokens
from csm_graph.accounts.viewer import load_viewer
from csm_graph.consumers import importing, models, services
from csm_graph.consumers.services import ConsumerChanges, ConsumerDraft, SignupForm
from csm_graph.schema.accounts.loaders import UserByIdLoader
from csm_graph.schema.accounts.types import User
from csm_graph.schema.consumers.inputs import (
    ADDRESS_PATHS,
    ConsumerCreateInput,
    ConsumerImportInput,
    ConsumerSignupInput,
    ConsumerUpdateInput,
    ConsumerUserAssociateInput,
    ConsumerUserCreateInput,
    ConsumerUserDissociateInput,
    EmailVerifyInput,
    PasswordResetInput,
    PasswordResetRequestInput,
    consumer_data,
)
from csm_graph.schema.consumers.types import Consumer, ImportJob
from csm_graph.schema.context import Info
from csm_graph.schema.customfields.writes import write_consumer_fields
from csm_graph.schema.errors import UserError
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id
from csm_graph.schema.permissions import IsAdmin, IsAuthenticated, IsInternal, Visible
from csm_graph.transactions import unit_of_work

CHECK_EMAIL = "If the address can be used, an email is on its way. Check your inbox."


@strawberry.type(description="A consumer, or why the change was refused.")
class ConsumerPayload:
    consumer: Consumer | None = strawberry.field(
        extensions=[Visible()], default=None, description="The consumer."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")

    @classmethod
    def of(cls, consumer: models.Consumer) -> ConsumerPayload:
        return cls(consumer=Consumer.from_model(consumer))


@strawberry.type(description="The import that was queued, or why not.")
class ConsumerImportPayload:
    import_job: ImportJob | None = strawberry.field(
        extensions=[Visible()], default=None, description="Follow its progress with node(id:)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="The same answer whether or not the email already had an account.")
class ConsumerSignupPayload:
    message: str | None = strawberry.field(default=None, description="What to do next.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="The verified user and their consumer record, or why not.")
class EmailVerifyPayload:
    user: User | None = strawberry.field(
        extensions=[Visible()], default=None, description="The verified user."
    )
    consumer: Consumer | None = strawberry.field(
        extensions=[Visible()], default=None, description="Their consumer record (claimed or new)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="The same answer whether or not the email has an account.")
class PasswordResetRequestPayload:
    message: str | None = strawberry.field(default=None, description="What to do next.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="The outcome of a password reset.")
class PasswordResetPayload:
    user: User | None = strawberry.field(
        extensions=[Visible()], default=None, description="The user, now able to log in."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type
class ConsumersMutation:
    @mutation("Create a consumer.", IsInternal, paths=ADDRESS_PATHS)
    async def consumer_create(self, info: Info, input: ConsumerCreateInput) -> ConsumerPayload:
        return ConsumerPayload.of(
            await services.create_consumer(
                info.context.viewer, ConsumerDraft(**consumer_data(input))
            )
        )

    @mutation(
        "Change a consumer: internal users any field, a consumer their own allowed fields.",
        IsAuthenticated,
        paths=ADDRESS_PATHS,
    )
    async def consumer_update(self, info: Info, input: ConsumerUpdateInput) -> ConsumerPayload:
        consumer_id = decode_id("id", input.id, "Consumer")
        data = consumer_data(input)
        data.pop("id")
        data.pop("custom_fields", None)
        async with unit_of_work():
            consumer = await services.update_consumer(
                await info.context.actor(), consumer_id, ConsumerChanges(**data)
            )
            if input.custom_fields:
                await write_consumer_fields(info, consumer, input.custom_fields)
        return ConsumerPayload.of(consumer)

    @mutation("Make a login from a consumer's name, email and phone, and link it.", IsAdmin)
    async def consumer_user_create(
        self, info: Info, input: ConsumerUserCreateInput
    ) -> ConsumerPayload:
        consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
        consumer = await services.create_user_for_consumer(
            info.context.viewer, consumer_id, user_type=input.user_type, password=input.password
        )
        return ConsumerPayload.of(consumer)

    @mutation("Link an existing user to a consumer.", IsAdmin)
    async def consumer_user_associate(
        self, info: Info, input: ConsumerUserAssociateInput
    ) -> ConsumerPayload:
        consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
        user_id = decode_id("userId", input.user_id, "User")
        return ConsumerPayload.of(
            await services.associate(info.context.viewer, consumer_id, user_id)
        )

    @mutation("Unlink a consumer's user.", IsAdmin)
    async def consumer_user_dissociate(
        self, info: Info, input: ConsumerUserDissociateInput
    ) -> ConsumerPayload:
        consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
        return ConsumerPayload.of(await services.dissociate(info.context.viewer, consumer_id))

    @mutation("Queue a CSV import of consumers.", IsAdmin)
    async def consumer_import(
        self, info: Info, input: ConsumerImportInput
    ) -> ConsumerImportPayload:
        upload = cast(UploadFile, input.file)
        try:
            content = await upload.read(info.context.settings.import_max_bytes + 1)
        finally:
            await upload.close()
        job = await importing.start_import(info.context.viewer, upload.filename or "", content)
        return ConsumerImportPayload(import_job=ImportJob.from_model(job))

    @mutation("Register as a consumer; a verification email follows.")
    async def consumer_signup(
        self, info: Info, input: ConsumerSignupInput
    ) -> ConsumerSignupPayload:
        form = SignupForm(
            email=input.email,
            password=input.password,
            first_name=input.first_name,
            last_name=input.last_name,
            phone=input.phone,
        )
        await services.signup(form, info.context.client_address)
        return ConsumerSignupPayload(message=CHECK_EMAIL)

    @mutation("Confirm an email address with the emailed token.")
    async def email_verify(self, info: Info, input: EmailVerifyInput) -> EmailVerifyPayload:
        consumer = await services.verify_email(input.token)
        # The link proved who this is: the payload answers as them.
        info.context.act_as(await load_viewer(consumer.user_id) if consumer.user_id else None)
        user = (
            await info.context.loaders.get(UserByIdLoader).load(consumer.user_id)
            if consumer.user_id
            else None
        )
        return EmailVerifyPayload(
            consumer=Consumer.from_model(consumer), user=User.from_model(user) if user else None
        )

    @mutation("Email a password reset link, if the account exists.")
    async def password_reset_request(
        self, info: Info, input: PasswordResetRequestInput
    ) -> PasswordResetRequestPayload:
        await email_tokens.request_password_reset(input.email, info.context.client_address)
        return PasswordResetRequestPayload(message=CHECK_EMAIL)

    @mutation("Set a new password with the emailed token.")
    async def password_reset(self, info: Info, input: PasswordResetInput) -> PasswordResetPayload:
        user = await email_tokens.reset_password(input.token, input.password)
        info.context.act_as(await load_viewer(user.id))
        return PasswordResetPayload(user=User.from_model(user))
