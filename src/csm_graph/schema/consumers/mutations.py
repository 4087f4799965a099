"""Mutations of the consumers domain."""

from __future__ import annotations

from typing import cast

import strawberry
from starlette.datastructures import UploadFile

from csm_graph.accounts import services as accounts
from csm_graph.accounts.viewer import load_viewer
from csm_graph.consumers import importing, services
from csm_graph.errors import UserErrors
from csm_graph.schema.accounts.loaders import UserByIdLoader
from csm_graph.schema.accounts.types import User
from csm_graph.schema.consumers.inputs import (
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
from csm_graph.schema.errors import UserError, user_errors
from csm_graph.schema.node import decode_id
from csm_graph.schema.permissions import IsAdmin, IsInternal, Visible

CHECK_EMAIL = "If the address can be used, an email is on its way. Check your inbox."


@strawberry.type(description="A consumer, or why the change was refused.")
class ConsumerPayload:
    consumer: Consumer | None = strawberry.field(
        extensions=[Visible()], default=None, description="The consumer."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


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
    @strawberry.mutation(
        description="Create a consumer (internal users).", permission_classes=[IsInternal]
    )
    async def consumer_create(self, info: Info, input: ConsumerCreateInput) -> ConsumerPayload:
        try:
            consumer = await services.create_consumer(info.context.viewer, consumer_data(input))
        except UserErrors as exc:
            return ConsumerPayload(errors=user_errors(exc))
        return ConsumerPayload(consumer=Consumer.from_model(consumer))

    @strawberry.mutation(
        description="Change a consumer: internal users any field, a consumer their own allowed "
        "fields."
    )
    async def consumer_update(self, info: Info, input: ConsumerUpdateInput) -> ConsumerPayload:
        viewer = info.context.require_viewer()
        try:
            consumer_id = decode_id("id", input.id, "Consumer")
            data = consumer_data(input)
            data.pop("id")
            consumer = await services.update_consumer(viewer, consumer_id, data)
        except UserErrors as exc:
            return ConsumerPayload(errors=user_errors(exc))
        return ConsumerPayload(consumer=Consumer.from_model(consumer))

    @strawberry.mutation(
        description="Make a login from a consumer's name, email and phone, and link it "
        "(administrators).",
        permission_classes=[IsAdmin],
    )
    async def consumer_user_create(
        self, info: Info, input: ConsumerUserCreateInput
    ) -> ConsumerPayload:
        try:
            consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
            consumer = await services.create_user_for_consumer(
                info.context.viewer, consumer_id, user_type=input.user_type, password=input.password
            )
        except UserErrors as exc:
            return ConsumerPayload(errors=user_errors(exc))
        return ConsumerPayload(consumer=Consumer.from_model(consumer))

    @strawberry.mutation(
        description="Link an existing user to a consumer (administrators).",
        permission_classes=[IsAdmin],
    )
    async def consumer_user_associate(
        self, info: Info, input: ConsumerUserAssociateInput
    ) -> ConsumerPayload:
        try:
            consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
            user_id = decode_id("userId", input.user_id, "User")
            consumer = await services.associate(info.context.viewer, consumer_id, user_id)
        except UserErrors as exc:
            return ConsumerPayload(errors=user_errors(exc))
        return ConsumerPayload(consumer=Consumer.from_model(consumer))

    @strawberry.mutation(
        description="Unlink a consumer's user (administrators).", permission_classes=[IsAdmin]
    )
    async def consumer_user_dissociate(
        self, info: Info, input: ConsumerUserDissociateInput
    ) -> ConsumerPayload:
        try:
            consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
            consumer = await services.dissociate(info.context.viewer, consumer_id)
        except UserErrors as exc:
            return ConsumerPayload(errors=user_errors(exc))
        return ConsumerPayload(consumer=Consumer.from_model(consumer))

    @strawberry.mutation(
        description="Queue a CSV import of consumers (administrators).",
        permission_classes=[IsAdmin],
    )
    async def consumer_import(
        self, info: Info, input: ConsumerImportInput
    ) -> ConsumerImportPayload:
        try:
            limit = info.context.settings.import_max_bytes
            upload = cast(UploadFile, input.file)
            try:
                content = await upload.read(limit + 1)
            finally:
                await upload.close()
            job = await importing.start_import(info.context.viewer, upload.filename or "", content)
        except UserErrors as exc:
            return ConsumerImportPayload(errors=user_errors(exc))
        return ConsumerImportPayload(import_job=ImportJob.from_model(job))

    @strawberry.mutation(description="Register as a consumer; a verification email follows.")
    async def consumer_signup(
        self, info: Info, input: ConsumerSignupInput
    ) -> ConsumerSignupPayload:
        data = {
            "email": input.email,
            "password": input.password,
            "first_name": input.first_name,
            "last_name": input.last_name,
            "phone": input.phone,
        }
        try:
            await services.signup(data, info.context.client_address)
        except UserErrors as exc:
            return ConsumerSignupPayload(errors=user_errors(exc))
        return ConsumerSignupPayload(message=CHECK_EMAIL)

    @strawberry.mutation(description="Confirm an email address with the emailed token.")
    async def email_verify(self, info: Info, input: EmailVerifyInput) -> EmailVerifyPayload:
        try:
            consumer = await services.verify_email(input.token)
        except UserErrors as exc:
            return EmailVerifyPayload(errors=user_errors(exc))
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

    @strawberry.mutation(description="Email a password reset link, if the account exists.")
    async def password_reset_request(
        self, info: Info, input: PasswordResetRequestInput
    ) -> PasswordResetRequestPayload:
        try:
            await accounts.request_password_reset(input.email, info.context.client_address)
        except UserErrors as exc:
            return PasswordResetRequestPayload(errors=user_errors(exc))
        return PasswordResetRequestPayload(message=CHECK_EMAIL)

    @strawberry.mutation(description="Set a new password with the emailed token.")
    async def password_reset(self, info: Info, input: PasswordResetInput) -> PasswordResetPayload:
        try:
            user = await accounts.reset_password(input.token, input.password)
        except UserErrors as exc:
            return PasswordResetPayload(errors=user_errors(exc))
        info.context.act_as(await load_viewer(user.id))
        return PasswordResetPayload(user=User.from_model(user))
