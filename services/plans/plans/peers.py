"""Typed clients for the services plans calls, with service tokens from the directory."""

import httpx

from plans.config import Settings
from shared.auth import service_token_source
from shared.clients.directory import DirectoryClient
from shared.clients.enrolment import STATS_SCOPE, EnrolmentClient


def directory_client(settings: Settings, http: httpx.AsyncClient) -> DirectoryClient:
    return DirectoryClient(
        peer="directory",
        base_url=settings.directory_url,
        http=http,
        token_source=service_token_source(settings, http),
        timeout=settings.http_timeout_seconds,
        retries=settings.http_retries,
    )


def enrolment_client(settings: Settings, http: httpx.AsyncClient) -> EnrolmentClient:
    return EnrolmentClient(
        peer="enrolment",
        base_url=settings.enrolment_url,
        http=http,
        token_source=service_token_source(settings, http, scope=STATS_SCOPE),
        timeout=settings.http_timeout_seconds,
        retries=settings.http_retries,
    )
