"""Members see the campaigns their operations are in: on the operation's page and in the list."""

import pytest
from django.urls import reverse

from opsmaturity.campaigns import services
from opsmaturity.operations import services as op_services
from opsmaturity.operations.phases import Phase
from tests.campaigns.factories import start_campaign
from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db


def test_the_operation_page_names_its_campaigns(client, manager, member, team):
    op = OperationFactory(team=team, owner=member, name="Refunds")
    campaign = start_campaign(manager, [team], name="Standardize Billing")
    client.force_login(member)
    page = client.get(op.get_absolute_url()).content.decode()
    assert "In campaigns" in page and "Standardize Billing" in page and "to do by" in page
    op_services.move_phase(op, Phase.STANDARDIZE, by=member, note="ready")
    services.close_campaign(campaign, by=manager)
    page = client.get(op.get_absolute_url()).content.decode()
    assert "done at the close" in page


def test_an_operation_in_no_campaign_says_nothing_of_them(client, member, team):
    op = OperationFactory(team=team, owner=member)
    client.force_login(member)
    assert "In campaigns" not in client.get(op.get_absolute_url()).content.decode()


def test_the_list_filters_by_campaign(client, manager, member, team):
    inside = OperationFactory(team=team, owner=member, name="Inside")
    campaign = start_campaign(manager, [team])
    OperationFactory(team=team, owner=member, name="Later")
    removed = OperationFactory(team=team, owner=member, name="Removed")
    services.add_operation(campaign, removed, by=manager)
    services.remove_operation(campaign, removed, by=manager)
    client.force_login(member)
    response = client.get(reverse("operations:list"), {"campaign": campaign.pk})
    assert [op.name for op in response.context["page"].object_list] == [inside.name]
    odd = client.get(reverse("operations:list"), {"campaign": "99999999999999999999"})
    assert odd.status_code == 200


def test_the_operation_page_takes_the_same_queries_with_more_campaigns(client, manager, team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    op = OperationFactory(team=team)
    start_campaign(manager, [team], name="one")
    client.force_login(manager)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            client.get(op.get_absolute_url())
        return len(ctx.captured_queries)

    first = count()
    for i in range(3):
        start_campaign(manager, [team], name=f"more {i}")
    assert count() == first
