import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from directory.models import ClientKind
from directory.text import PRINTABLE

ClientId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"
    ),
]
ClientName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=PRINTABLE)
]
Scope = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+(:[a-z0-9_]+)+$", max_length=80)]


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: ClientId | None = Field(
        default=None, description="Chosen by the bureau (e.g. `property-registry`) or generated."
    )
    name: ClientName
    scopes: list[Scope] = Field(min_length=1, max_length=50)
    rate_limit_per_minute: int | None = Field(
        default=None, ge=1, le=100_000, description="Requests per minute across the platform."
    )
    organization_id: uuid.UUID | None = Field(
        default=None, description="The agency this client belongs to."
    )


class ClientUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    scopes: list[Scope] | None = Field(default=None, min_length=1, max_length=50)
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=100_000)
    is_active: bool | None = None


class ClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: str
    name: str
    kind: ClientKind
    scopes: list[str]
    rate_limit_per_minute: int | None
    organization_id: uuid.UUID | None
    is_active: bool
    created_at: datetime
    secret_rotated_at: datetime | None


class ClientWithSecret(ClientRead):
    client_secret: str = Field(description="Shown once; only its hash is stored.")
