"""Inputs of the consumers domain."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from csm_graph.schema.accounts.types import UserType
from csm_graph.schema.consumers.types import SlaLevel
from csm_graph.schema.customfields.inputs import CustomFieldFilter, CustomFieldInput
from csm_graph.schema.inputs import given

ADDRESS_FIELDS = {
    "line1": "address_line1",
    "line2": "address_line2",
    "city": "city",
    "region": "region",
    "postal_code": "postal_code",
    "country": "country",
}
ADDRESS_PATHS = {column: f"address.{part}" for part, column in ADDRESS_FIELDS.items()}
"""Where an input nests the address columns a service names flat (for its errors)."""


@strawberry.input(description="A postal address; omitted parts stay as they are.")
class AddressInput:
    line1: str | None = strawberry.field(
        default=strawberry.UNSET, description="First address line."
    )
    line2: str | None = strawberry.field(
        default=strawberry.UNSET, description="Second address line."
    )
    city: str | None = strawberry.field(default=strawberry.UNSET, description="City or town.")
    region: str | None = strawberry.field(
        default=strawberry.UNSET, description="State, province or region."
    )
    postal_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="Postal or ZIP code."
    )
    country: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO 3166 two-letter code."
    )


def consumer_data(input: object) -> dict[str, Any]:
    """The sent fields of a consumer input, with the address flattened."""
    data = given(input)
    address = data.pop("address", None)
    if address is not None:
        for key, value in given(address).items():
            data[ADDRESS_FIELDS[key]] = value
    return data


@strawberry.input(description="Which consumers to list.")
class ConsumerFilter:
    search: str | None = strawberry.field(
        default=None, description="Part of a name, email, phone or number."
    )
    sla_level: SlaLevel | None = strawberry.field(default=None, description="Only this level.")
    linked: bool | None = strawberry.field(
        default=None, description="Only consumers with (true) or without (false) a login."
    )
    custom_fields: list[CustomFieldFilter] | None = strawberry.field(
        default=None,
        description="Only consumers meeting every one of these custom field conditions.",
    )


@strawberry.input(
    description="A new consumer (internal users). Give `fullName` or the name parts; "
    "explicit parts win over the parsed full name."
)
class ConsumerCreateInput:
    full_name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The whole name, parsed into parts (for example `Dr. Ann B. Lee Jr.`).",
    )
    prefix: str | None = strawberry.field(
        default=strawberry.UNSET, description="Name prefix, such as Ms. or Dr."
    )
    first_name: str | None = strawberry.field(default=strawberry.UNSET, description="Given name.")
    middle_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Middle name or initial."
    )
    last_name: str | None = strawberry.field(default=strawberry.UNSET, description="Family name.")
    suffix: str | None = strawberry.field(
        default=strawberry.UNSET, description="Name suffix, such as Jr."
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Contact email; changing a linked consumer's email re-verifies the login.",
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Main phone; without a leading + it is read in the default region.",
    )
    mobile_phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Mobile phone; without a leading + it is read in the default region.",
    )
    address: AddressInput | None = strawberry.field(
        default=strawberry.UNSET, description="Postal address; omitted parts stay as they are."
    )
    date_of_birth: dt.date | None = strawberry.field(
        default=strawberry.UNSET, description="Date of birth."
    )
    preferred_language: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Preferred language: a tag such as `en` or `pt-BR`.",
    )
    notify_email: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Whether the consumer wants notifications by email."
    )
    notify_sms: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Whether the consumer wants notifications by SMS."
    )
    sla_level: SlaLevel | None = strawberry.field(
        default=strawberry.UNSET, description="Service level (internal users)."
    )
    twitter_handle: str | None = strawberry.field(
        default=strawberry.UNSET, description="Twitter/X handle, with or without @."
    )
    facebook_url: str | None = strawberry.field(
        default=strawberry.UNSET, description="Facebook profile URL."
    )
    linkedin_url: str | None = strawberry.field(
        default=strawberry.UNSET, description="LinkedIn profile URL."
    )
    personal_email: str | None = strawberry.field(
        default=strawberry.UNSET, description="Another, personal email address."
    )
    external_id: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The consumer's id in another system; unique (internal users).",
    )


@strawberry.input(
    description="Changes to a consumer. Internal users change any field; a consumer changes "
    "their own name, phones, address, language, notification preferences and social accounts."
)
class ConsumerUpdateInput(ConsumerCreateInput):
    id: strawberry.ID = strawberry.field(description="The consumer to change.")
    is_active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="false deactivates the record (internal users)."
    )
    custom_fields: list[CustomFieldInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Custom fields to set (each one's write rules apply); all or none.",
    )


@strawberry.input(description="Make a login from a consumer and link it (administrators).")
class ConsumerUserCreateInput:
    consumer_id: strawberry.ID = strawberry.field(description="The consumer.")
    user_type: UserType = strawberry.field(
        default=UserType.EXTERNAL, description="EXTERNAL (default) or INTERNAL."
    )
    password: str | None = strawberry.field(
        default=None, description="Initial password; without one the user is emailed a link."
    )


@strawberry.input(description="Link an existing user to a consumer (administrators).")
class ConsumerUserAssociateInput:
    consumer_id: strawberry.ID = strawberry.field(description="The consumer.")
    user_id: strawberry.ID = strawberry.field(description="The user.")


@strawberry.input(description="Unlink a consumer's user (administrators).")
class ConsumerUserDissociateInput:
    consumer_id: strawberry.ID = strawberry.field(description="The consumer.")


@strawberry.input(description="A CSV file of consumers to import (administrators).")
class ConsumerImportInput:
    file: Upload = strawberry.field(description="UTF-8 CSV with a header row.")


@strawberry.input(description="Register as a consumer.")
class ConsumerSignupInput:
    email: str = strawberry.field(description="Email; a verification link is sent to it.")
    password: str = strawberry.field(description="At least 10 characters.")
    first_name: str = strawberry.field(description="Given name.")
    last_name: str = strawberry.field(description="Family name.")
    phone: str | None = strawberry.field(default=None, description="Phone (optional).")


@strawberry.input(description="The token from a verification email.")
class EmailVerifyInput:
    token: str = strawberry.field(description="The `token` of the link.")


@strawberry.input(description="Ask for a password reset link.")
class PasswordResetRequestInput:
    email: str = strawberry.field(description="The account's email.")


@strawberry.input(description="Set a new password with a reset link's token.")
class PasswordResetInput:
    token: str = strawberry.field(description="The `token` of the link.")
    password: str = strawberry.field(description="The new password, at least 10 characters.")
