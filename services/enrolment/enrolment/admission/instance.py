"""The JSON formats around the engine: simulate instances, their results, published lottery results.

A simulate instance::

    {"schools": [{"id": "S1", "capacity": 45}],
     "applicants": [{"id": "A1", "choices": ["S2", "S1"],
                     "priority": {"S2": [3, 20190301], "S1": [1, 20170105]},
                     "lottery": 0.4172,
                     "ineligible": {"S3": "未满6周岁"}}],
     "reassignment": {"candidates": {"A9": ["S3", "S4"]},
                      "distance": {"A8": {"S3": 1.2, "S4": 0.8}},
                      "order": {"A9": [1]}}}

Rules, beyond the types:

- school and applicant ids are unique; capacities are integers ≥ 0;
- ``choices`` name known schools, each at most once; an empty list is allowed (never placed);
- ``priority`` values are lists of finite numbers, compared lexicographically, smaller first. A
  chosen school missing from ``priority`` gets the empty key, which ranks *ahead of* any
  non-empty key. A priority for a known school the applicant did not choose is ignored (a
  district may compute every child's key at every school); one for an unknown school is an
  error, because a misspelt school id would otherwise silently hand the child the empty key;
- ``ineligible`` (optional) maps chosen schools whose rules exclude the applicant to the reason
  shown to the family; unknown schools are an error, unchosen ones are ignored;
- ``lottery`` is a finite number, smaller first;
- ``reassignment`` (optional) runs the 调剂 round after the main round (see
  ``engine.reassign``): an unplaced applicant listed in ``candidates`` tries those schools in
  order, one listed in ``distance`` tries every school it gives a distance for, nearest first;
  ``order`` gives applicants a key served before the lottery. Unknown ids are errors.

Every error message names the offending applicant or school.

The simulate output is ``{"assignment", "cutoffs", "explanations", "reassigned"}``; a key or a
cutoff is written ``[priority key, lottery number]``, e.g. ``[[1, 20170105], 0.4172]``, compared
as a pair (priority first), so keys of different lengths never get confused.

Published results, for ``xuezai lottery verify``, are what a cycle makes public after the draw::

    {"cycle_id": "2025-qingxiu-g1", "seed": "<hex>", "commitment": "<sha-256 hex>",
     "schools": [...as above...],
     "applicants": [{"id": "<application public id>", "choices": [...], "priority": {...},
                     "lottery": 1234...  (optional: the number the system used)}],
     "assignment": {"<public id>": "S1" | null, ...},
     "cutoffs": {...as in the simulate output, optional...},
     "reassignment": {...optional, as above...},
     "engine_version": "da-stb/1"  (optional: the engine the result was computed with),
     "inputs_digest": "<sha-256 hex>"  (optional: see ``inputs_digest``)}

Verification recomputes every lottery number from the seed, checks the seed against the
commitment, reruns the engine and reports every difference.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, Protocol, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from enrolment.admission.engine import (
    ENGINE_VERSION,
    AdmissionInputError,
    AdmissionResult,
    Applicant,
    ChoiceExplanation,
    PriorityKey,
    Reason,
    School,
    reassign,
    run_deferred_acceptance,
)
from enrolment.admission.lottery import InvalidSeedError, commitment, lottery_number


def _finite_number(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Number = Annotated[int | float, BeforeValidator(_finite_number)]
Key = list[Number]
NonEmptyId = Annotated[StrictStr, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchoolIn(_Model):
    id: NonEmptyId
    capacity: StrictInt = Field(ge=0)


class ApplicantIn(_Model):
    id: NonEmptyId
    choices: list[StrictStr]
    priority: dict[str, Key] = Field(default_factory=dict)
    lottery: Number
    ineligible: dict[str, StrictStr] = Field(default_factory=dict)


class ReassignmentIn(_Model):
    candidates: dict[str, list[StrictStr]] = Field(default_factory=dict)
    """Applicant → schools to try in this order."""
    distance: dict[str, dict[str, Annotated[Number, Field(ge=0)]]] = Field(default_factory=dict)
    """Applicant → school → distance; used for applicants without ``candidates``."""
    order: dict[str, Key] = Field(default_factory=dict)
    """Applicant → key served before the lottery (smaller first); missing is the empty key."""


def _unique(ids: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            raise ValueError(f"{what} {item_id!r} appears more than once")
        seen.add(item_id)


class _Application(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def choices(self) -> list[str]: ...
    @property
    def priority(self) -> dict[str, Key]: ...
    @property
    def ineligible(self) -> dict[str, str]: ...


def _check_known_schools(school_ids: set[str], named: Iterable[str], where: str) -> None:
    for school_id in named:
        if school_id not in school_ids:
            raise ValueError(f"{where} names unknown school {school_id!r}")


def _check_references(
    schools: Sequence[SchoolIn],
    applicants: Sequence[_Application],
    reassignment: ReassignmentIn | None,
) -> None:
    _unique([school.id for school in schools], "school")
    _unique([applicant.id for applicant in applicants], "applicant")
    school_ids = {school.id for school in schools}
    for applicant in applicants:
        if len(set(applicant.choices)) != len(applicant.choices):
            raise ValueError(f"applicant {applicant.id!r} lists a school more than once")
        name = f"applicant {applicant.id!r}:"
        _check_known_schools(school_ids, applicant.choices, f"{name} choices")
        _check_known_schools(school_ids, applicant.priority, f"{name} priority")
        _check_known_schools(school_ids, applicant.ineligible, f"{name} ineligible")
    if reassignment is None:
        return
    applicant_ids = {applicant.id for applicant in applicants}
    for section in ("candidates", "distance", "order"):
        for applicant_id in getattr(reassignment, section):
            if applicant_id not in applicant_ids:
                raise ValueError(f"reassignment.{section} names unknown applicant {applicant_id!r}")
    for applicant_id, listed in reassignment.candidates.items():
        name = f"applicant {applicant_id!r}: reassignment.candidates"
        _check_known_schools(school_ids, listed, name)
    for applicant_id, distances in reassignment.distance.items():
        _check_known_schools(
            school_ids, distances, f"applicant {applicant_id!r}: reassignment.distance"
        )


def _to_engine(
    schools: Sequence[SchoolIn], applicants: Sequence[ApplicantIn]
) -> tuple[list[School], list[Applicant]]:
    return (
        [School(id=school.id, capacity=school.capacity) for school in schools],
        [
            Applicant(
                id=applicant.id,
                choices=tuple(applicant.choices),
                priority={school_id: tuple(key) for school_id, key in applicant.priority.items()},
                lottery=applicant.lottery,
                ineligible=applicant.ineligible,
            )
            for applicant in applicants
        ],
    )


def _admit(
    schools: Sequence[SchoolIn],
    applicants: Sequence[ApplicantIn],
    reassignment: ReassignmentIn | None,
) -> AdmissionResult:
    engine_schools, engine_applicants = _to_engine(schools, applicants)
    result = run_deferred_acceptance(engine_schools, engine_applicants)
    if reassignment is None:
        return result
    return reassign(
        result,
        engine_schools,
        engine_applicants,
        candidates=reassignment.candidates,
        distance=reassignment.distance,
        order={applicant_id: tuple(key) for applicant_id, key in reassignment.order.items()},
    )


class SimulateInstance(_Model):
    schools: list[SchoolIn]
    applicants: list[ApplicantIn]
    reassignment: ReassignmentIn | None = None

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        _check_references(self.schools, self.applicants, self.reassignment)
        return self

    def run(self) -> AdmissionResult:
        return _admit(self.schools, self.applicants, self.reassignment)


# A cutoff or key as JSON: [school key, lottery number], compared lexicographically.
KeyAndLottery = tuple[list[Number], Number]


class ExplanationOut(_Model):
    school: str
    choice: int
    """1 for the first choice."""
    reason: Reason
    message: str
    key: KeyAndLottery
    cutoff: KeyAndLottery | None


class SimulateResult(_Model):
    assignment: dict[str, str | None]
    cutoffs: dict[str, KeyAndLottery | None]
    explanations: dict[str, list[ExplanationOut]]
    reassigned: list[str]
    """Applicants placed by the 调剂 round, in input order."""


def _key_and_lottery(key: PriorityKey | None) -> KeyAndLottery | None:
    return None if key is None else (list(key.school_key), key.lottery)


def _explanation_out(explanation: ChoiceExplanation) -> ExplanationOut:
    return ExplanationOut(
        school=explanation.school_id,
        choice=explanation.choice_rank,
        reason=explanation.reason,
        message=explanation.message,
        key=(list(explanation.key.school_key), explanation.key.lottery),
        cutoff=_key_and_lottery(explanation.cutoff),
    )


def render_result(result: AdmissionResult) -> SimulateResult:
    return SimulateResult.model_construct(
        assignment=result.assignment,
        cutoffs={school_id: _key_and_lottery(key) for school_id, key in result.cutoffs.items()},
        explanations={
            applicant_id: [_explanation_out(e) for e in explanations]
            for applicant_id, explanations in result.explanations.items()
        },
        reassigned=[a for a in result.assignment if a in result.reassigned],
    )


class InstanceError(ValueError):
    """An input file that cannot be used; the message names the applicant or school at fault."""


def _where(loc: tuple[int | str, ...], raw: object) -> str:
    """Turn a pydantic location into words, naming the applicant or school by id when possible."""
    if len(loc) >= 2 and loc[0] in ("applicants", "schools") and isinstance(loc[1], int):
        what = "applicant" if loc[0] == "applicants" else "school"
        item: object = None
        if isinstance(raw, Mapping):
            items = raw.get(loc[0])
            if isinstance(items, list) and loc[1] < len(items):
                item = items[loc[1]]
        item_id = item.get("id") if isinstance(item, Mapping) else None
        name = f"{what} {item_id!r}" if isinstance(item_id, str) else f"{what} #{loc[1] + 1}"
        rest = ".".join(str(part) for part in loc[2:])
        return f"{name}: {rest}" if rest else name
    return ".".join(str(part) for part in loc) or "input"


def _instance_error(error: ValidationError, raw: object) -> InstanceError:
    lines = []
    for detail in error.errors(include_url=False):
        context = detail.get("ctx", {})
        if detail["type"] == "value_error" and not detail["loc"]:
            lines.append(str(context.get("error", detail["msg"])))
            continue
        message = str(context["error"]) if "error" in context else detail["msg"]
        lines.append(f"{_where(detail['loc'], raw)}: {message}")
    return InstanceError("\n".join(lines))


_Loaded = TypeVar("_Loaded", bound=BaseModel)


def _load(model: type[_Loaded], raw: object) -> _Loaded:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise _instance_error(error, raw) from None


def load_instance(raw: object) -> SimulateInstance:
    """Validate a decoded JSON document as a simulate instance, or raise ``InstanceError``."""
    return _load(SimulateInstance, raw)


def simulate(raw: object) -> SimulateResult:
    """Validate, admit (and reassign, if asked) and render; raises ``InstanceError``."""
    instance = load_instance(raw)
    try:
        result = instance.run()
    except AdmissionInputError as error:
        raise InstanceError(str(error)) from None
    return render_result(result)


def inputs_digest(
    cycle_id: str,
    commitment_hex: str,
    schools: Iterable[Mapping[str, Any]],
    applicants: Iterable[Mapping[str, Any]],
) -> str:
    """SHA-256 of what an admission run was computed from, independent of order.

    The document hashed is ``{"cycle_id", "commitment", "schools": [{"id", "capacity"}],
    "applicants": [{"id", "choices", "priority", "ineligible"}]}`` with both lists sorted by id,
    written as Python's ``json.dumps(..., sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` in UTF-8. Lottery numbers are left out: they follow from the seed.
    """
    document = {
        "cycle_id": cycle_id,
        "commitment": commitment_hex.lower(),
        "schools": sorted(
            ({"id": school["id"], "capacity": school["capacity"]} for school in schools),
            key=lambda school: str(school["id"]),
        ),
        "applicants": sorted(
            (
                {
                    "id": applicant["id"],
                    "choices": list(applicant["choices"]),
                    "priority": {k: list(v) for k, v in applicant.get("priority", {}).items()},
                    "ineligible": dict(applicant.get("ineligible", {})),
                }
                for applicant in applicants
            ),
            key=lambda applicant: str(applicant["id"]),
        ),
    }
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PublishedApplicant(_Model):
    """One application as published after the draw: its public id, never the child's identity."""

    id: NonEmptyId
    """The application's public id, the message the lottery number is drawn from."""
    choices: list[StrictStr]
    priority: dict[str, Key] = Field(default_factory=dict)
    ineligible: dict[str, StrictStr] = Field(default_factory=dict)
    lottery: StrictInt | None = None
    """The number the system used, if published; it is then checked against the seed."""


