"""The image: the Dockerfile, .dockerignore, and what pip install puts in it."""

import re
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.core.deployment_files import (
    DOCKERIGNORE,
    dockerfile_instructions,
    exec_or_shell_form,
    production_distributions,
)

# --- Dockerfile and .dockerignore --------------------------------------------------


def test_dockerfile_builds_on_python_311_slim():
    froms = [args for keyword, args in dockerfile_instructions() if keyword == "FROM"]
    assert froms and froms[0].split()[0] == "python:3.11-slim"


def test_dockerfile_installs_the_project_without_test_extras():
    runs = [args for keyword, args in dockerfile_instructions() if keyword == "RUN"]
    assert any(re.search(r"\bpip install\b(?:\s+-\S+)*\s+\.(?:\s|$)", run) for run in runs), (
        "no `pip install .`"
    )
    assert not any(re.search(r"\.\[[^\]]*\]|\s-e\s|--editable", run) for run in runs)


def test_dockerfile_collects_static_files_with_a_build_only_secret():
    instructions = dockerfile_instructions()
    collect = [
        args for keyword, args in instructions if keyword == "RUN" and "collectstatic" in args
    ]
    assert collect, "static files are not collected at build time"
    assert "--no-input" in collect[0] or "--noinput" in collect[0]
    assert "SECRET_KEY=" in collect[0], "collectstatic needs a throwaway SECRET_KEY"
    assert not re.search(r"\bDEBUG=(1|true|yes|on)\b", collect[0], re.I), (
        "with DEBUG on, collectstatic skips the manifest whitenoise serves in production"
    )
    for keyword, args in instructions:
        if keyword in ("ENV", "ARG"):
            assert "SECRET_KEY" not in args, f"{keyword} would bake SECRET_KEY into the image"


def test_dockerfile_does_not_run_as_root():
    instructions = dockerfile_instructions()
    users = [(i, args) for i, (keyword, args) in enumerate(instructions) if keyword == "USER"]
    assert users, "no USER line: the container runs as root"
    index, user = users[-1]
    assert user.split(":")[0] not in ("root", "0")
    cmd = [i for i, (keyword, _args) in enumerate(instructions) if keyword == "CMD"]
    assert cmd and index < cmd[-1]


def test_dockerfile_health_check_asks_healthz_without_curl():
    checks = [args for keyword, args in dockerfile_instructions() if keyword == "HEALTHCHECK"]
    assert checks, "no HEALTHCHECK"
    options, _, command = checks[-1].partition("CMD ")
    assert command, f"HEALTHCHECK without a command: {checks[-1]}"
    words = exec_or_shell_form(command)
    text = " ".join(words)
    assert "python" in words[0] and "urllib" in text and "/healthz" in text
    assert "127.0.0.1:8000" in text or "localhost:8000" in text
    assert "curl" not in text and "wget" not in text, "python:3.11-slim has neither"


def test_dockerfile_serves_the_wsgi_app_with_gunicorn():
    instructions = dockerfile_instructions()
    cmds = [args for keyword, args in instructions if keyword == "CMD"]
    assert cmds, "no CMD"
    words = exec_or_shell_form(cmds[-1])
    assert words[0] == "gunicorn"
    assert "opsmaturity.wsgi" in words or "opsmaturity.wsgi:application" in words
    assert any("0.0.0.0:8000" in word for word in words)
    exposed = [args for keyword, args in instructions if keyword == "EXPOSE"]
    assert any("8000" in args.split() for args in exposed)


@pytest.mark.parametrize("entry", [".git", ".venv", "var", ".env", "staticfiles"])
def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image(entry):
    assert DOCKERIGNORE.exists(), "no .dockerignore: .git, .venv and var/ go to the builder"
    patterns = {
        line.strip().strip("/") for line in DOCKERIGNORE.read_text().splitlines() if line.strip()
    }
    assert entry in patterns or f"**/{entry}" in patterns, f"{entry} is sent to the builder"


# --- What `pip install .` puts in the image ----------------------------------------


@pytest.mark.parametrize("distribution", ["gunicorn", "whitenoise", "psycopg", "celery", "redis"])
def test_production_install_provides(distribution):
    assert canonicalize_name(distribution) in production_distributions()


def test_production_install_provides_the_redis_transport():
    """kombu's Redis transport imports what kombu's ``redis`` extra installs.

    In the development environment the test tools bring those in, so the app
    works there while the image, which installs no test extras, cannot reach
    its broker: /healthz answers 503 and the worker does not start.
    """
    needed = {
        canonicalize_name(requirement.name)
        for requirement in map(Requirement, metadata.requires("kombu") or [])
        if requirement.marker is not None
        and requirement.marker.evaluate({"extra": "redis"})
        and not requirement.marker.evaluate({"extra": ""})
    }
    missing = needed - production_distributions()
    assert not missing, (
        f"`pip install .` does not install {sorted(missing)}, which kombu's Redis transport "
        "imports: depend on celery[redis] (or kombu[redis]) in pyproject.toml"
    )
