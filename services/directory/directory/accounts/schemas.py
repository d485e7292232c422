import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from directory.text import NO_NUL, PRINTABLE
from shared.auth import Role, ScopeLevel

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"
    ),
]
Password = Annotated[str, StringConstraints(min_length=10, max_length=128, pattern=NO_NUL)]
DisplayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=PRINTABLE)
]


class GrantIn(BaseModel):
    """A role and where it applies: `city` + 450100, `district` + a district code, `school` +
    a 学校标识码, `org` + an organisation id (unit reporters)."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    level: ScopeLevel
    code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=NO_NUL)
    ]


class GrantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: Role
    level: ScopeLevel
    code: str
    organization_id: uuid.UUID | None
    district_code: str | None
    granted_by: str | None
    created_at: datetime
    grant: str = Field(description="As it appears in tokens: `role@level:code`.")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    display_name: DisplayName
    password: Password
    grants: list[GrantIn] = Field(default_factory=list, max_length=20)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    is_active: bool | None = None
    password: Password | None = Field(
        default=None, description="A new password; signs the user out everywhere."
    )


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    display_name: str
    is_active: bool
    locked_until: datetime | None
    last_sign_in_at: datetime | None
    created_at: datetime
    grants: list[GrantRead]


class UserFilters(BaseModel):
    q: str | None = Field(
        default=None, max_length=64, pattern=NO_NUL, description="Part of username or name."
    )
    role: Role | None = None
    district_code: str | None = Field(default=None, max_length=20, pattern=NO_NUL)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Annotated[str, StringConstraints(max_length=128, pattern=NO_NUL)]
    new_password: Password
