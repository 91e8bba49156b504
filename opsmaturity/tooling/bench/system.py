"""The bench's database, the machine it runs on, processes and wrk."""

import datetime as dt
import os
import platform
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import django
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

from .constants import DB_PREFIX

# --- the database -------------------------------------------------------------------------


def check_database(db):
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise CommandError("The bench runs on PostgreSQL: set DATABASE_URL (see `make bench`).")
    if not str(db["NAME"]).startswith(DB_PREFIX):
        raise CommandError(
            f"The bench drops and recreates its database: DATABASE_URL must name one whose "
            f"name starts with “{DB_PREFIX}”, not “{db['NAME']}”."
        )


@contextmanager
def maintenance_cursor(db):
    """A cursor on the server's ``postgres`` database, outside any transaction."""
    import psycopg

    connection.close()
    conninfo = {
        "dbname": "postgres",
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
    }
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True) as conn:
        with conn.cursor() as cursor:
            yield cursor


def recreate_database(db):
    check_database(db)
    name = connection.ops.quote_name(db["NAME"])
    with maintenance_cursor(db) as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")


def drop_database(db):
    check_database(db)
    with maintenance_cursor(db) as cursor:
        cursor.execute(
            f"DROP DATABASE IF EXISTS {connection.ops.quote_name(db['NAME'])} WITH (FORCE)"
        )


# --- the machine, processes, wrk ------------------------------------------------------


def load_average():
    return [round(x, 2) for x in os.getloadavg()]


def machine_info():
    memory_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    cpu = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in cpuinfo
                    if line.startswith("model name")
                ),
                "",
            )
    except OSError:
        pass
    with maintenance_cursor(settings.DATABASES["default"]) as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "postgresql": pg.split()[0],
        "postgresql_jit": jit,
        "postgresql_shared_buffers": shared_buffers,
        "python": platform.python_version(),
        "django": django.get_version(),
        "os": platform.platform(),
        "load_at_start": load_average(),
    }


def which(name):
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url, cookie=None):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_until_up(url, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError("gunicorn stopped at start (see var/bench/gunicorn.log)")
        try:
            if http_status(url) == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise CommandError(f"gunicorn did not answer {url} within {timeout} s")


def stop_process(process, timeout=15):
    """Stop a child we started, by its pid: TERM, then KILL if it does not go."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def run_wrk(wrk, url, headers, seconds, connections=4, threads=2):
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        *headers,
        url,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    return parse_wrk(done.stdout) | {"connections": connections, "threads": threads}


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return round(float(number) * _UNITS[unit], 2)


def parse_wrk(output):
    result = {"latency_ms": {}}
    for percent, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M):
        result["latency_ms"][f"p{percent}"] = _ms(value)
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result["requests_per_second"] = round(float(match.group(1)), 1)
    if match := re.search(r"(\d+) requests in", output):
        result["requests"] = int(match.group(1))
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["errors"] = int(match.group(1)) if match else 0
    if match := re.search(r"Socket errors: (.*)", output):
        result["socket_errors"] = match.group(1)
    if "requests_per_second" not in result:
        result["raw"] = output[-1000:]
    return result
