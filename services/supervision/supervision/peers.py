"""The services supervision reads from, over HTTP with a service token from the directory.

Organisations come from the directory; plan-task progress (督政) from plans; enrolment shares
(就近入学, 随迁子女) from enrolment. Reads that feed an evaluation degrade: a peer that is down
or refuses gives "insufficient data" for the items it feeds, recorded with the result.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from shared.auth import service_token_source
from shared.clients.directory import DirectoryClient, LookupRequest, OrganizationRef
from shared.clients.enrolment import EnrolmentClient
from shared.clients.plans import PlansClient
from shared.errors import AppError, FieldError, InvalidInput
from shared.i18n import Text
from supervision.config import Settings

COUNTY_KINDS = ("government", "district_bureau")
SCHOOL_KINDS = ("school", "kindergarten")
LOOKUP_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Peers:
    directory: DirectoryClient
    plans: PlansClient
    enrolment: EnrolmentClient


def build_peers(settings: Settings, http: httpx.AsyncClient) -> Peers:
    token = service_token_source(settings, http, scope=settings.peer_token_scope or None)
    options: dict[str, Any] = {
        "http": http,
        "token_source": token,
        "timeout": settings.http_timeout_seconds,
        "retries": settings.http_retries,
    }
    return Peers(
        directory=DirectoryClient(peer="directory", base_url=settings.directory_url, **options),
        plans=PlansClient(peer="plans", base_url=settings.plans_url, **options),
        enrolment=EnrolmentClient(peer="enrolment", base_url=settings.enrolment_url, **options),
    )


async def get_peers(request: Request) -> Peers:
    peers: Peers = request.app.state.peers
    return peers


PeersDep = Annotated[Peers, Depends(get_peers)]


@dataclass(frozen=True, slots=True)
class Org:
    """What supervision keeps of an organisation: its code, a display name and its district."""

    code: str
    name: str
    kind: str
    district_code: str
    stages: tuple[str, ...] = ()


def _county_name(org: OrganizationRef) -> str:
    # A district bureau (青秀区教育局) stands for its county (青秀区) when no government record exists.
    return org.name.removesuffix("教育局") if org.kind == "district_bureau" else org.name


async def lookup_orgs(
    peers: Peers, codes: Sequence[str], *, kinds: Sequence[str]
) -> dict[str, Org]:
    """The organisations the directory knows among ``codes`` (of the given kinds)."""
    wanted = list(dict.fromkeys(codes))
    organizations = []
    # The look-up contract takes at most LOOKUP_BATCH codes per call.
    for start in range(0, len(wanted), LOOKUP_BATCH):
        result = await peers.directory.lookup(
            LookupRequest(codes=wanted[start : start + LOOKUP_BATCH])
        )
        organizations.extend(result.organizations)
    found: dict[str, Org] = {}
    for org in organizations:
        if org.code is None or org.kind not in kinds:
            continue
        current = found.get(org.code)
        # Prefer the government over its education bureau for a county code.
        if current is not None and current.kind == "government":
            continue
        district = org.district_code or (org.code if org.kind in COUNTY_KINDS else None)
        if district is None:
            continue
        found[org.code] = Org(
            code=org.code,
            name=_county_name(org) if org.kind in COUNTY_KINDS else org.name,
            kind=org.kind,
            district_code=district,
            stages=tuple(org.stages),
        )
    return found


async def resolve_orgs(
    peers: Peers, codes: Sequence[str], *, field: str, kinds: Sequence[str]
) -> dict[str, Org]:
    """Look codes up in the directory; a code it does not know (or of another kind) is a 422
    naming ``field`` (with the index of the code when several were given)."""
    wanted = list(dict.fromkeys(codes))
    found = await lookup_orgs(peers, wanted, kinds=kinds)
    missing = [code for code in wanted if code not in found]
    if missing:
        what = "学校或幼儿园" if set(kinds) <= set(SCHOOL_KINDS) else "县区"
        errors = []
        for code in missing:
            where = field if len(codes) == 1 else f"{field}[{list(codes).index(code)}]"
            errors.append(
                FieldError(
                    field=where,
                    message=str(Text(f"目录中没有{what} {code}", f"No such organisation: {code}")),
                    type="unknown_organization",
                )
            )
        raise InvalidInput(
            Text(f"目录中没有这些{what}：{'、'.join(missing)}", "Unknown organisations"),
            errors=errors,
        )
    return found


async def resolve_school(peers: Peers, code: str, *, field: str) -> Org:
    return (await resolve_orgs(peers, [code], field=field, kinds=SCHOOL_KINDS))[code]


async def resolve_county(peers: Peers, code: str, *, field: str) -> Org:
    return (await resolve_orgs(peers, [code], field=field, kinds=COUNTY_KINDS))[code]


def peer_failure(error: AppError) -> str:
    """A short, log-safe description of why a peer could not be read."""
    return f"{error.code}: {error.detail or error.title}"
