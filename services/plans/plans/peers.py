"""Typed clients for the services plans calls, with service tokens from the directory."""

import httpx

from plans.config import Settings
from shared.clients.directory import DirectoryClient
from shared.clients.enrolment import STATS_SCOPE, EnrolmentClient
from shared.http import ClientCredentialsToken


def service_token(
    settings: Settings, http: httpx.AsyncClient, scope: str | None = None
) -> ClientCredentialsToken:
    return ClientCredentialsToken(
        token_url=f"{settings.directory_url.rstrip('/')}/v1/auth/token",
        client_id=settings.service_client_id,
        client_secret=settings.service_client_secret,
        scope=scope,
        http=http,
    )


def directory_client(settings: Settings, http: httpx.AsyncClient) -> DirectoryClient:
    return DirectoryClient(
        peer="directory",
        base_url=settings.directory_url,
        http=http,
        token_source=service_token(settings, http),
        timeout=settings.http_timeout_seconds,
        retries=settings.http_retries,
    )


def enrolment_client(settings: Settings, http: httpx.AsyncClient) -> EnrolmentClient:
    return EnrolmentClient(
        peer="enrolment",
        base_url=settings.enrolment_url,
        http=http,
        token_source=service_token(settings, http, STATS_SCOPE),
        timeout=settings.http_timeout_seconds,
        retries=settings.http_retries,
    )
