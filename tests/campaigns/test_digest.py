import datetime as dt

import pytest
from django.utils import timezone

from opsmaturity.campaigns.digest import campaign_part
from opsmaturity.digests.building import build_digest
from opsmaturity.digests.models import DigestSubscription
from opsmaturity.digests.sending import render_digest
from opsmaturity.operations import services as op_services
from opsmaturity.operations.phases import Phase
from tests.campaigns.factories import start_campaign
from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db


def world(manager, member, team, n=2, deadline_days=30, prefix="Op"):
    ops = [OperationFactory(team=team, owner=member, name=f"{prefix} {i}") for i in range(n)]
    campaign = start_campaign(
        manager,
        [team],
        name="Standardize Billing",
        deadline=timezone.localdate() + dt.timedelta(days=deadline_days),
    )
    return ops, campaign


def test_managers_get_progress_and_forecast(manager, member, team):
    ops, campaign = world(manager, member, team)
    op_services.move_phase(ops[0], Phase.STANDARDIZE, by=manager, note="ready")
    part = campaign_part(manager, timezone.localdate())
    assert [row["campaign"] for row in part.managed] == [campaign]
    assert part.managed[0]["counts"]["done"] == 1
    assert part.mine == []


def test_owners_get_their_open_operations_with_the_deadline(manager, member, team):
    ops, campaign = world(manager, member, team, deadline_days=40)
    op_services.move_phase(ops[0], Phase.STANDARDIZE, by=manager, note="ready")
    part = campaign_part(member, timezone.localdate())
    assert [m.operation.name for m in part.mine] == ["Op 1"]
    assert part.mine[0].days_left == 40
    assert part.reminders == []  # 40 days before: no reminder yet
    assert part.managed == []


def test_a_retired_operation_asks_nothing_more_of_its_owner(manager, member, team):
    ops, _campaign = world(manager, member, team)
    op_services.move_phase(ops[0], Phase.RETIRE, by=manager, note="no longer needed")
    part = campaign_part(member, timezone.localdate())
    assert [m.operation.name for m in part.mine] == ["Op 1"]


def test_owners_are_reminded_in_the_last_days(manager, member, team, settings):
    settings.OPS_CAMPAIGN_REMIND_DAYS = 14
    world(manager, member, team, n=1, deadline_days=10)
    digest = build_digest(member, timezone.localdate())
    assert len(digest.campaigns.reminders) == 1
    assert "1 operation is due in a campaign" in digest.subject
    assert not digest.is_empty


def test_the_digest_shows_the_campaign_section(manager, member, team):
    world(manager, member, team)
    for user, expected in ((manager, "0 / 2"), (member, "Op 0")):
        rendered = render_digest(user, DigestSubscription.for_user(user))
        text, html = rendered.text, rendered.html
        assert "Campaigns" in text and "Standardize Billing" in text and expected in text
        assert "Standardize Billing" in html and expected in html


def test_the_part_takes_the_same_queries_at_any_size(manager, member, team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    on = timezone.localdate()

    def queries(user):
        with CaptureQueriesContext(connection) as ctx:
            part = campaign_part(user, on)
        return len(ctx.captured_queries), part

    world(manager, member, team, n=2)
    queries(manager), queries(member)  # a person's roles are read once, then kept
    small = {user.pk: queries(user)[0] for user in (manager, member)}
    world(manager, member, team, n=30, prefix="More")
    (manager_count, part), (member_count, mine) = queries(manager), queries(member)
    assert {manager.pk: manager_count, member.pk: member_count} == small
    assert manager_count <= 5
    assert len(part.managed) == 2 and len(mine.mine) == 2 + 32  # the first two are in both
