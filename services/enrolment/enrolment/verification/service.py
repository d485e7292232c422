"""Run one agency check for one application and store the answer for reviewers.

Called by the outbox drainer: one message per (application, agency). An unavailable agency
raises, so the outbox retries the message later with backoff; an answer is stored with the
flags reviewers filter on, and when every agency has answered the application's verification
is complete.
"""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.families.service import CHILD_ID, GUARDIAN_ID, PROPERTY_CERTIFICATE
from enrolment.models import (
    Agency,
    Application,
    CheckOutcome,
    Child,
    FamilyFacts,
    Guardian,
    GuardianRelation,
    Verification,
    VerificationStatus,
)
from enrolment.privacy import PersonalDataVault
from enrolment.verification.adapters import AgencyAdapter, AgencyAnswer

FLAG_OF = {
    (Agency.public_security, CheckOutcome.mismatch): "hukou_mismatch",
    (Agency.public_security, CheckOutcome.not_found): "hukou_not_found",
    (Agency.property_registry, CheckOutcome.mismatch): "property_mismatch",
    (Agency.property_registry, CheckOutcome.not_found): "property_not_found",
    (Agency.social_insurance, CheckOutcome.mismatch): "insurance_mismatch",
    (Agency.social_insurance, CheckOutcome.not_found): "insurance_not_found",
}


def _address(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    return {key: value.get(key) for key in ("district_code", "road", "house_number", "estate")}


async def build_request(
    session: AsyncSession, vault: PersonalDataVault, application: Application, agency: Agency
) -> dict[str, Any]:
    child = await session.get(Child, application.child_id)
    assert child is not None
    facts = await session.get(FamilyFacts, child.id)
    if agency == Agency.public_security:
        return {
            "id_number": vault.decrypt(CHILD_ID, child.id_number_cipher, child.id_number_key_id),
            "name": child.name,
            "hukou_address": _address(facts.hukou_address if facts else None),
            "move_in_date": facts.hukou_move_in_date.isoformat()
            if facts and facts.hukou_move_in_date
            else None,
        }
    if agency == Agency.property_registry:
        assert facts is not None
        assert facts.property_certificate_cipher is not None
        assert facts.property_certificate_key_id
        return {
            "certificate_number": vault.decrypt(
                PROPERTY_CERTIFICATE,
                facts.property_certificate_cipher,
                facts.property_certificate_key_id,
            ),
            "address": _address(facts.property_address),
            "sole": facts.property_ownership is not None
            and facts.property_ownership.value == "sole",
            "share": float(facts.property_share) if facts.property_share is not None else None,
            "handover_date": facts.property_handover_date.isoformat()
            if facts.property_handover_date
            else None,
        }
    guardians = (await session.scalars(select(Guardian).where(Guardian.child_id == child.id))).all()
    numbers = [
        vault.decrypt(GUARDIAN_ID, g.id_number_cipher, g.id_number_key_id)
        for g in guardians
        if g.relation in (GuardianRelation.father, GuardianRelation.mother)
        and g.id_number_cipher
        and g.id_number_key_id
    ]
    return {
        "id_numbers": numbers,
        "declared_months": facts.social_insurance_months if facts else None,
    }


async def run_check(
    session: AsyncSession,
    vault: PersonalDataVault,
    adapters: Mapping[str, AgencyAdapter],
    payload: dict[str, Any],
) -> None:
    application_id = uuid.UUID(str(payload["application_id"]))
    agency = Agency(str(payload["agency"]))
    application = await session.get(Application, application_id, with_for_update=True)
    if application is None:
        return  # withdrawn and purged, or never committed: nothing to verify
    row = await session.scalar(
        select(Verification).where(
            Verification.application_id == application.id, Verification.agency == agency
        )
    )
    if row is None:
        row = Verification(
            application_id=application.id,
            agency=agency,
            outcome=CheckOutcome.pending,
            details={},
            attempts=0,
        )
        session.add(row)
    row.attempts = (row.attempts or 0) + 1
    if agency == Agency.property_registry:
        facts = await session.get(FamilyFacts, application.child_id)
        if facts is None or not facts.has_property or facts.property_certificate_cipher is None:
            answer = AgencyAnswer("not_found", {"note": "no property declared"})
        else:
            answer = await adapters[agency.value].check(
                await build_request(session, vault, application, agency)
            )
    else:
        answer = await adapters[agency.value].check(
            await build_request(session, vault, application, agency)
        )
    outcome = (
        CheckOutcome(answer.outcome)
        if answer.outcome in CheckOutcome.__members__
        else CheckOutcome.mismatch
    )
    row.outcome = outcome
    row.details = answer.details
    row.checked_at = datetime.now(UTC)
    flags = {
        flag
        for flag in application.flags
        if not any(flag == f for (a, _), f in FLAG_OF.items() if a == agency)
    }
    flag = FLAG_OF.get((agency, outcome))
    if flag:
        flags.add(flag)
    application.flags = sorted(flags)
    await session.flush()
    outcomes = (
        await session.scalars(
            select(Verification.outcome).where(Verification.application_id == application.id)
        )
    ).all()
    if all(value != CheckOutcome.pending for value in outcomes):
        application.verification_status = VerificationStatus.complete
    await session.flush()
