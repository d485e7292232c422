import uuid
from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from enrolment.applications.schemas import ApplicationRead, Correction
from enrolment.families.schemas import DocumentRead, FactsRead
from enrolment.models import Agency, ApplicationStatus, CheckOutcome, Sex, Track

RETURN_REASONS = {
    "document_unclear": "材料不清晰",
    "document_missing": "材料不齐全",
    "address_mismatch": "地址与材料不一致",
    "hukou_mismatch": "户籍信息与公安核验结果不一致",
    "property_mismatch": "房产信息与不动产登记核验结果不一致",
    "other": "其他",
}
REJECT_REASONS = {
    "not_eligible": "不符合报名条件",
    "false_information": "提供虚假信息",
    "duplicate": "重复报名",
    "duplicate_child": "同一儿童由多个账号报名，经核实本份报名不予受理",
    "out_of_scope": "不属于本区招生范围",
    "other": "其他",
}
APPROVE_REASONS = {"materials_complete": "材料齐全、信息属实"}


class ReasonCode(BaseModel):
    decision: Literal["approve", "return", "reject"]
    code: str
    label: str


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "return", "reject"]
    reason_code: str = Field(min_length=1, max_length=60)
    message: str | None = Field(default=None, max_length=500, description="Shown to the family.")
    corrections: list[Correction] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _reason_fits(self) -> Self:
        codes = {"approve": APPROVE_REASONS, "return": RETURN_REASONS, "reject": REJECT_REASONS}[
            self.decision
        ]
        if self.reason_code not in codes:
            raise ValueError(f"reason_code for {self.decision} is one of: {', '.join(codes)}")
        if self.decision in ("return", "reject") and not self.message:
            raise ValueError("returning or rejecting needs a message for the family")
        if self.decision == "return" and not self.corrections:
            raise ValueError("returning needs at least one correction (field and message)")
        return self


class BulkApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    application_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    reason_code: Literal["materials_complete"] = "materials_complete"
    skip_flagged: bool = Field(
        default=True,
        description="Leave applications with verification flags for a person to look at.",
    )


class BulkSkip(BaseModel):
    id: uuid.UUID
    reason: str


class BulkApproveResult(BaseModel):
    approved: list[uuid.UUID]
    skipped: list[BulkSkip]


class QueueItem(BaseModel):
    id: uuid.UUID
    cycle_id: uuid.UUID
    child_name: str
    track: Track
    status: ApplicationStatus
    district_code: str | None
    school_codes: list[str]
    batch_code: str | None
    batch_order: int | None
    flags: list[str]
    verification_status: str
    submitted_at: datetime | None


class ChildSummary(BaseModel):
    id: uuid.UUID
    name: str
    sex: Sex
    birth_date: date
    id_number: str = Field(description="Masked.")


class VerificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    agency: Agency
    outcome: CheckOutcome
    details: dict[str, Any]
    attempts: int
    checked_at: datetime | None


class ReviewApplicationRead(ApplicationRead):
    child: ChildSummary
    parent_account: str = Field(description="The parent account that filed it (`parent:<id>`).")
    district_code: str | None
    school_codes: list[str]
    flags: list[str]
    facts_snapshot: dict[str, Any]
    facts: FactsRead
    documents: list[DocumentRead]
    verifications: list[VerificationRead]


class DuplicateResolutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keep: uuid.UUID = Field(
        description="The application that stays; the other live ones are rejected."
    )
    message: str = Field(
        min_length=1,
        max_length=500,
        description="Shown to the families whose applications are rejected (reason code "
        "`duplicate_child`). Say what to do, not who else applied.",
    )


class DuplicateGroupRead(BaseModel):
    """Every application in a cycle for one ID number, side by side."""

    id_number: str = Field(description="The child's ID number, masked.")
    unresolved: bool = Field(
        description="More than one application is live: reviewers must choose before approving."
    )
    applications: list[ReviewApplicationRead]


class GuardianNumbers(BaseModel):
    name: str
    relation: str
    id_number: str | None
    phone: str | None


class PersonalData(BaseModel):
    child_id_number: str
    property_certificate_number: str | None
    guardians: list[GuardianNumbers]


class QueueFilters(BaseModel):
    cycle_id: uuid.UUID | None = None
    status: ApplicationStatus | None = None
    batch_code: str | None = Field(default=None, max_length=40)
    school_code: str | None = Field(default=None, max_length=20)
    district_code: str | None = Field(default=None, max_length=20)
    flag: str | None = Field(default=None, max_length=40)
    track: Track | None = None
