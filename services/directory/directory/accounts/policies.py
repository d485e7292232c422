"""Who may manage accounts: city admins everyone; district admins the people whose every grant
lies in their district (so they can never take over a city admin's account)."""

from typing import Annotated

from fastapi import Depends

from shared.auth import Authorize, Principal, Role

AccountAdmin = Annotated[Principal, Depends(Authorize(Role.city_admin, Role.district_admin))]
