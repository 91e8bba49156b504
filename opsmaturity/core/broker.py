"""Talking to the Celery broker and result backend from a web request without
ever hanging on them or failing with a 500.

Against a stopped Redis, a plain ``.delay()`` blocked for about 19 s and then
raised ``RuntimeError: Retry limit exceeded…`` from the result backend (which
subscribes to the task's result channel before publishing); against a hung one
(accepts, never answers) it blocked for good. Settings bound every connect and
every command and retry a lost connection once (``BROKER_QUICK_RETRY``); here every
failure of either is turned into ``BrokerUnavailable``, which a view words for
the user.
"""

import logging
import os

from celery import states
from celery.exceptions import BackendError, ImproperlyConfigured
from celery.result import AsyncResult
from django.conf import settings
from kombu.exceptions import DecodeError, OperationalError
from redis.exceptions import RedisError

from opsmaturity.celery import app

log = logging.getLogger(__name__)

# What a broker or result store that is gone, hung or half-way down raises:
# kombu's wrapper of connection errors, socket errors and timeouts (OSError),
# redis-py's own errors (not OSErrors), Celery's backend errors, the
# RuntimeError of the Redis result consumer whose reconnect ran out of retries,
# and the ImproperlyConfigured of a file result store whose folder has gone.
BROKER_ERRORS = (
    OperationalError,
    OSError,
    RedisError,
    BackendError,
    RuntimeError,
    ImproperlyConfigured,
)
QUICK_RETRY = settings.BROKER_QUICK_RETRY


class BrokerUnavailable(Exception):
    pass


def broker_state():
    """('ok', None) when the broker accepts connections, ('down', reason) otherwise."""
    try:
        # A fresh connection, so one attempt tells: against a hung Redis it ends
        # after one socket timeout, and /healthz stays within about 3 s even when
        # the database hangs too.
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
            if conn.transport_cls == "filesystem":
                folder = app.conf.broker_transport_options.get("data_folder_in")
                if not (folder and os.path.isdir(folder) and os.access(folder, os.W_OK)):
                    return "down", f"queue folder {folder} is not writable"
    except Exception as exc:  # any failure to reach the broker is "down", never a 500
        return "down", f"{type(exc).__name__}: {exc}"
    return "ok", None


def publish(task, *args, **kwargs):
    """Send a task now, failing within about a second and a half when the broker is
    down or hung."""
    try:
        return task.apply_async(args=args, kwargs=kwargs, retry=True, retry_policy=QUICK_RETRY)
    except BROKER_ERRORS as exc:
        log.warning("broker unavailable, %s not sent: %s: %s", task.name, type(exc).__name__, exc)
        raise BrokerUnavailable(str(exc)) from exc


def task_outcome(task_id):
    """(state, result) of a task as the result store has it, read once.

    PENDING is also what an unknown or expired id reads as. Raises
    BrokerUnavailable when the store cannot be read, or holds what cannot be read.
    """
    try:
        result = AsyncResult(str(task_id), app=app)  # builds this thread's store client
        state = result.state  # one read; a finished task's meta is kept for .result
        return state, result.result if state in states.READY_STATES else None
    except (*BROKER_ERRORS, DecodeError) as exc:
        log.warning("result store unavailable for %s: %s: %s", task_id, type(exc).__name__, exc)
        raise BrokerUnavailable(str(exc)) from exc
