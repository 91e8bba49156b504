"""A PostgreSQL primary and its streaming replica of the test's own, on free ports.

Made with the server's own tools (initdb, pg_ctl, pg_basebackup -R) in a folder
of /tmp that belongs to the ``postgres`` user: PostgreSQL refuses to run as
root, so a root process (CI) runs the tools through ``runuser -u postgres``; any
other user runs them as itself. The machine's own cluster is not touched.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

TOOLS = ("initdb", "pg_ctl", "pg_basebackup")
# A throwaway cluster: nothing of it needs to survive a crash.
FAST = ("fsync = off", "synchronous_commit = off", "full_page_writes = off")


class Unavailable(Exception):
    """The servers cannot be made here; the message says why (the tests skip with it)."""


def bindir():
    """The folder of the newest PostgreSQL server tools, or None."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda path: int(Path(path).parent.name) if Path(path).parent.name.isdigit() else 0,
    )
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.insert(0, str(Path(on_path).parent))
    for folder in reversed(candidates):
        if all(os.access(Path(folder) / tool, os.X_OK) for tool in TOOLS):
            return Path(folder)
    return None


def as_server_user():
    """The command prefix that runs the server's tools as a user they accept."""
    if os.geteuid() != 0:
        return [], None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable(
            "running as root and there is no postgres user to run PostgreSQL as"
        ) from None
    runuser = shutil.which("runuser")
    if not runuser:
        raise Unavailable("running as root and runuser is missing (PostgreSQL refuses root)")
    return [runuser, "-u", "postgres", "--"], user


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class Clusters:
    """``start()`` makes both servers; ``stop()`` removes everything."""

    def __init__(self):
        self.bin = bindir()
        if self.bin is None:
            raise Unavailable(
                "the PostgreSQL server tools (initdb, pg_ctl, pg_basebackup) are not "
                "installed: looked in /usr/lib/postgresql/*/bin and on PATH"
            )
        self.prefix, owner = as_server_user()
        self.root = Path(tempfile.mkdtemp(prefix="ops-replica-"))
        if owner is not None:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.root.chmod(0o700)
        self.primary_port, self.replica_port = free_ports(2)
        self.primary_dir = self.root / "primary"
        self.replica_dir = self.root / "replica"
        self.running = []

    def url(self, which, database="ops"):
        port = self.primary_port if which == "primary" else self.replica_port
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    def tool(self, name, *args, timeout=90):
        command = [*self.prefix, str(self.bin / name), *map(str, args)]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, cwd=self.root
        )
        if done.returncode:
            raise subprocess.CalledProcessError(
                done.returncode, command, output=done.stdout, stderr=done.stderr
            )
        return done

    def server_command(self, action, which):
        """The pg_ctl command line that starts or stops one server (for the checks too)."""
        folder = self.primary_dir if which == "primary" else self.replica_dir
        port = self.primary_port if which == "primary" else self.replica_port
        command = [*self.prefix, str(self.bin / "pg_ctl"), "-D", str(folder), "-w"]
        if action == "start":
            options = f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1"
            return [*command, "-l", str(self.root / f"{which}.log"), "-o", options, "start"]
        return [*command, "-m", "fast", "stop"]

    def pg_ctl(self, action, which):
        command = self.server_command(action, which)
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=90, check=False, cwd=self.root
        )
        if done.returncode:
            log = self.root / f"{which}.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise subprocess.CalledProcessError(
                done.returncode, command, output=done.stdout, stderr=done.stderr + tail
            )
        if action == "start":
            self.running.append(which)
        else:
            self.running.remove(which)

    def start(self):
        try:
            self.tool("initdb", "-D", self.primary_dir, "-A", "trust", "-U", "postgres", "-N")
        except (subprocess.CalledProcessError, OSError) as exc:
            raise Unavailable(f"initdb does not run here: {_why(exc)}") from exc
        with open(self.primary_dir / "postgresql.conf", "a") as conf:
            conf.write("\n".join(FAST) + "\n")
        with open(self.primary_dir / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        try:
            self.pg_ctl("start", "primary")
        except (subprocess.CalledProcessError, OSError) as exc:
            raise Unavailable(f"a new PostgreSQL server does not start here: {_why(exc)}") from exc
        self.tool(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            self.primary_port,
            "-U",
            "postgres",
            "-D",
            self.replica_dir,
            "-R",
        )
        self.pg_ctl("start", "replica")
        self.sql("primary", "CREATE DATABASE ops", database="postgres")

    def sql(self, which, statement, database="ops"):
        import psycopg

        with psycopg.connect(self.url(which, database), autocommit=True) as connection:
            cursor = connection.execute(statement)
            return cursor.fetchall() if cursor.description else None

    def stop(self):
        for which in reversed(list(self.running)):
            try:
                self.pg_ctl("stop", which)
            except (subprocess.CalledProcessError, OSError):
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def _why(exc):
    text = getattr(exc, "stderr", None) or str(exc)
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__
