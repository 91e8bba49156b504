import importlib
import os

import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production's manifest storage needs collectstatic first; tests serve from the finders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # A job command gives the process the job's statement timeout (dbconfig.use_job_timeouts):
    # the next test starts with the page's again.
    before = {alias: dict(db.get("OPTIONS", {})) for alias, db in settings.DATABASES.items()}
    # The dashboard's kept bodies are keyed by the data's version, and a test's data
    # (rolled back, its clock frozen) can repeat another's version.
    from django.core.cache import caches

    caches["dashboard"].clear()
    yield
    from django.db import connections

    for alias, options in before.items():
        database = settings.DATABASES.get(alias)
        if database is not None and database.get("OPTIONS", {}) != options:
            database["OPTIONS"] = options
            connections[alias].settings_dict["OPTIONS"] = options
            if not connections[alias].in_atomic_block:
                connections[alias].close()


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = settings.CELERY_BROKER_URL.split("://")[0]
    return f"ops-maturity: database={engine} broker={broker}"


requires_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="needs PostgreSQL: set DATABASE_URL=postgres://…",
)
requires_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL=redis://…"
)


@pytest.fixture
def dead_broker():
    """Point Celery at a Redis port where nothing listens, as when the broker is down."""
    from opsmaturity.celery import app

    saved_conf = {key: app.conf.get(key) for key in ("broker_url", "broker_transport_options")}
    saved_pools = (app._pool, app.amqp._producer_pool)
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.conf.broker_transport_options = {}
    app._pool = app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.update(saved_conf)
        app._pool, app.amqp._producer_pool = saved_pools


@pytest.fixture(autouse=True)
def _default_exit_criteria(request):
    """Put back the exit criteria that ship as data in migrations (and their keys).

    A transactional test (browser, worker) empties every table when it ends,
    migration data included; the tests after it expect the defaults.
    """
    if not any(m.name == "django_db" for m in request.node.iter_markers()):
        return
    transactional = any(m.kwargs.get("transaction") for m in request.node.iter_markers("django_db"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.apps import apps

    from opsmaturity.operations.models import PhaseCriterion

    if not PhaseCriterion.objects.exists():
        for name, step in (
            ("0002_default_criteria", "add_defaults"),
            ("0014_link_default_criteria", "link"),
        ):
            migration = importlib.import_module(f"opsmaturity.operations.migrations.{name}")
            getattr(migration, step)(apps, None)


# --- the people of most tests, defined once ------------------------------------------
# A team, its manager and a member; someone who manages another team; and staff.
# Tables that try every role (tests/permission_table.py) build their own world.


@pytest.fixture
def team():
    from tests.teams.factories import TeamFactory

    return TeamFactory(name="Billing")


@pytest.fixture
def manager(team):
    from opsmaturity.teams.models import Role
    from tests.teams.factories import MembershipFactory, UserFactory

    user = UserFactory(username="boss", first_name="Mika", last_name="Morita")
    MembershipFactory(user=user, team=team, role=Role.MANAGER)
    return user


@pytest.fixture
def member(team):
    from opsmaturity.teams.models import Role
    from tests.teams.factories import MembershipFactory, UserFactory

    user = UserFactory(username="ann", first_name="Ann", last_name="Lee")
    MembershipFactory(user=user, team=team, role=Role.MEMBER)
    return user


@pytest.fixture
def outsider():
    from opsmaturity.teams.models import Role
    from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

    user = UserFactory(username="zed", first_name="Zed", last_name="Other")
    MembershipFactory(user=user, team=TeamFactory(name="Risk"), role=Role.MANAGER)
    return user


@pytest.fixture
def staff():
    from tests.teams.factories import UserFactory

    return UserFactory(username="root", first_name="Ada", last_name="Admin", is_staff=True)
