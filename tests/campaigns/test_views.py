import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opsmaturity.campaigns.models import Campaign, CampaignProgress
from opsmaturity.operations import services as op_services
from opsmaturity.operations.phases import Phase
from tests.campaigns.factories import start_campaign
from tests.operations.factories import OperationFactory
from tests.teams.factories import TeamFactory

pytestmark = pytest.mark.django_db


def form_data(team, owner, **changes):
    return {
        "name": "Standardize every Billing launch",
        "goal": "phase",
        "goal_phase": Phase.STANDARDIZE,
        "goal_flag": "",
        "teams": [team.pk],
        "phases": [Phase.LAUNCH],
        "list_filter": "",
        "deadline": (timezone.localdate() + dt.timedelta(days=40)).isoformat(),
        "owner": owner.pk,
        **changes,
    }


def test_a_manager_starts_a_campaign_from_the_lists_filter(client, manager, member, team):
    OperationFactory(name="Refunds", team=team, owner=member)
    OperationFactory(name="Invoices", team=team)
    client.force_login(manager)
    listing = client.get(reverse("operations:list"), {"team": team.pk, "phase": "launch"})
    assert "Start a campaign with these" in listing.content.decode()
    page = client.get(
        reverse("campaigns:create"), {"team": team.pk, "phase": "launch", "owner": member.pk}
    )
    form = page.context["form"]
    assert form.initial["teams"] == [team.pk] and form.initial["phases"] == ["launch"]
    filter_ = form.initial["list_filter"]
    response = client.post(
        reverse("campaigns:create"), form_data(team, manager, list_filter=filter_)
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()
    assert list(campaign.members.values_list("operation__name", flat=True)) == ["Refunds"]


def test_bad_input_is_told_at_the_field(client, manager, team):
    client.force_login(manager)
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("campaigns:create"), form_data(team, manager, goal_phase="", deadline=past)
    )
    assert response.status_code == 200
    assert "goal_phase" in response.context["form"].errors
    assert not Campaign.objects.exists()
    response = client.post(reverse("campaigns:create"), form_data(team, manager))
    assert Campaign.objects.count() == 1


def test_the_deadline_in_the_past_is_refused(client, manager, team):
    client.force_login(manager)
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(reverse("campaigns:create"), form_data(team, manager, deadline=past))
    assert response.status_code == 200 and response.context["form"].errors
    assert not Campaign.objects.exists()


def test_a_member_cannot_start_or_close_but_reads(client, manager, member, team):
    OperationFactory(team=team)
    campaign = start_campaign(manager, [team])
    client.force_login(member)
    assert client.get(reverse("campaigns:create")).status_code == 403
    assert client.get(reverse("campaigns:list")).status_code == 200
    page = client.get(campaign.get_absolute_url())
    assert page.status_code == 200 and "Close the campaign" not in page.content.decode()


def test_the_page_shows_progress_and_changes_when_operations_move(client, manager, team):
    ops = [OperationFactory(name=f"Op {i}", team=team) for i in range(4)]
    campaign = start_campaign(manager, [team])
    client.force_login(manager)
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "0 / 4" in page and "No forecast yet" in page
    # two weeks ago, nothing was done; today two are
    CampaignProgress.objects.filter(campaign=campaign).update(
        date=timezone.localdate() - dt.timedelta(days=14)
    )
    for op in ops[:2]:
        op_services.move_phase(op, Phase.STANDARDIZE, by=manager, note="ready")
    response = client.get(campaign.get_absolute_url())
    page = response.content.decode()
    assert "2 / 4" in page
    assert "the 2 operations left will be done by" in page
    assert [m.operation.name for m in response.context["not_done"]] == ["Op 2", "Op 3"]
    assert response.context["chart"] is not None


def test_the_page_takes_the_same_queries_at_any_size(
    client, manager, team, django_assert_max_num_queries
):
    for i in range(3):
        OperationFactory(team=team, name=f"a{i}")
    small = start_campaign(manager, [team], name="small")
    other = TeamFactory(name="Support")
    from tests.teams.factories import MembershipFactory

    MembershipFactory(user=manager, team=other, role="manager")
    for i in range(30):
        OperationFactory(team=other, name=f"b{i}")
    big = start_campaign(manager, [other], name="big")
    client.force_login(manager)
    client.get(small.get_absolute_url())

    def count(url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    assert count(small.get_absolute_url()) == count(big.get_absolute_url())
    start_campaign(manager, [other], name="third")
    first = count(reverse("campaigns:list"))
    start_campaign(manager, [team], name="fourth")
    assert count(reverse("campaigns:list")) == first


def test_a_manager_closes_early_and_the_result_stays(client, manager, team):
    op = OperationFactory(team=team)
    OperationFactory(team=team)
    campaign = start_campaign(manager, [team])
    op_services.move_phase(op, Phase.STANDARDIZE, by=manager, note="ready")
    client.force_login(manager)
    url = reverse("campaigns:close", args=[campaign.pk])
    assert client.post(url, {}).status_code == 302  # not confirmed: nothing happens
    campaign.refresh_from_db()
    assert not campaign.is_closed
    client.post(url, {"confirm": "on"})
    campaign.refresh_from_db()
    assert (campaign.result_done, campaign.result_total) == (1, 2)
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "1 of 2 operations done" in page


def test_tampered_ids_are_404(client, manager):
    client.force_login(manager)
    assert client.get("/campaigns/999999/").status_code == 404
    assert client.post("/campaigns/999999/close/", {"confirm": "on"}).status_code == 404
    response = client.get(reverse("campaigns:create"), {"team": "9" * 30, "phase": "nope"})
    assert response.status_code == 200


def test_a_manager_adds_and_removes_operations_and_the_page_says_so(client, manager, team):
    first = OperationFactory(team=team, name="Refunds")
    campaign = start_campaign(manager, [team])
    OperationFactory(team=team, name="Chargebacks", phase=Phase.AUTOMATE)
    client.force_login(manager)
    client.post(reverse("campaigns:add", args=[campaign.pk]), {"name": "chargebacks"})
    client.post(
        reverse("campaigns:remove", args=[campaign.pk]),
        {"operation": first.pk, "note": "Handed to Support"},
    )
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "Changes since the start" in page and "Handed to Support" in page
    assert "1 / 1" in page  # Chargebacks, past standardize, is done
    again = client.post(reverse("campaigns:add", args=[campaign.pk]), {"name": "Chargebacks"})
    assert "already in the campaign" in again.content.decode()
    gone = client.post(reverse("campaigns:remove", args=[campaign.pk]), {"operation": 99999})
    assert gone.status_code == 200 and gone.context["form"].errors
