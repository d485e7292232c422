from directory.config import Settings
from directory.models import OutboxMessage
from shared.tasks import outbox_jobs
from shared.worker import build_worker_settings

settings = Settings()
drain_outbox, drain_outbox_cron = outbox_jobs("directory", OutboxMessage, handlers={})

WorkerSettings = build_worker_settings(
    settings=settings, functions=[drain_outbox], cron_jobs=[drain_outbox_cron]
)
