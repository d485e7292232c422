import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from enrolment.cycles.schemas import Address, DistrictCode
from enrolment.models import (
    DocumentKind,
    EmploymentProof,
    GuardianRelation,
    PropertyOwner,
    PropertyOwnership,
    ResidenceProof,
    Sex,
)

PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Number = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=40)]

ClaimCode = Literal[
    "high_level_talent",  # 南宁市高层次人才子女
    "military",  # 现役军人子女
    "martyr",  # 烈士子女
    "fire_rescue",  # 消防救援人员子女
    "public_security_hero",  # 公安英模子女
    "overseas_chinese",  # 华侨子女
    "other_policy",
]


class ChildCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PersonName
    id_number: str = Field(min_length=1, max_length=30, description="居民身份证号码 (GB 11643)")
    birth_date: date | None = Field(default=None, description="If given, must match the ID number.")
    sex: Sex | None = Field(default=None, description="If given, must match the ID number.")


class ChildRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    sex: Sex
    birth_date: date
    id_number: str = Field(validation_alias="id_number_masked", description="Masked.")
    created_at: datetime


class GuardianIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    relation: GuardianRelation
    name: PersonName
    phone: str | None = Field(default=None, pattern=r"^1\d{10}$")
    id_number: str | None = Field(default=None, min_length=1, max_length=30)
    hukou_in_nanning: bool = False
    residence_permit_district_code: DistrictCode | None = Field(
        default=None, description="District that issued the 广西居住证 (随迁子女)."
    )
    residence_permit_valid_until: date | None = None


class GuardianRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    relation: GuardianRelation
    name: str
    phone: str | None = Field(validation_alias="phone_masked")
    id_number: str | None = Field(validation_alias="id_number_masked")
    hukou_in_nanning: bool
    residence_permit_district_code: str | None
    residence_permit_valid_until: date | None


class FactsIn(BaseModel):
    """Everything a family declares; the whole form is sent each time."""

    model_config = ConfigDict(extra="forbid")

    hukou_address: Address | None = Field(default=None, description="户籍地址")
    hukou_move_in_date: date | None = Field(default=None, description="户籍迁入日期")
    three_generations: bool = Field(default=False, description="三代同堂")
    has_property: bool = False
    property_address: Address | None = None
    property_certificate_number: Number | None = Field(default=None, description="不动产权证号")
    property_ownership: PropertyOwnership | None = None
    property_share: Decimal | None = Field(default=None, gt=0, le=1, max_digits=5, decimal_places=4)
    property_owner: PropertyOwner | None = None
    property_handover_date: date | None = None
    lives_at_property: bool = False
    residence_address: Address | None = Field(default=None, description="实际居住地址")
    residence_proof: ResidenceProof | None = None
    employment_proof: EmploymentProof | None = None
    social_insurance_months: int | None = Field(default=None, ge=0, le=600)
    claims: list[ClaimCode] = Field(default_factory=list, max_length=7)
    guardians: list[GuardianIn] = Field(default_factory=list, max_length=4)

    @model_validator(mode="after")
    def _property_complete(self) -> Self:
        if self.has_property:
            missing = [
                name
                for name in (
                    "property_address",
                    "property_certificate_number",
                    "property_ownership",
                    "property_owner",
                    "property_handover_date",
                )
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"with has_property, also give: {', '.join(missing)}")
            if self.property_ownership == PropertyOwnership.shared and self.property_share is None:
                raise ValueError("a shared property needs property_share")
        return self


class FactsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    hukou_address: Address | None
    hukou_move_in_date: date | None
    three_generations: bool
    has_property: bool
    property_address: Address | None
    property_certificate_number: str | None = Field(validation_alias="property_certificate_masked")
    property_ownership: PropertyOwnership | None
    property_share: Decimal | None
    property_owner: PropertyOwner | None
    property_handover_date: date | None
    lives_at_property: bool
    residence_address: Address | None
    residence_proof: ResidenceProof | None
    employment_proof: EmploymentProof | None
    social_insurance_months: int | None
    claims: list[str]
    guardians: list[GuardianRead] = Field(default_factory=list)


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    child_id: uuid.UUID
    kind: DocumentKind
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime
