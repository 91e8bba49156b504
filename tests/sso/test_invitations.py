"""An invitation accepted by signing in with SSO: the invitee lands in the team."""

import html
import re

import pytest
from django.core import mail
from django.urls import reverse

from opsmaturity.teams.models import Membership, Role
from tests.invitations.helpers import link_in, path_of
from tests.sso.flow import at_provider, back_at_app

pytestmark = pytest.mark.django_db


def test_an_invitee_signs_in_with_sso_and_joins_the_team(client, sso, team, manager):
    client.force_login(manager)
    client.post(
        reverse("invitations:invite", args=[team.pk]),
        {"invite-emails": "jo.kay@example.com", "invite-role": Role.MEMBER},
    )
    accept_path = path_of(link_in(mail.outbox[0]))
    client.logout()

    page = client.get(accept_path).content.decode()
    start = html.unescape(re.search(r'href="(/sso/login/\?next=[^"]+)"', page)[1])
    provider = client.get(start)
    assert provider.status_code == 302
    callback = at_provider(provider["Location"], sso.person("jo kay", "jo.kay@example.com"))
    back = back_at_app(client, callback)
    assert back["Location"] == accept_path

    assert client.post(accept_path).status_code == 302
    joined = Membership.objects.get(team=team, user__email="jo.kay@example.com")
    assert joined.role == Role.MEMBER
