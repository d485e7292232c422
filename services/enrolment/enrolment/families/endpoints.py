import hashlib
import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from enrolment.deps import AppSettings, Blobs, Now, Vault
from enrolment.errors import ChildConflict, ChildNotFound, DocumentNotFound, FactsLocked
from enrolment.families.schemas import (
    ChildCreate,
    ChildRead,
    DocumentRead,
    FactsIn,
    FactsRead,
    GuardianRead,
)
from enrolment.families.service import family_service as service
from enrolment.models import DocumentKind, FamilyFacts, Guardian, IdempotencyRecord
from enrolment.policies import Parent
from enrolment.uploads import read_capped, refuse_oversized_request
from enrolment.windows import SHANGHAI
from shared.db import DbSession
from shared.errors import PayloadTooLarge, TooManyRequests, UnsupportedMediaType
from shared.i18n import Text
from shared.idempotency import (
    IDEMPOTENCY_HEADER,
    IdempotencyGuard,
    IdempotencyKey,
    IdempotencyKeyReused,
)
from shared.ratelimit import RateLimiter

router = APIRouter(tags=["families"])


def facts_read(facts: FamilyFacts | None, guardians: Sequence[Guardian]) -> FactsRead:
    guardian_items = [GuardianRead.model_validate(g) for g in guardians]
    if facts is None:
        return FactsRead(
            hukou_address=None,
            hukou_move_in_date=None,
            three_generations=False,
            has_property=False,
            property_address=None,
            property_certificate_masked=None,
            property_ownership=None,
            property_share=None,
            property_owner=None,
            property_handover_date=None,
            lives_at_property=False,
            residence_address=None,
            residence_proof=None,
            employment_proof=None,
            social_insurance_months=None,
            claims=[],
            guardians=guardian_items,
        )
    read = FactsRead.model_validate(facts)
    read.guardians = guardian_items
    return read


async def limit_child_creation(request: Request, principal: Parent, settings: AppSettings) -> None:
    """Adding children is rate-limited per account (in Redis, failing open; the cap on children
    per account is in PostgreSQL and holds anyway)."""
    decision = await RateLimiter(request.app.state.redis).hit(
        f"enrolment.children:{principal.subject}",
        limit=settings.child_creation_limit,
        window_seconds=settings.child_creation_window_seconds,
    )
    if not decision.allowed:
        raise TooManyRequests(
            Text("添加儿童过于频繁，请稍后再试", "Too many children added; try again later"),
            retry_after=decision.retry_after,
        )


@router.post(
    "/children",
    summary="Add a child (resident ID number checked; birth date and sex derived)",
    status_code=201,
    response_model=ChildRead,
    responses={
        409: ChildConflict.openapi_response(),
        429: TooManyRequests.openapi_response(),
    },
    dependencies=[Depends(limit_child_creation)],
)
async def add_child(
    body: ChildCreate,
    session: DbSession,
    principal: Parent,
    vault: Vault,
    now: Now,
    settings: AppSettings,
    idempotency: IdempotencyKey,
) -> JSONResponse:
    """At most `ENROLMENT_CHILDREN_PER_ACCOUNT` children per account (409
    `enrolment.child.limit`); adding is rate-limited per account (429)."""
    if (
        replay := await idempotency.replay(session, principal.subject, IdempotencyRecord)
    ) is not None:
        return replay
    child = await service.add_child(
        session,
        principal,
        vault,
        body,
        now.astimezone(SHANGHAI).date(),
        children_per_account=settings.children_per_account,
    )
    return await idempotency.store(session, ChildRead.model_validate(child), status_code=201)


@router.get("/children", summary="My children", response_model=list[ChildRead])
async def list_children(session: DbSession, principal: Parent) -> list[ChildRead]:
    return [ChildRead.model_validate(child) for child in await service.children(session, principal)]


@router.get(
    "/children/{child_id}",
    summary="One of my children",
    response_model=ChildRead,
    responses={404: ChildNotFound.openapi_response()},
)
async def get_child(child_id: uuid.UUID, session: DbSession, principal: Parent) -> ChildRead:
    return ChildRead.model_validate(await service.child(session, principal, child_id))


