"""The single sign-on pages as each role: anyone may start one, and it signs in whom the
provider says, never keeping the person who was signed in before."""

import pytest
from django.urls import reverse

from tests.permission_table import ROLES
from tests.sso.flow import sign_in, to_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(member, manager, outsider, staff):
    return {"outsider": outsider, "member": member, "manager": manager, "staff": staff}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_start_a_sign_in(client, sso, people, role):
    if role != "anonymous":
        client.force_login(people[role])
    assert to_provider(client).startswith(f"{sso.issuer}/authorize/")


@pytest.mark.parametrize("role", ROLES)
def test_signing_in_by_sso_replaces_whoever_was_signed_in(client, sso, people, role):
    if role != "anonymous":
        client.force_login(people[role])
    response = sign_in(client, sso.person("dee fox", "dee@example.com"))
    assert response.status_code == 302
    user = client.get(reverse("digests:preferences")).wsgi_request.user
    assert user.email == "dee@example.com"
    assert not user.is_staff
    assert not user.memberships.exists()
