import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from supervision.models import AccountabilityStatus, AccountabilitySubject


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BasisDocument(_Model):
    title: str = Field(min_length=1, max_length=300, description="e.g. 督导意见书、问责决定")
    number: str | None = Field(default=None, max_length=100, description="文号")
    issued_on: date | None = None
    url: str | None = Field(default=None, max_length=500)
    attachment_id: uuid.UUID | None = None


class ActionCreate(_Model):
    finding_id: uuid.UUID | None = None
    assessment_id: uuid.UUID | None = None
    district_code: str | None = Field(
        default=None, min_length=6, max_length=20, pattern=r"^[0-9]+$"
    )
    subject_type: AccountabilitySubject
    subject_org_code: str | None = Field(
        default=None, min_length=1, max_length=20, pattern=r"^[0-9]+$"
    )
    subject_name: str = Field(min_length=1, max_length=200, description="Unit or person")
    subject_position: str | None = Field(default=None, max_length=100)
    private_institution: bool = Field(
        default=False, description="A private school or training institution (extra forms)"
    )
    situation: str = Field(min_length=1, max_length=40)
    form: str = Field(min_length=1, max_length=40)
    basis: str = Field(min_length=1, max_length=5000, description="问责依据（条款与事实）")
    basis_documents: list[BasisDocument] = Field(min_length=1, max_length=20)
    evidence_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    note: str | None = Field(default=None, max_length=5000)


class ActionDecision(_Model):
    on: date | None = None
    note: str | None = Field(default=None, max_length=5000)


class ActionRevoke(_Model):
    reason: str = Field(min_length=1, max_length=5000)


class ActionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: int
    finding_id: uuid.UUID | None
    assessment_id: uuid.UUID | None
    district_code: str
    subject_type: AccountabilitySubject
    subject_org_code: str | None
    subject_name: str
    subject_position: str | None
    private_institution: bool
    situation: str
    form: str
    basis: str
    basis_documents: list[dict[str, Any]]
    evidence_ids: list[uuid.UUID]
    status: AccountabilityStatus
    decided_on: date | None
    executed_on: date | None
    note: str | None
    created_at: datetime


class NamedCode(BaseModel):
    code: str
    name: str


class FormCatalogue(BaseModel):
    unit_forms: list[NamedCode]
    individual_forms: list[NamedCode]
    private_individual_forms: list[NamedCode]
    situations: list[NamedCode]
    basis: str