@router.get(
    "/children/{child_id}/facts",
    summary="A child's family facts (numbers masked)",
    response_model=FactsRead,
    responses={404: ChildNotFound.openapi_response()},
)
async def get_facts(child_id: uuid.UUID, session: DbSession, principal: Parent) -> FactsRead:
    child = await service.child(session, principal, child_id)
    facts, guardians = await service.facts(session, child.id)
    return facts_read(facts, guardians)


@router.put(
    "/children/{child_id}/facts",
    summary="Declare 户籍, property, 随迁子女 proofs, guardians and policy claims",
    response_model=FactsRead,
    responses={404: ChildNotFound.openapi_response(), 409: FactsLocked.openapi_response()},
)
async def put_facts(
    child_id: uuid.UUID,
    body: FactsIn,
    session: DbSession,
    principal: Parent,
    vault: Vault,
    now: Now,
) -> FactsRead:
    facts, guardians = await service.put_facts(
        session, principal, vault, child_id, body, now.astimezone(SHANGHAI).date()
    )
    return facts_read(facts, guardians)


@router.post(
    "/children/{child_id}/documents",
    summary="Upload a document (jpeg, png or pdf; size-capped; type sniffed)",
    status_code=201,
    response_model=DocumentRead,
    responses={
        404: ChildNotFound.openapi_response(),
        409: FactsLocked.openapi_response(),
        413: PayloadTooLarge.openapi_response(),
        415: UnsupportedMediaType.openapi_response(),
    },
)
async def upload_document(
    child_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Parent,
    blobs: Blobs,
    settings: AppSettings,
    kind: Annotated[DocumentKind, Form()],
    file: Annotated[UploadFile, File()],
    idempotency_key: Annotated[
        str | None,
        Header(alias=IDEMPOTENCY_HEADER, min_length=1, max_length=200, description="Retry safely."),
    ] = None,
) -> JSONResponse:
    refuse_oversized_request(request, settings.upload_max_bytes)
    content = await read_capped(file, settings.upload_max_bytes)
    # The multipart body is parsed before dependencies run, so the request is fingerprinted by
    # what matters in it (path, kind, file name and bytes), not by its raw framing.
    fingerprint = hashlib.sha256(f"POST {request.url.path} {kind.value} {file.filename}".encode())
    fingerprint.update(content)
    idempotency = IdempotencyGuard(idempotency_key, fingerprint.hexdigest())
    if (
        replay := await idempotency.replay(session, principal.subject, IdempotencyRecord)
    ) is not None:
        return replay
    document = await service.upload(
        session,
        principal,
        blobs,
        child_id,
        kind,
        file.filename or "upload",
        file.content_type,
        content,
    )
    return await idempotency.store(session, DocumentRead.model_validate(document), status_code=201)


@router.get(
    "/children/{child_id}/documents",
    summary="A child's documents",
    response_model=list[DocumentRead],
    responses={404: ChildNotFound.openapi_response()},
)
async def list_documents(
    child_id: uuid.UUID, session: DbSession, principal: Parent
) -> list[DocumentRead]:
    child = await service.child(session, principal, child_id)
    return [DocumentRead.model_validate(d) for d in await service.documents(session, child.id)]


@router.get(
    "/documents/{document_id}/content",
    summary="Download one of my documents",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}},
        404: DocumentNotFound.openapi_response(),
    },
)
async def document_content(
    document_id: uuid.UUID, session: DbSession, principal: Parent, blobs: Blobs
) -> Response:
    document = await service.own_document(session, principal, document_id)
    return Response(await blobs.get(document.blob_key), media_type=document.content_type)


@router.delete(
    "/documents/{document_id}",
    summary="Remove one of my documents",
    status_code=204,
    responses={404: DocumentNotFound.openapi_response(), 409: FactsLocked.openapi_response()},
)
async def delete_document(
    document_id: uuid.UUID, session: DbSession, principal: Parent
) -> Response:
    await service.delete_document(session, principal, document_id)
    return Response(status_code=204)


__all__ = ["IdempotencyKeyReused", "router"]