class PublishedResults(_Model):
    """What a cycle publishes after the draw, enough for anyone to recompute the result."""

    cycle_id: NonEmptyId
    seed: str
    commitment: str
    """SHA-256 of the seed bytes, as published before the draw."""
    schools: list[SchoolIn]
    applicants: list[PublishedApplicant]
    assignment: dict[str, str | None]
    cutoffs: dict[str, KeyAndLottery | None] | None = None
    """If published, each school's cutoff is checked too."""
    reassignment: ReassignmentIn | None = None
    engine_version: str | None = None
    """If published, a different version of the engine here is reported."""
    inputs_digest: str | None = None
    """If published, recomputed from the document (see ``inputs_digest``) and compared."""

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        try:
            commitment(self.seed)
        except InvalidSeedError as error:
            raise ValueError(f"seed: {error}") from None
        _check_references(self.schools, self.applicants, self.reassignment)
        return self

    def applicants_with_lottery(self) -> list[ApplicantIn]:
        """The applicants with the lottery numbers recomputed from the revealed seed."""
        return [
            ApplicantIn(
                id=applicant.id,
                choices=applicant.choices,
                priority=applicant.priority,
                lottery=lottery_number(self.seed, self.cycle_id, applicant.id),
                ineligible=applicant.ineligible,
            )
            for applicant in self.applicants
        ]


