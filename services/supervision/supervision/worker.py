from shared.tasks import outbox_jobs
from shared.worker import build_worker_settings
from supervision.config import Settings
from supervision.models import OutboxMessage

settings = Settings()
drain_outbox, drain_outbox_cron = outbox_jobs("supervision", OutboxMessage, handlers={})

WorkerSettings = build_worker_settings(
    settings=settings, functions=[drain_outbox], cron_jobs=[drain_outbox_cron]
)
