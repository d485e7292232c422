"""What the platform is made of: the services, their ports, apps and workers."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    port: int
    app: str
    worker: str | None
    title: str


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "directory",
        8000,
        "directory.app:create_app",
        "directory.worker.WorkerSettings",
        "目录与认证",
    ),
    ServiceSpec(
        "plans", 8001, "plans.app:create_app", "plans.worker.WorkerSettings", "规划与任务督办"
    ),
    ServiceSpec(
        "supervision",
        8002,
        "supervision.app:create_app",
        "supervision.worker.WorkerSettings",
        "教育督导",
    ),
    ServiceSpec(
        "enrolment", 8003, "enrolment.app:create_app", "enrolment.worker.WorkerSettings", "招生报名"
    ),
)
AGENCY_SIMULATOR = ServiceSpec(
    "agencysim", 8010, "agencysim.app:create_app", None, "外部机构模拟器"
)

API_SERVICES = {spec.name: spec for spec in SERVICES}
