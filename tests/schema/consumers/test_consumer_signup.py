from __future__ import annotations

import httpx

from csm_graph.accounts.models import User
from csm_graph.consumers.models import Consumer
from tests.mail import Mailbox
from tests.schema.consumers.helpers import link_token, make_consumer
from tests.support import LOGIN, PASSWORD, GraphQLClient, login, make_user

SIGNUP = """
mutation Signup($input: ConsumerSignupInput!) {
  consumerSignup(input: $input) { message errors { field message code } }
}
"""
VERIFY = """
mutation Verify($input: EmailVerifyInput!) {
  emailVerify(input: $input) {
    user { id } consumer { id number reviewReason }
    errors { field message code }
  }
}
"""
MY_CONSUMER = "{ viewer { consumer { id number firstName lastName email phone } } }"


def signup_input(email: str, **extra: str) -> dict[str, object]:
    return {
        "input": {
            "email": email,
            "password": PASSWORD,
            "firstName": "Sam",
            "lastName": "Signup",
            **extra,
        }
    }


async def test_signup_then_verify_creates_a_consumer_and_allows_login(
    anon_client: GraphQLClient, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    signup = await anon_client.data(SIGNUP, signup_input("sam@example.com", phone="415 555 0199"))
    assert signup["consumerSignup"]["errors"] == []
    (message,) = await mailbox.settle()
    assert message["To"] == "sam@example.com"
    assert "/verify-email?token=" in message.get_body(preferencelist=("plain",)).get_content()

    # when
    verified = (await anon_client.data(VERIFY, {"input": {"token": link_token(message)}}))[
        "emailVerify"
    ]

    # then
    assert verified["errors"] == []
    assert verified["consumer"]["number"] == "CON0001001"
    client = await login(http, "sam@example.com")
    me = (await client.data(MY_CONSUMER))["viewer"]["consumer"]
    assert (me["firstName"], me["lastName"], me["phone"]) == ("Sam", "Signup", "+14155550199")


async def test_unverified_signup_cannot_log_in(
    anon_client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    await anon_client.data(SIGNUP, signup_input("early@example.com"))

    response = await anon_client.data(
        LOGIN, {"input": {"email": "early@example.com", "password": PASSWORD}}
    )

    assert [e["code"] for e in response["login"]["errors"]] == ["INVALID_STATE"]


async def test_signup_claims_the_imported_consumer_with_that_email(
    anon_client: GraphQLClient, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given: a record made before the person ever signed up
    imported = await make_consumer(
        first_name="Samantha", last_name="Imported", email="sam@example.com"
    )

    # when
    await anon_client.data(SIGNUP, signup_input("SAM@example.com", phone="+1 415 555 0100"))
    (message,) = await mailbox.settle()
    verified = (await anon_client.data(VERIFY, {"input": {"token": link_token(message)}}))[
        "emailVerify"
    ]

    # then: the same record, now linked; its own name kept, empty phone filled
    assert verified["consumer"]["number"] == imported.number
    assert await Consumer.all().count() == 1
    await imported.refresh_from_db()
    user = await User.get(email="sam@example.com")
    assert imported.user_id == user.id
    assert (imported.first_name, imported.phone) == ("Samantha", "+14155550100")
    assert (user.first_name, user.last_name) == ("Samantha", "Imported")


async def test_two_imported_records_link_the_newest_and_flag_it(
    anon_client: GraphQLClient, mailbox: Mailbox
) -> None:
    older = await make_consumer(last_name="Older", email="twin@example.com")
    newer = await make_consumer(last_name="Newer", email="twin@example.com")

    await anon_client.data(SIGNUP, signup_input("twin@example.com"))
    (message,) = await mailbox.settle()
    verified = (await anon_client.data(VERIFY, {"input": {"token": link_token(message)}}))[
        "emailVerify"
    ]

    assert verified["consumer"]["number"] == newer.number
    await newer.refresh_from_db()
    await older.refresh_from_db()
    assert newer.user_id is not None
    assert older.user_id is None
    assert older.number in newer.review_reason


async def test_signup_with_a_registered_email_answers_the_same_and_tells_the_owner(
    anon_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given
    await make_user("taken@example.com")

    # when
    taken = await anon_client.data(SIGNUP, signup_input("taken@example.com"))
    fresh = await anon_client.data(SIGNUP, signup_input("fresh@example.com"))

    # then
    assert taken == fresh
    messages = await mailbox.settle()
    subjects = {str(m["To"]): str(m["Subject"]) for m in messages}
    assert set(subjects) == {"taken@example.com", "fresh@example.com"}
    assert subjects["taken@example.com"] != subjects["fresh@example.com"]
    assert await User.filter(email="taken@example.com").count() == 1


async def test_verification_tokens_are_single_use(
    anon_client: GraphQLClient, mailbox: Mailbox
) -> None:
    await anon_client.data(SIGNUP, signup_input("once@example.com"))
    token = link_token((await mailbox.settle())[0])
    await anon_client.data(VERIFY, {"input": {"token": token}})

    again = (await anon_client.data(VERIFY, {"input": {"token": token}}))["emailVerify"]

    assert again["errors"][0]["code"] == "EXPIRED"
    assert again["errors"][0]["field"] == "token"


async def test_verification_tokens_expire(anon_client: GraphQLClient, mailbox: Mailbox) -> None:
    import datetime as dt

    from csm_graph import clock

    await anon_client.data(SIGNUP, signup_input("late@example.com"))
    token = link_token((await mailbox.settle())[0])
    clock.travel(dt.timedelta(hours=49))

    late = (await anon_client.data(VERIFY, {"input": {"token": token}}))["emailVerify"]

    assert late["errors"][0]["code"] == "EXPIRED"
    assert not (await User.get(email="late@example.com")).email_verified


async def test_signup_validates_every_field_at_once(anon_client: GraphQLClient) -> None:
    payload = (
        await anon_client.data(
            SIGNUP,
            {"input": {"email": "bad", "password": "short", "firstName": "", "lastName": "X"}},
        )
    )["consumerSignup"]

    assert sorted(e["field"] for e in payload["errors"]) == ["email", "firstName", "password"]
    assert await User.all().count() == 0


async def test_signups_are_throttled_per_email(anon_client: GraphQLClient) -> None:
    for _ in range(5):
        await anon_client.data(SIGNUP, signup_input("spam@example.com"))

    payload = (await anon_client.data(SIGNUP, signup_input("spam@example.com")))["consumerSignup"]

    assert payload["errors"][0]["code"] == "THROTTLED"
