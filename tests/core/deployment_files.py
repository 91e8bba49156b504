"""The deployment files read as the tools that use them read them: compose, Dockerfile, pip."""

import json
import re
import shlex
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

APP_SERVICES = ("web", "worker", "beat")
BACKING_SERVICES = ("postgres", "redis")
# What settings.py reads and has no production-worthy default for.
REQUIRED_ENV = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "DEFAULT_FROM_EMAIL",
    "TIME_ZONE",
)
SHELL = {"SECRET_KEY": "secret-from-the-operators-shell-at-least-fifty-characters-long"}
RESTART_POLICIES = {"always", "unless-stopped", "on-failure"}


# --- Reading the files ---------------------------------------------------------


class MissingVariable(Exception):
    pass


_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value, shell):
    """Resolve ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}`` and ``$$``."""

    def replace(match):
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["named"]
        op, arg = match["op"], match["arg"]
        current = shell.get(name)
        missing = current is None or (current == "" and op is not None and op.startswith(":"))
        if missing and op in (":-", "-"):
            return arg
        if missing and op in (":?", "?"):
            raise MissingVariable(f"{name}: {arg}")
        return current or ""

    return _VARIABLE.sub(replace, str(value))


def environment_of(service, shell=SHELL):
    """A service's environment as Compose hands it over: unset variables are left out."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, None) for item in raw)
    env = {}
    for name, value in raw.items():
        if value is not None:
            env[name] = interpolate(value, shell)
        elif name in shell:
            env[name] = shell[name]
    return env


def args_of(command):
    return shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]


def shell_script_of(command):
    """The script of ``sh -c "..."``, or the command itself as one line."""
    args = args_of(command)
    if len(args) >= 3 and args[0] in ("sh", "/bin/sh", "bash", "/bin/bash") and args[1] == "-c":
        return args[2]
    return shlex.join(args)


def healthcheck_text(service):
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(str(part) for part in test)


def dockerfile_instructions():
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, rest = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        pending = ""
    return instructions


def exec_or_shell_form(arguments):
    """A CMD/HEALTHCHECK CMD argument string as a list of words."""
    arguments = arguments.strip()
    if arguments.startswith("["):
        return json.loads(arguments)
    return shlex.split(arguments)


def production_distributions():
    """Names of every distribution `pip install .` brings in: no test extras."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    todo = [Requirement(raw) for raw in pyproject["project"]["dependencies"]]
    names, done = set(), set()
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        names.add(name)
        for extra in ("", *sorted(requirement.extras)):
            if (name, extra) in done:
                continue
            done.add((name, extra))
            for raw in metadata.requires(name) or []:
                dependency = Requirement(raw)
                if dependency.marker is None:
                    wanted = extra == ""
                else:
                    wanted = dependency.marker.evaluate({"extra": extra})
                if wanted:
                    todo.append(dependency)
    return names
