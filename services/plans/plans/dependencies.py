"""Request-scoped helpers shared by the routers."""

from typing import Annotated

from fastapi import Depends, Request

from plans.oversight.ladder import Ladder
from plans.policies import Access, PlanStaff
from plans.units.resolution import UnitResolver
from shared.clients.directory import DirectoryClient
from shared.errors import InvalidInput
from shared.i18n import Text
from shared.pagination import CursorParams, decode_cursor


def get_ladder(request: Request) -> Ladder:
    return Ladder.from_settings(request.app.state.settings)


def get_directory(request: Request) -> DirectoryClient:
    client: DirectoryClient = request.app.state.directory
    return client


def get_resolver(request: Request) -> UnitResolver:
    return UnitResolver(getattr(request.app.state, "directory", None))


def get_access(principal: PlanStaff) -> Access:
    return Access.of(principal)


def check_cursor(params: CursorParams, *types: type) -> None:
    """Refuse a cursor whose values are not of the sort keys' types (a 422, not a SQL error)."""
    if params.cursor is None:
        return
    values = decode_cursor(params.cursor, len(types))
    if not all(
        isinstance(v, t) and not (t is int and isinstance(v, bool))
        for v, t in zip(values, types, strict=True)
    ):
        raise InvalidInput.for_field(
            "query.cursor", Text("分页游标无效", "The cursor is not valid"), "cursor_invalid"
        )


LadderDep = Annotated[Ladder, Depends(get_ladder)]
Directory = Annotated[DirectoryClient, Depends(get_directory)]
Resolver = Annotated[UnitResolver, Depends(get_resolver)]
StaffAccess = Annotated[Access, Depends(get_access)]
