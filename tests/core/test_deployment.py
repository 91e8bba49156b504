"""The container deployment: Dockerfile, .dockerignore and docker-compose.yml.

No Docker engine runs here, so these tests read the files and check what
`docker compose up` relies on: every service is there, web, worker and beat run
one image and one environment, that environment is complete and points at the
postgres and redis services, health checks gate the start order, the web
service migrates before serving, and the image runs as an unprivileged user.
Where a value is written as ``${VAR:-default}``, it is resolved the way Compose
resolves it, with only SECRET_KEY given by the "shell".
"""

import json
import os
import re
import shlex
import subprocess
import sys
from urllib.parse import urlsplit

import dj_database_url
import pytest
import yaml

from tests.core.deployment_files import (
    APP_SERVICES,
    BACKING_SERVICES,
    COMPOSE_FILE,
    DOCKERFILE,
    REQUIRED_ENV,
    RESTART_POLICIES,
    ROOT,
    SHELL,
    MissingVariable,
    args_of,
    environment_of,
    healthcheck_text,
    shell_script_of,
)


@pytest.fixture(scope="module")
def compose():
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict), "docker-compose.yml is not a mapping"
    return document


@pytest.fixture(scope="module")
def services(compose):
    services = compose.get("services")
    assert isinstance(services, dict), "docker-compose.yml has no services"
    return services


def service(services, name):
    assert name in services, f"docker-compose.yml has no {name!r} service"
    return services[name]


# --- docker-compose.yml: services, image, environment ---------------------------


def test_compose_file_uses_the_compose_spec_without_a_version_key(compose):
    assert "version" not in compose


@pytest.mark.parametrize("name", APP_SERVICES + BACKING_SERVICES)
def test_service_is_defined(services, name):
    assert isinstance(service(services, name), dict)


