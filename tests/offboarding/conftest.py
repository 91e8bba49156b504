"""The people of the offboarding tests: the shared team Billing with its manager and
member (tests/conftest.py), and Leo, a member of Billing who is about to leave."""

import pytest

from opsmaturity.teams.models import Role
from tests.teams.factories import MembershipFactory, UserFactory


@pytest.fixture
def leaver(team):
    user = UserFactory(username="leo", first_name="Leo", last_name="Park")
    MembershipFactory(user=user, team=team, role=Role.MEMBER)
    return user
