"""Parents sign in with a phone number and an SMS code; every limit is enforced."""

from datetime import timedelta

import httpx
import jwt
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from directory.auth.service import SMS_CODE_GRANT, normalize_phone
from directory.auth.sms import HttpSmsSender
from directory.models import ParentAccount, SmsCode
from shared.errors import InvalidInput
from shared.ratelimit import RATE_LIMIT_KEY

from .conftest import bearer, random_phone, runtime_of


async def send_code(directory: httpx.AsyncClient, phone: str) -> httpx.Response:
    return await directory.post("/v1/auth/sms-codes", json={"phone": phone})


async def last_code(directory: httpx.AsyncClient, phone: str) -> str:
    outbox = (await directory.get("/v1/dev/sms-outbox", params={"phone": phone})).json()
    return str(outbox["items"][0]["code"])


async def exchange(directory: httpx.AsyncClient, phone: str, code: str) -> httpx.Response:
    return await directory.post(
        "/v1/auth/token", data={"grant_type": SMS_CODE_GRANT, "phone": phone, "code": code}
    )


async def age_codes(session: AsyncSession, seconds: int) -> None:
    """Move every stored code into the past (instead of waiting)."""
    await session.execute(
        update(SmsCode).values(
            created_at=SmsCode.created_at - timedelta(seconds=seconds),
            expires_at=SmsCode.expires_at - timedelta(seconds=seconds),
        )
    )
    await session.commit()


