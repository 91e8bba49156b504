"""Start a real Celery worker process for a test, on a private queue."""

import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from opsmaturity.celery import app

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def celery_worker(**env):
    """Yield the name of a queue that a separate worker process reads.

    The worker uses the broker the settings name (the no-server filesystem broker,
    or Redis when REDIS_URL is set); ``env`` adds to its environment, e.g. the
    DATABASE_URL of the test database.
    """
    queue = f"test-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "opsmaturity",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "OPS_VAR_DIR": str(settings.VAR_DIR),
            "DJANGO_SETTINGS_MODULE": "opsmaturity.settings",
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # A test that stopped the broker may have left a closed producer pool behind.
    app.amqp._producer_pool = None
    try:
        yield queue
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
