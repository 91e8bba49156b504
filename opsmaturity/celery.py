"""The Celery app. Broker and schedule come from Django settings (CELERY_*)."""

import os
from pathlib import Path

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsmaturity.settings")

app = Celery("opsmaturity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender, **kwargs):
    """The filesystem broker needs its folders to exist before anyone publishes."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
    backend = sender.conf.result_backend or ""
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)


# Seconds a worker waits on one Redis command: the web's bound (settings) is for
# a person looking at a page, and would turn a Redis pause of a second into a
# lost result here.
WORKER_REDIS_SOCKET_TIMEOUT = 30.0


@signals.celeryd_init.connect
def _worker_waits_longer(conf, **kwargs):
    """Give a worker the patience that settings deny a web request.

    Nobody waits on a worker: a scan or a digest run may need longer statements
    than a page (DATABASE_JOB_STATEMENT_TIMEOUT), and a result stored while Redis
    restarts is worth Celery's own twenty retries. Runs before the worker opens a
    connection, and its pool processes inherit it.
    """
    from opsmaturity.dbconfig import use_job_timeouts

    use_job_timeouts()
    if str(conf.broker_url).startswith(("redis://", "rediss://")):
        conf.broker_transport_options = {
            **(conf.broker_transport_options or {}),
            "socket_timeout": WORKER_REDIS_SOCKET_TIMEOUT,
        }
    conf.redis_socket_timeout = WORKER_REDIS_SOCKET_TIMEOUT
    conf.result_backend_transport_options = {}


@app.task(name="opsmaturity.ping")
def ping():
    """Answers 'pong' from a worker: how /healthz and the tests know one reads the queue."""
    return "pong"
