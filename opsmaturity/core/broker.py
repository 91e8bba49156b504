"""Talking to the Celery broker from a web request without ever hanging on it.

Against a stopped Redis, a plain ``.delay()`` blocks for about twenty seconds
before it fails. A request must answer quickly and keep working, so every
publish and every check here is bounded.
"""

import logging
import os

from kombu.exceptions import OperationalError

from opsmaturity.celery import app

log = logging.getLogger(__name__)

QUICK_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class BrokerUnavailable(Exception):
    pass


def broker_state():
    """('ok', None) when the broker accepts connections, ('down', reason) otherwise."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0.2, interval_max=0.2, timeout=2
            )
            if conn.transport_cls == "filesystem":
                folder = app.conf.broker_transport_options.get("data_folder_in")
                if not (folder and os.path.isdir(folder) and os.access(folder, os.W_OK)):
                    return "down", f"queue folder {folder} is not writable"
    except Exception as exc:  # any failure to reach the broker is "down", never a 500
        return "down", f"{type(exc).__name__}: {exc}"
    return "ok", None


def publish(task, *args, **kwargs):
    """Send a task now, failing within about a second when the broker is down."""
    try:
        return task.apply_async(args=args, kwargs=kwargs, retry=True, retry_policy=QUICK_RETRY)
    except (OperationalError, OSError) as exc:
        log.warning("broker unavailable, %s not sent: %s", task.name, exc)
        raise BrokerUnavailable(str(exc)) from exc