async def test_a_parent_signs_in_with_the_code_from_the_sms(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    phone = random_phone()

    sent = await send_code(directory, phone)
    code = await last_code(directory, phone)
    tokens = await exchange(directory, phone, code)

    assert sent.status_code == 201
    assert sent.json() == {
        "phone": f"{phone[:3]}****{phone[-4:]}",
        "expires_in": 300,
        "resend_after": 60,
    }
    assert len(code) == 6
    assert code.isdigit()
    assert tokens.status_code == 200
    body = tokens.json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["kind"] == "parent"
    assert claims["sub"].startswith("parent:")
    assert claims["roles"] == ["parent"]
    me = (await directory.get("/v1/me", headers=bearer(body["access_token"]))).json()
    assert me["phone"] == f"{phone[:3]}****{phone[-4:]}"
    assert body["refresh_token"]


async def test_the_same_phone_is_the_same_parent_and_is_stored_encrypted(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    phone = random_phone()
    subjects = []
    for round_ in range(2):
        if round_:
            await age_codes(session, 61)
        await send_code(directory, phone)
        body = (await exchange(directory, phone, await last_code(directory, phone))).json()
        subjects.append(
            jwt.decode(body["access_token"], options={"verify_signature": False})["sub"]
        )

    assert subjects[0] == subjects[1]
    parent = await session.get(ParentAccount, __import__("uuid").UUID(subjects[0].split(":")[1]))
    assert parent is not None
    assert phone.encode() not in parent.phone_encrypted
    assert phone not in parent.phone_index
    runtime = runtime_of(directory)
    from directory.crypto import Encrypted

    plain = runtime.crypto.phones.decrypt(Encrypted(parent.phone_key_id, parent.phone_encrypted))
    assert plain.decode() == phone


async def test_a_code_is_used_once(directory: httpx.AsyncClient) -> None:
    phone = random_phone()
    await send_code(directory, phone)
    code = await last_code(directory, phone)

    assert (await exchange(directory, phone, code)).status_code == 200
    again = await exchange(directory, phone, code)

    assert again.status_code == 400
    assert again.json()["code"] == "auth.invalid_grant"


async def test_one_send_per_phone_per_60_seconds(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    phone = random_phone()
    assert (await send_code(directory, phone)).status_code == 201

    too_soon = await send_code(directory, phone)

    assert too_soon.status_code == 429
    assert too_soon.headers["content-type"] == "application/problem+json"
    assert too_soon.json()["code"] == "rate_limited"
    assert 55 <= int(too_soon.headers["retry-after"]) <= 60
    other_phone = random_phone()
    assert (await send_code(directory, other_phone)).status_code == 201

    await age_codes(session, 61)
    assert (await send_code(directory, phone)).status_code == 201


async def test_a_daily_cap_per_phone(make_directory, session: AsyncSession) -> None:
    directory = await make_directory(sms_daily_limit=3)
    phone = random_phone()
    for _ in range(3):
        assert (await send_code(directory, phone)).status_code == 201
        await age_codes(session, 61)

    capped = await send_code(directory, phone)

    assert capped.status_code == 429
    assert "明天" in capped.json()["detail"]
    assert int(capped.headers["retry-after"]) <= 24 * 3600


async def test_the_daily_cap_counts_the_local_day(make_directory, session: AsyncSession) -> None:
    directory = await make_directory(sms_daily_limit=1)
    phone = random_phone()
    assert (await send_code(directory, phone)).status_code == 201
    await age_codes(session, 26 * 3600)  # yesterday, whatever the hour now

    assert (await send_code(directory, phone)).status_code == 201


async def test_at_most_five_tries_per_code(directory: httpx.AsyncClient) -> None:
    phone = random_phone()
    await send_code(directory, phone)
    code = await last_code(directory, phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    answers = [await exchange(directory, phone, wrong) for _ in range(5)]
    right_but_too_late = await exchange(directory, phone, code)

    assert [answer.status_code for answer in answers] == [400] * 5
    assert "还可尝试 4 次" in answers[0].json()["detail"]
    assert "错误次数过多" in answers[4].json()["detail"]
    assert right_but_too_late.status_code == 400
    assert "错误次数过多" in right_but_too_late.json()["detail"]


async def test_a_code_expires_after_five_minutes(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    phone = random_phone()
    await send_code(directory, phone)
    code = await last_code(directory, phone)
    await age_codes(session, 301)

    expired = await exchange(directory, phone, code)

    assert expired.status_code == 400
    assert "过期" in expired.json()["detail"]


async def test_a_new_code_replaces_the_old_one(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    phone = random_phone()
    await send_code(directory, phone)
    old = await last_code(directory, phone)
    await age_codes(session, 61)
    await send_code(directory, phone)
    new = await last_code(directory, phone)

    if old != new:
        assert (await exchange(directory, phone, old)).status_code == 400
    assert (await exchange(directory, phone, new)).status_code == 200


async def test_sends_per_network_address_are_limited(make_directory, redis_url: str) -> None:
    redis: Redis = Redis.from_url(redis_url)
    await redis.delete(RATE_LIMIT_KEY.format(name="sms-ip:127.0.0.1"))
    await redis.aclose()
    directory = await make_directory(sms_hourly_limit_per_ip=2)
    for _ in range(2):
        assert (await send_code(directory, random_phone())).status_code == 201

    refused = await send_code(directory, random_phone())

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0


async def test_limits_in_postgres_hold_when_redis_is_down(make_directory) -> None:
    directory = await make_directory(redis_url="redis://127.0.0.1:1/0")
    phone = random_phone()

    assert (await send_code(directory, phone)).status_code == 201
    assert (await send_code(directory, phone)).status_code == 429


async def test_bad_phone_numbers_are_a_422_naming_the_field(directory: httpx.AsyncClient) -> None:
    for phone in ("12345", "2380013800", "1380013800a", "+1 202 555 0100"):
        response = await send_code(directory, phone)
        assert response.status_code == 422, phone
        assert response.json()["errors"][0]["field"] == "body.phone"
    missing = await directory.post(
        "/v1/auth/token", data={"grant_type": SMS_CODE_GRANT, "phone": random_phone()}
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.code"


async def test_a_failing_sms_gateway_stores_no_code(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    runtime = runtime_of(directory)
    original = runtime.sms
    async with httpx.AsyncClient() as http:
        runtime.sms = HttpSmsSender("http://127.0.0.1:1/send", http)
        try:
            phone = random_phone()
            response = await send_code(directory, phone)
        finally:
            runtime.sms = original

    assert response.status_code == 503
    index = runtime.crypto.phone_index(phone)
    assert (await session.scalars(select(SmsCode).where(SmsCode.phone_index == index))).all() == []
    # Nothing stored, so the family may ask again at once.
    assert (await send_code(directory, phone)).status_code == 201


@given(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.sampled_from(["", "+86", "86", "0086", "+86 "]),
    st.sampled_from(["", " ", "-"]),
)
def test_phone_numbers_normalize_to_eleven_digits(number: str, prefix: str, sep: str) -> None:
    written = prefix + sep.join([number[:3], number[3:7], number[7:]])

    assert normalize_phone(written) == number


@given(st.text(max_size=20))
def test_anything_else_is_refused_not_crashed(value: str) -> None:
    try:
        result = normalize_phone(value)
    except InvalidInput:
        return
    assert len(result) == 11
    assert result.startswith("1")