def test_app_services_run_one_image_built_once_from_the_dockerfile(services):
    images = {name: service(services, name).get("image") for name in APP_SERVICES}
    assert len(set(images.values())) == 1 and None not in images.values(), images
    builders = [name for name in APP_SERVICES if "build" in services[name]]
    assert builders == ["web"], f"exactly one service (web) should build the image: {builders}"

    build = services["web"]["build"]
    if isinstance(build, str):
        build = {"context": build}
    context = ROOT / build.get("context", ".")
    assert context.resolve() == ROOT
    assert (context / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE


def test_app_services_share_one_environment(services):
    environments = [environment_of(service(services, name)) for name in APP_SERVICES]
    assert environments[0], "web has no environment"
    assert all(env == environments[0] for env in environments)


@pytest.mark.parametrize("name", APP_SERVICES)
@pytest.mark.parametrize("variable", REQUIRED_ENV)
def test_app_service_gets_every_setting_it_needs(services, name, variable):
    env = environment_of(service(services, name))
    assert env.get(variable), f"{name} gets no {variable}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_is_told_how_to_send_mail(services, name):
    env = environment_of(service(services, name))
    assert env.get("EMAIL_URL") or (env.get("EMAIL_BACKEND") and env.get("EMAIL_HOST")), (
        f"{name} would fall back to writing mail as files inside the container"
    )


@pytest.mark.parametrize("name", APP_SERVICES)
def test_secret_key_comes_from_the_shell_and_has_no_default(services, name):
    with pytest.raises(MissingVariable, match="SECRET_KEY"):
        environment_of(service(services, name), shell={})
    assert environment_of(services[name])["SECRET_KEY"] == SHELL["SECRET_KEY"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_debug_is_off(services, name):
    from opsmaturity.env import FALSE

    assert environment_of(service(services, name)).get("DEBUG", "").strip().lower() in FALSE


def test_settings_load_from_the_compose_environment(services):
    """settings.py accepts the environment as web, worker and beat receive it."""
    env = environment_of(service(services, "web"))
    probe = (
        "import json, django;"
        "from django.conf import settings;"
        "django.setup();"
        "db = settings.DATABASES['default'];"
        "print(json.dumps({'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS,"
        " 'engine': db['ENGINE'], 'host': db['HOST'], 'broker': settings.CELERY_BROKER_URL,"
        " 'email': settings.EMAIL_BACKEND, 'site': settings.SITE_URL,"
        " 'tz': settings.TIME_ZONE}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "opsmaturity.settings"}
        | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["debug"] is False
    assert loaded["hosts"], "ALLOWED_HOSTS is empty: every request would get a 400"
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["host"] == "postgres"
    assert loaded["broker"] == env["REDIS_URL"]
    assert loaded["email"] != "django.core.mail.backends.filebased.EmailBackend"
    assert loaded["site"].startswith(("http://", "https://"))
    assert loaded["tz"] == env["TIME_ZONE"]


def test_database_url_points_at_the_postgres_service(services):
    database = dj_database_url.parse(environment_of(service(services, "web"))["DATABASE_URL"])
    postgres = environment_of(service(services, "postgres"))
    user = postgres.get("POSTGRES_USER", "postgres")
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["HOST"] == "postgres"
    assert int(database["PORT"] or 5432) == 5432
    assert database["USER"] == user
    assert database["PASSWORD"] == postgres.get("POSTGRES_PASSWORD")
    assert database["NAME"] == postgres.get("POSTGRES_DB", user)


def test_redis_url_points_at_the_redis_service(services):
    url = urlsplit(environment_of(service(services, "web"))["REDIS_URL"])
    assert url.scheme in ("redis", "rediss")
    assert url.hostname == "redis"
    assert (url.port or 6379) == 6379
    assert re.fullmatch(r"/(1[0-5]|[0-9])?", url.path or "/"), f"not a Redis database: {url.path}"
    redis_args = args_of(service(services, "redis").get("command") or [])
    password = None
    if "--requirepass" in redis_args:
        password = redis_args[redis_args.index("--requirepass") + 1]
    assert url.password == password


def test_postgres_keeps_its_data_on_a_named_volume(compose, services):
    mounts = service(services, "postgres").get("volumes") or []
    sources = []
    for mount in mounts:
        if isinstance(mount, str):
            source, _, rest = mount.partition(":")
            target = rest.split(":")[0]
        else:
            source, target = mount.get("source"), mount.get("target")
        if target == "/var/lib/postgresql/data":
            sources.append(source)
    assert sources, "postgres' data directory is not mounted: the data dies with the container"
    assert sources[0] in (compose.get("volumes") or {}), (
        f"{sources[0]!r} is not a named volume declared under the top-level `volumes`"
    )


@pytest.mark.parametrize("name", BACKING_SERVICES)
def test_backing_services_are_not_published_on_the_host(services, name):
    assert not service(services, name).get("ports"), f"{name} is reachable from outside"


# --- docker-compose.yml: health, start order, commands ---------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("postgres", ["pg_isready"]),
        ("redis", ["redis-cli", "ping"]),
        ("web", ["/healthz"]),
        ("worker", ["inspect", "ping", "celery@"]),
        ("beat", ["inspect", "ping", "celerybeat@"]),
    ],
)
def test_service_has_a_health_check(services, name, expected):
    check = service(services, name).get("healthcheck")
    assert check and not check.get("disable"), f"{name} has no health check"
    text = healthcheck_text(services[name])
    assert not text.startswith("NONE")
    for word in expected:
        assert word in text, f"{name}'s health check does not use {word!r}: {text}"


def test_web_waits_for_healthy_postgres_and_redis(services):
    depends_on = service(services, "web").get("depends_on")
    assert isinstance(depends_on, dict), "web must wait on health, not just on start"
    for name in BACKING_SERVICES:
        assert depends_on.get(name, {}).get("condition") == "service_healthy", name


def test_every_health_condition_names_a_service_with_a_health_check(services):
    for name, spec in services.items():
        depends_on = spec.get("depends_on")
        if not isinstance(depends_on, dict):
            continue
        for dependency, condition in depends_on.items():
            if condition.get("condition") == "service_healthy":
                check = service(services, dependency).get("healthcheck") or {}
                assert check.get("test") and not check.get("disable"), (
                    f"{name} waits for {dependency} to be healthy, which never happens"
                )


def test_web_migrates_then_serves_with_gunicorn(services):
    web = service(services, "web")
    steps = [step.strip() for step in shell_script_of(web.get("command", "")).split("&&")]
    migrate = [i for i, step in enumerate(steps) if "manage.py migrate" in step]
    serve = [i for i, step in enumerate(steps) if "gunicorn" in step]
    assert migrate and serve, f"web does not migrate and then serve: {steps}"
    assert migrate[0] < serve[0], "gunicorn starts before the migrations"
    assert "--no-input" in steps[migrate[0]] or "--noinput" in steps[migrate[0]]
    gunicorn = shlex.split(steps[serve[0]])
    assert "opsmaturity.wsgi" in gunicorn or "opsmaturity.wsgi:application" in gunicorn
    assert any("0.0.0.0:8000" in arg for arg in gunicorn), "gunicorn must listen on 0.0.0.0:8000"
    assert any(str(port).endswith(":8000") for port in web.get("ports", [])), "port 8000"


@pytest.mark.parametrize("name", APP_SERVICES + BACKING_SERVICES)
def test_service_restarts_on_its_own(services, name):
    spec = service(services, name)
    policy = spec.get("restart") or (spec.get("deploy", {}).get("restart_policy") or {}).get(
        "condition"
    )
    assert policy in RESTART_POLICIES | {"any"}, f"{name} restart policy: {policy!r}"


@pytest.mark.parametrize("name, subcommand", [("worker", "worker"), ("beat", "beat")])
def test_celery_command_names_the_importable_app(services, name, subcommand):
    from celery.app.utils import find_app

    from opsmaturity.celery import app

    args = args_of(service(services, name).get("command") or [])
    assert args and args[0] == "celery", f"{name} does not run celery: {args}"
    app_name = None
    for i, arg in enumerate(args):
        if arg in ("-A", "--app"):
            app_name = args[i + 1]
        elif arg.startswith("--app="):
            app_name = arg.split("=", 1)[1]
        elif arg.startswith("-A") and len(arg) > 2:
            app_name = arg[2:]
    assert app_name == "opsmaturity"
    assert subcommand in args
    # Resolved exactly as the celery command line resolves -A.
    assert find_app(app_name) is app
    assert app.main == "opsmaturity"


def test_beat_keeps_its_schedule_where_the_app_user_can_write(services):
    args = args_of(service(services, "beat").get("command") or [])
    path = next(
        (args[i + 1] for i, arg in enumerate(args) if arg in ("-s", "--schedule")),
        next((arg.split("=", 1)[1] for arg in args if arg.startswith("--schedule=")), None),
    )
    assert path and path.startswith("/tmp/"), f"beat's schedule file: {path!r}"
