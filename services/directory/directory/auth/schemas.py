from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class TokenResponse(BaseModel):
    """RFC 6749 §5.1, plus the session id (the tokens' `sid`)."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds the access token lives (900).")
    refresh_token: str | None = Field(
        default=None, description="Staff and parents only; each is usable once."
    )
    refresh_expires_in: int | None = None
    scope: str = ""
    session_id: str | None = None


class SmsCodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: Annotated[str, StringConstraints(min_length=1, max_length=20)] = Field(
        examples=["13800138000"]
    )


class SmsCodeSent(BaseModel):
    phone: str = Field(description="Masked: 138****8000.")
    expires_in: int = Field(description="Seconds the code stays valid.")
    resend_after: int = Field(description="Seconds before another code may be sent.")


class MeRead(BaseModel):
    subject: str
    kind: str
    name: str | None
    roles: list[str]
    scopes: list[str]
    session_id: str | None
    username: str | None = None
    phone: str | None = Field(default=None, description="Parents: masked.")
