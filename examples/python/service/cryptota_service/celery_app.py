"""The Celery application settings shared by the API (which sends tasks) and the workers.

Kept apart from worker.py so that the API process can build a Celery client from its own
settings without importing the worker module (which reads the environment at import, as
`celery -A cryptota_service.worker` needs).
"""

from __future__ import annotations

from celery import Celery

from .config import Settings


def make_celery(settings: Settings) -> Celery:
    app = Celery("cryptota_service", broker=settings.celery_broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue="cryptota",
        # the restore mutex of a worker killed while sweeping must not outlive the timeout
        broker_transport_options={"visibility_timeout": settings.visibility_timeout_s,
                                  "unacked_mutex_expire": min(300, settings.visibility_timeout_s)},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        accept_content=["json"],
        task_serializer="json",
    )
    return app