MismatchKind = Literal[
    "commitment",
    "lottery",
    "assignment",
    "cutoff",
    "missing_applicant",
    "unknown_applicant",
    "engine_version",
    "inputs_digest",
]


class Mismatch(_Model):
    kind: MismatchKind
    subject: str
    """The applicant or school concerned (the cycle, for the commitment)."""
    published: Any
    recomputed: Any


class VerificationReport(_Model):
    ok: bool
    cycle_id: str
    commitment_ok: bool
    applicants: int
    mismatches: list[Mismatch]


def load_published(raw: object) -> PublishedResults:
    """Validate a decoded JSON document as published results, or raise ``InstanceError``."""
    return _load(PublishedResults, raw)


def verify_published(published: PublishedResults) -> VerificationReport:
    """Recompute every lottery number and the whole result from the published inputs."""
    mismatches: list[Mismatch] = []
    recomputed_commitment = commitment(published.seed)
    commitment_ok = recomputed_commitment == published.commitment.lower()
    if not commitment_ok:
        mismatches.append(
            Mismatch(
                kind="commitment",
                subject=published.cycle_id,
                published=published.commitment,
                recomputed=recomputed_commitment,
            )
        )

    if published.engine_version is not None and published.engine_version != ENGINE_VERSION:
        mismatches.append(
            Mismatch(
                kind="engine_version",
                subject=published.cycle_id,
                published=published.engine_version,
                recomputed=ENGINE_VERSION,
            )
        )
    if published.inputs_digest is not None:
        recomputed_digest = inputs_digest(
            published.cycle_id,
            published.commitment,
            [school.model_dump() for school in published.schools],
            [
                applicant.model_dump(include={"id", "choices", "priority", "ineligible"})
                for applicant in published.applicants
            ],
        )
        if recomputed_digest != published.inputs_digest.lower():
            mismatches.append(
                Mismatch(
                    kind="inputs_digest",
                    subject=published.cycle_id,
                    published=published.inputs_digest,
                    recomputed=recomputed_digest,
                )
            )

    applicants = published.applicants_with_lottery()
    for shown, drawn in zip(published.applicants, applicants, strict=True):
        if shown.lottery is not None and shown.lottery != drawn.lottery:
            mismatches.append(
                Mismatch(
                    kind="lottery",
                    subject=shown.id,
                    published=shown.lottery,
                    recomputed=drawn.lottery,
                )
            )

    try:
        result = _admit(published.schools, applicants, published.reassignment)
    except AdmissionInputError as error:
        raise InstanceError(str(error)) from None

    for applicant_id, school_id in result.assignment.items():
        if applicant_id not in published.assignment:
            mismatches.append(
                Mismatch(
                    kind="missing_applicant",
                    subject=applicant_id,
                    published=None,
                    recomputed=school_id,
                )
            )
        elif published.assignment[applicant_id] != school_id:
            mismatches.append(
                Mismatch(
                    kind="assignment",
                    subject=applicant_id,
                    published=published.assignment[applicant_id],
                    recomputed=school_id,
                )
            )
    for applicant_id in published.assignment.keys() - result.assignment.keys():
        mismatches.append(
            Mismatch(
                kind="unknown_applicant",
                subject=applicant_id,
                published=published.assignment[applicant_id],
                recomputed=None,
            )
        )

    if published.cutoffs is not None:
        for school_id, key in result.cutoffs.items():
            recomputed_cutoff = _key_and_lottery(key)
            shown_cutoff = published.cutoffs.get(school_id)
            if _cutoff_differs(shown_cutoff, recomputed_cutoff):
                mismatches.append(
                    Mismatch(
                        kind="cutoff",
                        subject=school_id,
                        published=shown_cutoff,
                        recomputed=recomputed_cutoff,
                    )
                )

    return VerificationReport(
        ok=not mismatches,
        cycle_id=published.cycle_id,
        commitment_ok=commitment_ok,
        applicants=len(applicants),
        mismatches=mismatches,
    )


def _cutoff_differs(shown: KeyAndLottery | None, recomputed: KeyAndLottery | None) -> bool:
    if shown is None or recomputed is None:
        return shown is not recomputed
    return (list(shown[0]), shown[1]) != (list(recomputed[0]), recomputed[1])
