import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from opsmaturity.campaigns import progress, services
from opsmaturity.campaigns.models import (
    CampaignChange,
    CampaignMember,
    CampaignProgress,
    ChangeAction,
    Goal,
)
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations import services as op_services
from opsmaturity.operations.phases import Phase
from tests.campaigns.factories import start_campaign
from tests.operations.factories import OperationFactory
from tests.teams.factories import TeamFactory

pytestmark = pytest.mark.django_db


def done_names(campaign):
    members = progress.with_done(progress.current_members(campaign)).filter(done=True)
    return sorted(members.values_list("operation__name", flat=True))


def move(operation, to, by):
    op_services.move_phase(operation, to, by=by, note="test move")


def test_the_operations_are_fixed_when_it_starts(manager, team):
    a = OperationFactory(name="Refunds", team=team)
    b = OperationFactory(name="Invoices", team=team)
    OperationFactory(name="Payroll", team=team, phase=Phase.AUTOMATE)  # not in scope
    OperationFactory(name="Elsewhere", team=TeamFactory(name="Support"))
    campaign = start_campaign(manager, [team])
    OperationFactory(name="Later", team=team)  # recorded after the start: not in it
    ids = set(progress.current_members(campaign).values_list("operation_id", flat=True))
    assert ids == {a.pk, b.pk}
    day = CampaignProgress.objects.get(campaign=campaign)
    assert (day.done, day.total, day.cost_total) == (0, 2, Decimal("2000"))


def test_the_list_filter_narrows_the_scope(manager, team, member):
    mine = OperationFactory(name="Refund checks", team=team, owner=member)
    OperationFactory(name="Invoices", team=team)
    campaign = start_campaign(manager, [team], list_filter=f"owner={member.pk}&page=3&sort=-cost")
    assert list(progress.current_members(campaign).values_list("operation_id", flat=True)) == [
        mine.pk
    ]
    assert campaign.scope_filter == f"owner={member.pk}"


def test_reach_a_phase_counts_the_phases_past_it_but_not_retirement(manager, team):
    ops = {n: OperationFactory(name=n, team=team) for n in ("a", "b", "c", "d")}
    campaign = start_campaign(manager, [team])
    move(ops["a"], Phase.STANDARDIZE, manager)
    move(ops["b"], Phase.AUTOMATE, manager)  # a skip, with a note
    move(ops["c"], Phase.RETIRE, manager)
    assert done_names(campaign) == ["a", "b"]
    assert progress.counts([campaign.pk])[campaign.pk]["done"] == 2


def test_a_retire_goal_counts_retirement_only(manager, team):
    ops = {n: OperationFactory(name=n, team=team) for n in ("a", "b")}
    campaign = start_campaign(manager, [team], goal_phase=Phase.RETIRE)
    move(ops["a"], Phase.RETIRE, manager)
    move(ops["b"], Phase.STANDARDIZE, manager)
    assert done_names(campaign) == ["a"]


def test_resolve_a_flag_kind_means_no_standing_flag_of_it(manager, team):
    flagged = OperationFactory(name="flagged", team=team)
    OperationFactory(name="clean", team=team)
    snoozed = OperationFactory(name="snoozed", team=team)
    Flag.objects.create(operation=flagged, kind=FlagKind.DUE_SOON)
    Flag.objects.create(
        operation=snoozed,
        kind=FlagKind.DUE_SOON,
        snoozed_until=timezone.localdate() + dt.timedelta(days=5),
    )
    Flag.objects.create(operation=snoozed, kind=FlagKind.STALLED, resolved_at=timezone.now())
    campaign = start_campaign(manager, [team], goal=Goal.FLAG, goal_flag=FlagKind.DUE_SOON)
    assert done_names(campaign) == ["clean"]
    Flag.objects.filter(operation=flagged).update(resolved_at=timezone.now())
    assert done_names(campaign) == ["clean", "flagged"]


def test_review_purposes_counts_reviews_after_the_start(manager, team):
    before = OperationFactory(name="before", team=team)
    after = OperationFactory(name="after", team=team)
    op_services.review_purpose(
        before,
        by=manager,
        reason="Still needed",
        monthly_value=1,
        monthly_cost=1,
        expected_version=1,
    )
    campaign = start_campaign(manager, [team], goal=Goal.REVIEW, phases=[])
    assert done_names(campaign) == []
    op_services.review_purpose(
        after, by=manager, reason="Still needed", monthly_value=1, monthly_cost=1,
        expected_version=1,
    )  # fmt: skip
    assert done_names(campaign) == ["after"]


def test_additions_and_removals_are_recorded(manager, team):
    a = OperationFactory(name="a", team=team)
    campaign = start_campaign(manager, [team])
    late = OperationFactory(name="late", team=team)
    services.add_operation(campaign, late, by=manager, note="found it")
    services.remove_operation(campaign, a, by=manager)
    changes = list(CampaignChange.objects.values_list("operation__name", "action"))
    assert changes == [("late", ChangeAction.ADDED), ("a", ChangeAction.REMOVED)]
    assert CampaignMember.objects.filter(campaign=campaign).count() == 2  # the removed row stays
    assert list(progress.current_members(campaign).values_list("operation__name", flat=True)) == [
        "late"
    ]
    with pytest.raises(ValidationError):
        services.remove_operation(campaign, a, by=manager)
    with pytest.raises(ValidationError):
        services.add_operation(campaign, late, by=manager)
    with pytest.raises(ValidationError):
        services.add_operation(campaign, OperationFactory(name="x"), by=manager)
    with pytest.raises(ValueError):
        CampaignChange.objects.first().delete()


def test_a_deadline_in_the_past_is_refused(manager, team):
    with pytest.raises(ValidationError) as error:
        start_campaign(manager, [team], deadline=timezone.localdate() - dt.timedelta(days=1))
    assert "deadline" in error.value.message_dict


def test_closing_keeps_the_result_whatever_happens_next(manager, team):
    a = OperationFactory(name="a", team=team)
    OperationFactory(name="b", team=team)
    campaign = start_campaign(manager, [team])
    move(a, Phase.STANDARDIZE, manager)
    closed = services.close_campaign(campaign, by=manager)
    assert (closed.result_done, closed.result_total) == (1, 2)
    move(a, Phase.LAUNCH, manager)  # backward after the close
    assert done_names(campaign) == ["a"]
    assert services.close_campaign(campaign).closed_at == closed.closed_at  # twice: no change
    with pytest.raises(ValidationError):
        services.add_operation(campaign, OperationFactory(team=team), by=manager)


def test_overdue_campaigns_close_by_themselves_and_the_day_is_recorded_once(manager, team):
    OperationFactory(team=team)
    due = start_campaign(manager, [team], deadline=timezone.localdate())
    later = start_campaign(manager, [team], name="Later")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert services.daily(tomorrow) == {
        "closed": 1,
        "recorded": 1,
        "date": tomorrow.isoformat(),
    }
    services.daily(tomorrow)  # a rerun rewrites the day
    due.refresh_from_db()
    assert due.is_closed and due.result_total == 1
    assert CampaignProgress.objects.filter(campaign=later, date=tomorrow).count() == 1


def test_counts_take_one_query_for_any_number_of_campaigns(
    manager, team, django_assert_num_queries
):
    for _ in range(3):
        OperationFactory(team=team)
    ids = [start_campaign(manager, [team], name=f"c{i}").pk for i in range(4)]
    with django_assert_num_queries(1):
        result = progress.counts(ids)
    assert all(row["total"] == 3 for row in result.values())
