"""Demo data for `make run`: the built-in frameworks, a few responsible inspectors with their
schools, and one 优质均衡 assessment of 青秀区 (450103) with approved school returns.

Idempotent (matched by certificate number, school and year, assessment title), and writes only
the supervision schema. The caller passes the demo schools (the directory's seed data) so this
module needs neither the directory package nor HTTP.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from supervision.assessments.repository import (
    AssessmentRepository,
    InputRepository,
    TargetRepository,
    TeamRepository,
)
from supervision.catalog.service import framework_service
from supervision.frameworks.builtin import COMPULSORY_QUALITY_BALANCE
from supervision.inspectors.repository import AssignmentRepository, InspectorRepository
from supervision.models import (
    Assessment,
    AssessmentInput,
    AssessmentKind,
    AssessmentPhase,
    AssessmentTarget,
    InputSource,
    Inspector,
    InspectorAssignment,
    ReturnStatus,
    SchoolReturn,
    TargetKind,
    TeamMember,
    TeamRole,
)
from supervision.schooldata.repository import SchoolReturnRepository
from supervision.schooldata.schemas import SchoolStatistics

SEED_SUBJECT = "seed:supervision"
DEMO_YEAR = 2025
DEMO_COUNTY = "450103"
DEMO_TITLE = "青秀区2025年县域义务教育优质均衡发展督导评估"


@dataclass(frozen=True, slots=True)
class DemoSchool:
    code: str
    name: str
    district_code: str
    stages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoInspector:
    certificate_no: str
    name: str
    district_code: str
    phone: str
    full_time: bool
    employer_org_code: str | None = None


INSPECTORS: tuple[DemoInspector, ...] = (
    DemoInspector("GXDX-450103-001", "韦志坚", "450103", "0771-5550101", True),
    # A serving teacher: never assigned to (nor scoring) the school she works at.
    DemoInspector("GXDX-450103-002", "黄丽萍", "450103", "0771-5550102", False, "4501030005"),
    DemoInspector("GXDX-450102-001", "李明", "450102", "0771-5550201", True),
    DemoInspector("GXDX-450105-001", "陆芳", "450105", "0771-5550301", True),
    DemoInspector("GXDX-450107-001", "覃海", "450107", "0771-5550401", True),
)
SCHOOLS_PER_INSPECTOR = 5

# Plausible 优质均衡 inputs for the county items (rates in %), entered by the inspection team.
# 就近入学 and 随迁子女 shares are not here: they come from the enrolment service.
DEMO_INPUTS: dict[str, Any] = {
    "layout_planning_reasonable": True,
    "urban_rural_standards_unified": True,
    "schools_short_of_music_art_rooms": 0,
    "schools_with_undersized_music_art_rooms": 0,
    "max_enrolment_primary_junior_school": 1980,
    "max_enrolment_combined_school": 2300,
    "max_class_size_primary": 45,
    "max_class_size_junior": 50,
    "small_schools_funded_as_100": True,
    "special_education_funds_per_pupil": 6000,
    "teacher_to_civil_servant_pay_pct": 101.5,
    "performance_pay_fully_approved": True,
    "teacher_training_360h_completion_pct": 100,
    "staffing_allocated_by_county": True,
    "teacher_rotation_pct": 12.4,
    "backbone_share_of_rotation_pct": 23.0,
    "teacher_certification_pct": 100,
    "quota_allocation_pct": 55,
    "quota_favours_rural_junior": True,
    "left_behind_care_system": True,
    "junior_retention_3y_pct": 98.6,
    "disabled_children_enrolment_pct": 96.2,
    "charters_and_informatisation": True,
    "min_school_training_budget_pct": 5.2,
    "ict_teaching_effective": True,
    "moral_education_good": True,
    "curriculum_complete": True,
    "no_excessive_homework": True,
    "monitoring_min_level": 3,
    "monitoring_max_inter_school_difference": 0.12,
    "social_recognition_pct": 91.3,
    "exam_based_admission": False,
    "illegal_school_choice": False,
    "key_schools": False,
    "key_classes": False,
    "major_safety_accident": False,
    "serious_violations": False,
    "data_fraud": False,
}


def _statistics(school: DemoSchool, index: int) -> SchoolStatistics:
    """Per-stage counts that meet the 2017 thresholds with a little spread between schools."""
    spread = 1.0 + 0.06 * ((index % 5) - 2)
    parts: dict[str, Any] = {}
    for stage, students, per_100 in (
        ("primary", 900 + 100 * index, (5.4, 1.3, 1.1)),
        ("junior", 700 + 60 * index, (6.4, 1.3, 1.1)),
    ):
        if stage not in school.stages:
            continue
        parts[stage] = {
            "students": students,
            "qualified_teachers": round(students * per_100[0] * spread / 100),
            "backbone_teachers": round(students * per_100[1] * spread / 100),
            "pe_art_teachers": round(students * per_100[2] * spread / 100),
        }
    # Shared resources are apportioned by weighted enrolment (junior pupils count 1.1), so each
    # pupil-equivalent gets the same share; sized so the junior thresholds hold too.
    weighted = parts.get("primary", {}).get("students", 0) + 1.1 * parts.get("junior", {}).get(
        "students", 0
    )
    return SchoolStatistics.model_validate(
        {
            "kind": "school",
            "parts": parts,
            "teaching_space_m2": round(weighted * 6.2 * spread),
            "sports_space_m2": round(weighted * 11.0 * spread),
            "equipment_value_yuan": round(weighted * 2800 * spread),
            "multimedia_classrooms": round(weighted * 0.029 * spread),
        }
    )


async def _inspectors(session: AsyncSession) -> dict[str, Inspector]:
    repository = InspectorRepository(session)
    found: dict[str, Inspector] = {}
    for demo in INSPECTORS:
        inspector = await repository.by_certificate(demo.certificate_no)
        if inspector is None:
            inspector = Inspector(
                name=demo.name,
                certificate_no=demo.certificate_no,
                district_code=demo.district_code,
                phone=demo.phone,
                full_time=demo.full_time,
                employer_org_code=demo.employer_org_code,
                active=True,
                appointed_on=date(2024, 3, 1),
            )
            await repository.create(inspector, flush=True)
        found[demo.certificate_no] = inspector
    return found


async def _assignments(
    session: AsyncSession, inspectors: dict[str, Inspector], schools: Sequence[DemoSchool]
) -> int:
    repository = AssignmentRepository(session)
    created = 0
    for inspector in inspectors.values():
        eligible = [
            s
            for s in schools
            if s.district_code == inspector.district_code
            and s.code != inspector.employer_org_code
            and set(s.stages) & {"primary", "junior", "kindergarten"}
        ]
        load = await repository.current_count(inspector.id)
        for school in eligible:
            if load >= SCHOOLS_PER_INSPECTOR:
                break
            if await repository.current_for_school(school.code) is not None:
                continue
            await repository.create(
                InspectorAssignment(
                    inspector_id=inspector.id,
                    school_code=school.code,
                    school_name=school.name,
                    district_code=school.district_code,
                    starts_on=date(2025, 9, 1),
                    created_by=SEED_SUBJECT,
                ),
                flush=True,
            )
            load += 1
            created += 1
    return created


async def _school_returns(session: AsyncSession, schools: Sequence[DemoSchool]) -> int:
    repository = SchoolReturnRepository(session)
    created = 0
    compulsory = [
        s
        for s in schools
        if s.district_code == DEMO_COUNTY and set(s.stages) & {"primary", "junior"}
    ]
    for index, school in enumerate(compulsory):
        if await repository.get_for(school.code, DEMO_YEAR) is not None:
            continue
        statistics = _statistics(school, index)
        await repository.create(
            SchoolReturn(
                school_code=school.code,
                school_name=school.name,
                district_code=school.district_code,
                year=DEMO_YEAR,
                status=ReturnStatus.approved,
                data=statistics.model_dump(mode="json"),
                source="manual",
                updated_by=SEED_SUBJECT,
                submitted_by=SEED_SUBJECT,
                reviewed_by=SEED_SUBJECT,
            ),
            flush=True,
        )
        created += 1
    return created


async def _assessment(session: AsyncSession, inspectors: dict[str, Inspector]) -> bool:
    repository = AssessmentRepository(session)
    if await repository.find(AssessmentKind.quality_balance, DEMO_TITLE, DEMO_YEAR) is not None:
        return False
    assessment = Assessment(
        kind=AssessmentKind.quality_balance,
        title=DEMO_TITLE,
        year=DEMO_YEAR,
        district_code=DEMO_COUNTY,
        framework_code=COMPULSORY_QUALITY_BALANCE.code,
        as_of=date(DEMO_YEAR, 12, 31),
        phase=AssessmentPhase.scoring,
        phase_history=[
            {"phase": phase, "at": f"{DEMO_YEAR}-{month}-01T09:00:00+08:00", "by": SEED_SUBJECT}
            for phase, month in (
                ("planning", "09"),
                ("self_assessment", "10"),
                ("site_visit", "11"),
                ("scoring", "12"),
            )
        ],
        description="市级督导评估：资源配置、政府保障程度、教育质量、社会认可度",
        starts_on=date(DEMO_YEAR, 9, 1),
        due_on=date(DEMO_YEAR, 12, 31),
        created_by=SEED_SUBJECT,
    )
    await repository.create(assessment, flush=True)
    target = AssessmentTarget(
        assessment_id=assessment.id,
        org_code=DEMO_COUNTY,
        org_name="青秀区",
        kind=TargetKind.county,
        district_code=DEMO_COUNTY,
    )
    await TargetRepository(session).create(target, flush=True)
    team = TeamRepository(session)
    for role, certificate in (
        (TeamRole.leader, "GXDX-450103-001"),
        (TeamRole.member, "GXDX-450102-001"),
    ):
        await team.create(
            TeamMember(
                assessment_id=assessment.id, inspector_id=inspectors[certificate].id, role=role
            )
        )
    inputs = InputRepository(session)
    for key, value in DEMO_INPUTS.items():
        await inputs.create(
            AssessmentInput(
                assessment_id=assessment.id,
                target_id=target.id,
                key=key,
                value=value,
                source=InputSource.manual,
                evidence_ids=[],
                recorded_by=SEED_SUBJECT,
            )
        )
    await session.flush()
    return True


async def load_demo_supervision(
    session: AsyncSession,
    schools: Sequence[DemoSchool],
    inspector_accounts: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """`inspector_accounts` links inspectors (by certificate number) to sign-in subjects."""
    frameworks = await framework_service.ensure_builtins(session)
    inspectors = await _inspectors(session)
    for certificate_no, subject in (inspector_accounts or {}).items():
        if certificate_no in inspectors:
            inspectors[certificate_no].account_subject = subject
    assignments = await _assignments(session, inspectors, schools)
    returns = await _school_returns(session, schools)
    assessment = await _assessment(session, inspectors)
    return {
        "frameworks": frameworks,
        "inspectors": len(inspectors),
        "assignments": assignments,
        "school_returns": returns,
        "assessments": int(assessment),
    }
