"""Helpers for consumer tests."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

from csm_graph.accounts.models import UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.consumers import services
from csm_graph.consumers.models import Consumer
from csm_graph.consumers.services import ConsumerDraft

STAFF = Viewer(user_id=0, user_type=UserType.INTERNAL, roles=frozenset({"ADMIN"}))

CONSUMER_FIELDS = """
  id number prefix firstName middleName lastName suffix fullName
  email phone mobilePhone dateOfBirth preferredLanguage slaLevel lastSurveyAt
  address { line1 line2 city region postalCode country }
  twitterHandle facebookUrl linkedinUrl personalEmail isActive externalId reviewReason
  user { id email }
"""


async def make_consumer(**values: Any) -> Consumer:
    values.setdefault("first_name", "Pat")
    values.setdefault("last_name", "Doe")
    return await services.create_consumer(STAFF, ConsumerDraft(**values))


def link_token(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(r"token=([A-Za-z0-9_\-]+)", body.get_content())
    assert match, body.get_content()
    return match.group(1)


def to_whom(messages: list[EmailMessage]) -> list[str]:
    return [str(m["To"]) for m in messages]
