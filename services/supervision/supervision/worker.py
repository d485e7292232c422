from shared.tasks import outbox_jobs
from shared.worker import build_worker_settings
from supervision.alerts.tasks import scan_alerts, scan_alerts_cron
from supervision.config import Settings
from supervision.models import OutboxMessage

settings = Settings()
drain_outbox, drain_outbox_cron = outbox_jobs("supervision", OutboxMessage, handlers={})

WorkerSettings = build_worker_settings(
    settings=settings,
    functions=[drain_outbox, scan_alerts],
    cron_jobs=[drain_outbox_cron, scan_alerts_cron],
)
