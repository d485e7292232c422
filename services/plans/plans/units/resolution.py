"""Unit names as documents write them → directory organisations.

The directory matches a name, an alias ("市教育局" → 南宁市教育局) or a collective phrase
("各县区人民政府" → every district government). Lists in documents drop the city prefix after
the first item ("市教育局、财政局、发展改革委"), so a name the directory does not know is tried
again as "市" + name. When the directory cannot be reached, every name stays `pending` and is
retried by a worker job; a name the directory does not know is `unmatched`, for a person to map.
Nothing is ever dropped.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import structlog
from pydantic import ValidationError

from plans.models import ResolutionStatus
from shared.clients.directory import DirectoryClient, LookupRequest, NameMatch, OrganizationRef
from shared.errors import AppError

log = structlog.get_logger("plans.units")

_LOOKUP_BATCH = 500
_NO_CITY_PREFIX = ("市", "各", "全市", "南宁", "自治区", "广西", "区", "县")


@dataclass(frozen=True, slots=True)
class Resolution:
    status: ResolutionStatus
    match: str | None = None
    organizations: tuple[OrganizationRef, ...] = field(default_factory=tuple)


PENDING = Resolution(ResolutionStatus.pending)


def city_variant(name: str) -> str | None:
    if name.startswith(_NO_CITY_PREFIX) or len(name) > 12:
        return None
    return f"市{name}"


class UnitResolver:
    """Resolves names through the directory; `client=None` means "directory not configured"."""

    def __init__(self, client: DirectoryClient | None) -> None:
        self.client = client

    async def resolve(self, names: Sequence[str], *, as_of: date | None) -> dict[str, Resolution]:
        unique = list(dict.fromkeys(names))
        if not unique:
            return {}
        if self.client is None:
            return dict.fromkeys(unique, PENDING)
        queries = list(dict.fromkeys([*unique, *filter(None, map(city_variant, unique))]))
        matches: dict[str, NameMatch] = {}
        try:
            for start in range(0, len(queries), _LOOKUP_BATCH):
                result = await self.client.lookup(
                    LookupRequest(names=queries[start : start + _LOOKUP_BATCH], as_of=as_of)
                )
                matches.update({match.query: match for match in result.names})
        except (AppError, ValidationError) as error:
            # Down, refusing, or speaking another contract: keep every name, retry later.
            log.warning("directory_lookup_failed", error=repr(error)[:300], names=len(unique))
            return dict.fromkeys(unique, PENDING)

        resolved: dict[str, Resolution] = {}
        for name in unique:
            found = _found(matches.get(name))
            variant = city_variant(name)
            if found is None and variant is not None:
                found = _found(matches.get(variant))
            resolved[name] = found or Resolution(ResolutionStatus.unmatched, "none")
        return resolved


def _found(match: NameMatch | None) -> Resolution | None:
    if match is None or match.match == "none" or not match.organizations:
        return None
    return Resolution(ResolutionStatus.resolved, match.match, tuple(match.organizations))
