"""The "owner has left" flag, wherever the rules are shown: the dashboard's tile and list,
the operations list's filter, and the manager's weekly digest."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from opsmaturity.digests.building import build_digest
from opsmaturity.maturity import rules
from opsmaturity.maturity.models import FlagKind
from opsmaturity.offboarding import services
from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def orphan(manager, leaver, team):
    op = OperationFactory(name="Refunds", team=team, owner=leaver, monthly_value=9000)
    OperationFactory(name="Payouts", team=team, owner=manager)
    services.deactivate(leaver, by=manager)
    return op


def test_the_rule_is_defined_once_with_everything_it_needs(orphan):
    rule = rules.RULES_BY_KIND[FlagKind.OWNER_LEFT]
    assert rule in rules.ALL_RULES and rule in rules.DASHBOARD_ORDER
    assert list(rule.filter().values_list("name", flat=True)) == ["Refunds"]
    finding = rule.check(orphan)
    assert finding.reason == "its owner, Leo Park, has left"
    assert str(rule.action.label) == "Reassign"
    assert rule.action.url(orphan) == reverse("offboarding:reassign", args=[orphan.owner_id])
    assert rule.tone == "bad" and str(rule.headline) == "owner has left"


def test_the_dashboard_counts_lists_and_links_it(client, manager, orphan):
    client.force_login(manager)
    response = client.get(reverse("dashboard:index"))
    assert response.context["counts"][FlagKind.OWNER_LEFT] == 1
    tiles = {rule.kind: count for rule, count in response.context["tiles"]}
    assert tiles[FlagKind.OWNER_LEFT] == 1
    assert [f.operation.name for f in response.context["lists"][FlagKind.OWNER_LEFT]] == ["Refunds"]
    page = response.content.decode()
    assert "owner has left" in page
    assert "its owner, Leo Park, has left" in page
    assert reverse("offboarding:reassign", args=[orphan.owner_id]) in page
    links = re.findall(r'href="(/ops/\?[^"]*flag=owner_left[^"]*)"', page)
    assert links
    listed = client.get(links[0].replace("&amp;", "&"))
    assert [op.name for op in listed.context["page"]] == ["Refunds"]


def test_the_operations_list_filters_by_it(client, manager, orphan):
    client.force_login(manager)
    response = client.get(reverse("operations:list"), {"scope": "all", "flag": "owner_left"})
    assert [op.name for op in response.context["page"]] == ["Refunds"]
    assert "Owner has left" in response.content.decode()


def test_the_managers_digest_says_so_with_where_to_reassign(manager, orphan):
    digest = build_digest(manager, timezone.localdate(), timezone.now())
    teams = digest.teams
    assert teams.owner_left_count == 1 and teams.has_news
    assert [f.operation.name for f in teams.owner_left] == ["Refunds"]
    assert "1 whose owner left" in digest.subject
    assert {a["kind"]: a["opened"] for a in teams.activity}[FlagKind.OWNER_LEFT] == 1


def test_both_parts_of_the_digest_show_it(client, staff, manager, orphan):
    client.force_login(staff)
    for fmt in ("text", "html"):
        response = client.get(reverse("digests:preview"), {"user": manager.pk, "format": fmt})
        body = response.content.decode()
        assert "Owners who left" in body, fmt
        assert "its owner, Leo Park, has left" in body, fmt
        assert f"/people/{orphan.owner_id}/reassign/" in body, fmt


def test_a_performer_sees_it_among_their_flags(member, manager, leaver, team):
    op = OperationFactory(name="Refunds", team=team, owner=leaver, performers=[member])
    services.deactivate(leaver, by=manager)
    digest = build_digest(member, timezone.localdate(), timezone.now())
    items = [item for section in digest.sections for item in section.items]
    assert [(i.operation.name, i.action_label) for i in items] == [("Refunds", "Reassign")]
    assert items[0].action_url.endswith(f"/people/{op.owner_id}/reassign/")


def test_the_reason_names_the_owner_as_their_profile_does(manager, leaver, team):
    """The scan's SQL words the name as lib.people.display_name does: the profile's
    display name first."""
    from opsmaturity.maturity.models import Flag
    from opsmaturity.operations.models import Operation
    from tests.accounts.factories import ProfileFactory

    ProfileFactory(user=leaver, display_name="Leo P.")
    op = OperationFactory(name="Refunds", team=team, owner=leaver)
    services.deactivate(leaver, by=manager)
    flag = Flag.objects.open().get(operation=op, kind=FlagKind.OWNER_LEFT)
    assert flag.facts["owner"] == "Leo P."
    assert rules.reason_of(flag) == "its owner, Leo P., has left"
    fresh = Operation.objects.get(pk=op.pk)
    assert rules.OWNER_LEFT.facts_of(fresh) == {"owner": "Leo P.", "active": False}
