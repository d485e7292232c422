from arq.cron import cron

from directory.config import Settings
from directory.maintenance.tasks import maintain_signing_keys, purge_spent_secrets
from directory.models import OutboxMessage
from shared.tasks import outbox_jobs
from shared.worker import build_worker_settings

settings = Settings()
drain_outbox, drain_outbox_cron = outbox_jobs("directory", OutboxMessage, handlers={})

WorkerSettings = build_worker_settings(
    settings=settings,
    functions=[drain_outbox, maintain_signing_keys, purge_spent_secrets],
    cron_jobs=[
        drain_outbox_cron,
        # Hourly, so a rotation is never more than an hour late; `ensure` is a no-op otherwise.
        cron(
            maintain_signing_keys.coroutine,
            name="directory.keys.maintain.cron",
            minute={7},
            run_at_startup=True,
            unique=True,
        ),
        cron(
            purge_spent_secrets.coroutine,
            name="directory.auth.purge.cron",
            hour={3},
            minute={17},
            unique=True,
        ),
    ],
)
