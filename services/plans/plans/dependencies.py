"""Request-scoped helpers shared by the routers."""

from typing import Annotated

from fastapi import Depends, Request

from plans.oversight.ladder import Ladder
from plans.policies import Access, PlanStaff
from plans.units.resolution import UnitResolver
from shared.clients.directory import DirectoryClient


def get_ladder(request: Request) -> Ladder:
    return Ladder.from_settings(request.app.state.settings)


def get_directory(request: Request) -> DirectoryClient:
    client: DirectoryClient = request.app.state.directory
    return client


def get_resolver(request: Request) -> UnitResolver:
    return UnitResolver(getattr(request.app.state, "directory", None))


def get_access(principal: PlanStaff) -> Access:
    return Access.of(principal)


LadderDep = Annotated[Ladder, Depends(get_ladder)]
Directory = Annotated[DirectoryClient, Depends(get_directory)]
Resolver = Annotated[UnitResolver, Depends(get_resolver)]
StaffAccess = Annotated[Access, Depends(get_access)]
