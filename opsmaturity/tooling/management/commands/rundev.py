"""Start the web app, a Celery worker and Celery beat together; Ctrl-C stops all three."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web app, a Celery worker and the beat scheduler until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        python = sys.executable
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        beat_schedule = settings.CELERY_BEAT_SCHEDULE_FILENAME
        commands = {
            "web": [python, "manage.py", "runserver", addrport],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "opsmaturity",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "opsmaturity",
                "beat",
                "-l",
                "info",
                "--schedule",
                beat_schedule,
            ],
        }
        self.stdout.write(self._banner(addrport))
        # Each child gets its own process group: the terminal's Ctrl-C reaches only
        # us, and we stop the children in order and wait for each to finish.
        children = {
            name: subprocess.Popen(cmd, start_new_session=True) for name, cmd in commands.items()
        }
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with {child.returncode}; stopping.")
                        stopping = True
                time.sleep(0.3)
        finally:
            self._stop_all(children)

    def _stop_all(self, children):
        self.stdout.write("Stopping web, worker and beat…")
        for name, child in children.items():
            if child.poll() is None:
                if name == "web":
                    # runserver's autoreloader runs the server in a child process.
                    os.killpg(child.pid, signal.SIGTERM)
                else:
                    # Celery stops its own pool: signalling the whole group would
                    # kill the pool processes under it and stall the warm shutdown.
                    child.terminate()
        deadline = time.monotonic() + 20  # a worker takes several seconds to stop
        for name, child in children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in time; killing it.")
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        self.stdout.write("All stopped.")

    def _banner(self, addrport):
        mail = getattr(settings, "EMAIL_FILE_PATH", None)
        lines = [
            "",
            f"  Ops Maturity is starting on http://{addrport}/",
            "  Sign in as the demo manager: manager / manager",
            "  …or as the demo member:      member / member",
            "  Admin (staff):                admin / admin   → /admin/",
        ]
        if mail and settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
            lines.append(f"  Emails are written as files to {mail}")
        lines += ["  Press Ctrl-C to stop the web app, the worker and the scheduler.", ""]
        return "\n".join(lines)
