"""Who may read and change organisations."""

from typing import Annotated

from fastapi import Depends

from shared.auth import Authorize, Principal, Role

READ_SCOPE = "directory:organizations:read"

# Everyone signed in reads the directory (schools are public facts; families choose among
# them); agency clients need the read scope; our services always may.
OrganizationReader = Annotated[
    Principal,
    Depends(
        Authorize(
            Role.city_admin,
            Role.district_admin,
            Role.school_staff,
            Role.inspector,
            Role.unit_reporter,
            Role.parent,
            scopes=[READ_SCOPE],
            allow_service=True,
        )
    ),
]
# City admins change anything; district admins their own district's schools (checked in the
# service and in the query that loads the unit).
OrganizationAdmin = Annotated[Principal, Depends(Authorize(Role.city_admin, Role.district_admin))]
