import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from supervision.frameworks.balance import (
    BalanceResult,
    BalanceSchool,
    CombinedPart,
    CombinedSchool,
    apportion_combined_school,
    derive_values,
)
from supervision.frameworks.model import Stage
from supervision.models import ReturnStatus

Part = Literal["primary", "junior", "senior"]
Amount = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
COMPULSORY: tuple[Stage, ...] = ("primary", "junior")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartStatistics(_Model):
    """One stage of a school: its pupils and the teachers reported under that stage."""

    students: int = Field(ge=0, le=100_000, description="在校生数")
    qualified_teachers: Amount | None = Field(
        default=None, description="高于规定学历的专任教师（小学专科及以上、初中本科及以上）"
    )
    backbone_teachers: Amount | None = Field(default=None, description="县级及以上骨干教师")
    pe_art_teachers: Amount | None = Field(
        default=None, description="体育、音乐、美术、艺术专任教师"
    )


class SchoolStatistics(_Model):
    """The statistics a school reports for a year. A 九年一贯制 school or 完全中学 reports every
    part it has; shared resources are reported once and apportioned by weighted enrolment
    (小学 : 初中 : 高中 = 1 : 1.1 : 1.32)."""

    kind: Literal["school", "teaching_point"] = "school"
    parts: dict[Part, PartStatistics] = Field(min_length=1)
    teaching_space_m2: Amount | None = Field(
        default=None, description="教学及辅助用房面积（扣除室内体育用房）"
    )
    sports_space_m2: Amount | None = Field(default=None, description="体育馆 + 校内体育场面积")
    equipment_value_yuan: Amount | None = Field(default=None, description="教学仪器设备值（元）")
    multimedia_classrooms: Amount | None = Field(default=None, description="网络多媒体教室间数")

    @model_validator(mode="after")
    def _consistent(self) -> "SchoolStatistics":
        if not any(stage in self.parts for stage in COMPULSORY):
            raise ValueError("至少需要小学或初中一个学段（parts.primary / parts.junior）")
        if self.kind == "teaching_point" and set(self.parts) != {"primary"}:
            raise ValueError("教学点只填报小学学段（parts.primary）")
        return self

    def missing_fields(self) -> list[str]:
        missing = [
            name
            for name in (
                "teaching_space_m2",
                "sports_space_m2",
                "equipment_value_yuan",
                "multimedia_classrooms",
            )
            if getattr(self, name) is None
        ]
        for stage in COMPULSORY:
            part = self.parts.get(stage)
            if part is None:
                continue
            for name in ("qualified_teachers", "backbone_teachers", "pe_art_teachers"):
                if getattr(part, name) is None:
                    missing.append(f"parts.{stage}.{name}")
        return missing

    def to_balance(self, school_id: str) -> dict[Stage, BalanceSchool]:
        """The school as the balance computation sees it, one entry per compulsory stage."""
        stages = [s for s in COMPULSORY if s in self.parts]
        if len(self.parts) == 1:
            stage = stages[0]
            part = self.parts[stage]
            return {
                stage: BalanceSchool(
                    id=school_id,
                    students=part.students or None,
                    kind=self.kind,
                    qualified_teachers=part.qualified_teachers,
                    backbone_teachers=part.backbone_teachers,
                    pe_art_teachers=part.pe_art_teachers,
                    teaching_space_m2=self.teaching_space_m2,
                    sports_space_m2=self.sports_space_m2,
                    equipment_value_yuan=self.equipment_value_yuan,
                    multimedia_classrooms=self.multimedia_classrooms,
                )
            }
        combined = CombinedSchool(
            id=school_id,
            parts={
                name: CombinedPart(
                    students=part.students,
                    qualified_teachers=part.qualified_teachers,
                    backbone_teachers=part.backbone_teachers,
                    pe_art_teachers=part.pe_art_teachers,
                )
                for name, part in self.parts.items()
            },
            teaching_space_m2=self.teaching_space_m2,
            sports_space_m2=self.sports_space_m2,
            equipment_value_yuan=self.equipment_value_yuan,
            multimedia_classrooms=self.multimedia_classrooms,
        )
        return apportion_combined_school(combined)


class SchoolReturnWrite(_Model):
    data: SchoolStatistics


class SchoolReturnRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    school_code: str
    school_name: str
    district_code: str
    year: int
    status: ReturnStatus
    data: SchoolStatistics
    source: str
    return_reason: str | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    updated_at: datetime
    indicators: dict[str, dict[str, float | None]] = Field(
        default_factory=dict,
        description="The derived 优质均衡 indicators per stage (after apportioning a combined school).",
    )

    @model_validator(mode="after")
    def _derive(self) -> "SchoolReturnRead":
        if not self.indicators:
            self.indicators = {
                stage: derive_values(school)
                for stage, school in self.data.to_balance(self.school_code).items()
            }
        return self


class ReturnDecision(_Model):
    reason: str = Field(min_length=1, max_length=2000, description="What the school must correct")


class ImportReport(BaseModel):
    year: int
    rows: int
    created: int
    updated: int
    status: ReturnStatus
    dry_run: bool
    school_codes: list[str]


class BalanceRun(BaseModel):
    evaluation_id: uuid.UUID
    result: BalanceResult
