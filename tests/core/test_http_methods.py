"""Every URL of the project answers 405 to a method it does not serve.

The walk covers every pattern the URL resolver knows, the admin's included, so a
view added later without a method guard is covered the day it is added. Path
arguments are filled with one id that every object made here shares, so that a
view which ignored the method would find its object and answer 200.
"""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern

from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.models import PhaseCriterion
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.organization.factories import (
    JobRoleFactory,
    LearningPlanFactory,
    SkillFactory,
    SkillLevelFactory,
)
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

ID = 4242
REFUSED = ("PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
# Values for the named groups of the admin's two regular expressions.
REGEX_VALUES = {"app_label": "operations", "url": "no-such-page/"}


def _route_path(route):
    def value(match):
        converter = match["converter"] or "str"
        return str(uuid.uuid4()) if converter == "uuid" else str(ID)

    return re.sub(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>", value, route)


def _regex_path(regex):
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: REGEX_VALUES[m[1]], regex)
    return path.replace("^", "").replace("$", "")


# The REST API says itself which methods each endpoint serves, PUT and PATCH among them
# (tests/api/test_api_methods.py): it is no page.
API_PREFIX = "/api/"


def page_paths():
    return [(path, p) for path, p in every_path() if not path.startswith(API_PREFIX)]


def every_path(patterns=None, prefix=""):
    """(path, pattern) for every URL pattern of the project, arguments filled."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from every_path(pattern.url_patterns, prefix + _piece(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield "/" + prefix + _piece(pattern.pattern), pattern


def _piece(pattern):
    text = str(pattern)
    return _regex_path(text) if isinstance(pattern, RegexPattern) else _route_path(text)


@pytest.fixture
def world():
    """One object of each kind a path names, all with the id ``ID``."""
    staff = UserFactory(username="staff-walker", is_staff=True, is_superuser=True)
    member = UserFactory(id=ID, username="member-walker")
    team = TeamFactory(id=ID, name="Walked team")
    MembershipFactory(user=member, team=team, role=Role.MEMBER)
    MembershipFactory(user=staff, team=team, role=Role.MANAGER)
    operation = OperationFactory(id=ID, team=team, owner=member, phase=Phase.LAUNCH)
    PhaseCriterion.objects.create(id=ID, phase=Phase.LAUNCH, label="Walked criterion")
    Flag.objects.create(id=ID, operation=operation, kind=FlagKind.STALLED)
    skill = SkillFactory(id=ID, name="Walked skill")
    JobRoleFactory(id=ID, team=team)
    SkillLevelFactory(id=ID, user=member, skill=skill)
    LearningPlanFactory(id=ID, user=member, skill=skill)
    return {"staff": staff}


def test_the_walk_reaches_every_kind_of_page():
    """The walk is only as good as the paths it builds: each must resolve to its own
    pattern (an unfilled argument would leave a path that resolves elsewhere)."""
    paths = list(every_path())
    assert len(paths) > 100, "the admin's patterns are part of the walk"
    for path, pattern in paths:
        assert resolve(path).func == pattern.callback, path


@pytest.mark.parametrize("method", REFUSED)
def test_every_url_refuses_methods_no_page_serves_for_staff(client, world, method):
    client.force_login(world["staff"])
    answers = {}
    for path, _pattern in page_paths():
        response = client.generic(method, path)
        answers[path] = response.status_code
        if response.status_code == 405:
            assert "POST" in response["Allow"] and method not in response["Allow"], path
    wrong = {path: status for path, status in answers.items() if status not in (403, 404, 405)}
    assert wrong == {}, f"{method} must answer 405 (or 403/404), never serve the page"


@pytest.mark.parametrize("method", REFUSED)
def test_every_url_refuses_methods_no_page_serves_before_sign_in(client, world, method):
    """Refused the same way for a stranger: no detour through the sign-in page."""
    wrong = {}
    for path, _pattern in page_paths():
        status = client.generic(method, path).status_code
        if status != 405:
            wrong[path] = status
    assert wrong == {}


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/dashboard/",
        "/ops/",
        f"/ops/{ID}/",
        "/team-plan/",
        f"/team-plan/teams/{ID}/",
        f"/team-plan/teams/{ID}/gap.csv",
        "/team-plan/roles/",
        f"/team-plan/roles/{ID}/",
        "/healthz",
    ],
)
def test_pages_that_only_read_refuse_a_post(client, world, path):
    client.force_login(world["staff"])
    response = client.post(path)
    assert response.status_code == 405
    assert "GET" in response["Allow"] and "POST" not in response["Allow"]
