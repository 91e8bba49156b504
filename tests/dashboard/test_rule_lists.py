"""Each rule's short list on the dashboard, the list its links open and the manager's
digest show the same operations in the same order: the rule's own."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opsmaturity.digests.building import build_digest
from opsmaturity.maturity import rules
from opsmaturity.maturity.scan import run_scan
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    team = TeamFactory(name="Billing")
    boss = UserFactory(username="boss")
    MembershipFactory(user=boss, team=team, role=Role.MANAGER)
    # Stalled: 70, 90 and 80 days in launch; the longest overdue first.
    for name, days in [("Stall A", 70), ("Stall B", 90), ("Stall C", 80)]:
        OperationFactory.days_in_phase(days, team=team, name=name)
    # Unjustified: shortfalls of 100, 5,000 and 900; the biggest first.
    for name, cost, value in [
        ("Cost A", 1100, 1000),
        ("Cost B", 6000, 1000),
        ("Cost C", 1900, 1000),
    ]:
        OperationFactory(
            team=team,
            name=name,
            phase=Phase.AUTOMATE,
            performers=UserFactory.create_batch(2),
            monthly_cost=Decimal(cost),
            monthly_value=Decimal(value),
        )
    # Person-dependent: the most valuable first.
    for name, value in [("Lone A", 2000), ("Lone B", 9000), ("Lone C", 5000)]:
        OperationFactory(
            team=team, name=name, phase=Phase.STANDARDIZE, runbook_url="", monthly_value=value
        )
    run_scan()
    return boss


EXPECTED = {
    rules.STALLED: ["Stall B", "Stall C", "Stall A"],
    rules.UNJUSTIFIED: ["Cost B", "Cost C", "Cost A"],
    rules.PERSON_DEPENDENT: ["Lone B", "Lone C", "Lone A"],
}


@pytest.mark.parametrize("rule", list(EXPECTED), ids=lambda rule: rule.kind)
def test_the_dashboard_and_the_list_it_links_to_agree(client, manager, rule):
    client.force_login(manager)
    response = client.get(reverse("dashboard:index"))
    shown = [f.operation.name for f in response.context["lists"][rule.kind]]
    assert shown == EXPECTED[rule]
    links = re.findall(rf'href="(/ops/\?[^"]*flag={rule.kind}[^"]*)"', response.content.decode())
    assert links, f"the dashboard links to the list of {rule.kind}"
    for link in links:
        listed = client.get(link.replace("&amp;", "&")).content.decode()
        positions = [listed.index(name) for name in EXPECTED[rule]]
        assert positions == sorted(positions), link


def test_the_managers_digest_lists_them_in_the_same_order(manager):
    digest = build_digest(manager, timezone.localdate(), timezone.now())
    assert [f.operation.name for f in digest.teams.stalled] == EXPECTED[rules.STALLED]
    assert [f.operation.name for f in digest.teams.retire_candidates] == EXPECTED[rules.UNJUSTIFIED]
    assert "sort=-shortfall" in digest.teams.retire_url


def test_every_rule_says_what_to_do_and_where(manager):
    op = OperationFactory.days_in_phase(50)
    for rule in rules.ALL_RULES:
        assert str(rule.action.label)
        if rule is rules.OWNER_LEFT:  # all of the owner's operations, handed over at once
            assert rule.action.url(op) == f"/people/{op.owner_id}/reassign/"
            continue
        assert rule.action.url(op).startswith(f"/ops/{op.pk}/")
        assert str(rule.headline) and rule.tone in ("bad", "warn")


def test_a_reason_is_counted_to_the_day_it_is_read(manager):
    flag = rules.STALLED.filter().first().flags.get()
    later = timezone.localdate() + dt.timedelta(days=5)
    assert "past the 60-day limit" in rules.reason_of(flag, later)
    days_now = rules.finding_of(flag).details["days"]
    assert rules.finding_of(flag, later).details["days"] == days_now + 5


def test_the_due_soon_list_leaves_out_an_operation_that_crossed_the_limit_since_the_scan(
    client, manager
):
    """The short list starts at the first day of the due-soon window: an operation the
    last scan found due soon but that is past the limit today is no longer due soon
    (the next scan makes it stalled), and the ones still due soon are listed."""
    team = manager.memberships.get().team
    near = OperationFactory.days_in_phase(50, team=team, name="Due 50")
    crossing = OperationFactory.days_in_phase(59, team=team, name="Due 59")
    run_scan()
    client.force_login(manager)
    shown = client.get(reverse("dashboard:index")).context["lists"]["due_soon"]
    assert [f.operation.name for f in shown] == ["Due 59", "Due 50"]
    # Two days on, without a scan: 61 days in launch, past the 60-day limit.
    crossing.phase_entered_at -= dt.timedelta(days=2)
    crossing.save(update_fields=["phase_entered_at"])
    shown = client.get(reverse("dashboard:index")).context["lists"]["due_soon"]
    assert [f.operation.name for f in shown] == ["Due 50"]
    assert near.flags.filter(kind="due_soon", resolved_at__isnull=True).exists()
