import pytest

from opsmaturity.teams import access
from tests.campaigns.factories import start_campaign

pytestmark = pytest.mark.django_db


def test_who_may_start_and_manage_a_campaign(manager, member, outsider, staff, team):
    campaign = start_campaign(manager, [team])
    assert access.can_create_campaign_for(manager, {team.pk})
    assert access.can_create_campaign_for(staff, {team.pk})
    assert not access.can_create_campaign_for(member, {team.pk})
    assert not access.can_create_campaign_for(outsider, {team.pk})
    assert not access.can_create_campaign_for(manager, set())
    assert access.can_manage_campaign(manager, campaign)
    assert access.can_manage_campaign(staff, campaign)
    assert not access.can_manage_campaign(member, campaign)
    assert not access.can_manage_campaign(outsider, campaign)
    assert access.can_read_campaigns(member) and access.can_read_campaigns(outsider)


def test_a_campaign_over_two_teams_needs_a_manager_of_both(manager, outsider, team):
    other = outsider.memberships.get().team
    campaign = start_campaign(manager, [team, other])
    assert not access.can_manage_campaign(manager, campaign)
    assert not access.can_manage_campaign(outsider, campaign)
