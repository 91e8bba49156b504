"""The weekly digest: what it says per role, the email it makes, and its pages
(preview, preferences, one-click unsubscribe)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opsmaturity.digests import sending
from opsmaturity.digests.models import DigestDelivery, DigestSubscription, Mode
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.maturity.scan import run_scan
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.digests.world import SITE, SUNDAY, digest_of, parse, send_to
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.TIME_ZONE = "UTC"
    settings.LANGUAGE_CODE = "en"


# --- content -------------------------------------------------------------------


def test_owner_gets_their_operations_that_need_action(world):
    digest = digest_of(world["owner"])
    sections = {s.key: s for s in digest.sections}
    assert digest.operation_count == 3
    assert digest.subject == "3 operations need you this week"
    assert digest.teams is None

    (deadline,) = sections["deadlines"].items
    assert deadline.operation.name == "Refund desk"
    assert deadline.days_left == 10
    assert deadline.deadline == SUNDAY.date() + dt.timedelta(days=10)
    assert "standardize within 10 days" in deadline.reason

    (review,) = sections["reviews"].items
    assert review.operation.name == "Invoice check"
    assert review.review_days == 200
    assert "purpose last reviewed 200 days ago" in review.reason
    assert review.action_url == SITE + reverse("operations:review", args=[review.operation.pk])

    # performed, not owned, still counts; the reason is the scan's
    (other,) = sections["flags"].items
    assert other.operation.name == "Chargeback replies"
    assert other.flag.kind == FlagKind.PERSON_DEPENDENT
    assert other.reason == "1 performer"


def test_a_flag_left_behind_by_a_move_is_not_in_the_digest(world):
    """As on the dashboard: a due-soon flag on an operation now past launch no longer
    stands (the rescan after the move resolves it; here it did not run)."""
    Operation.objects.filter(pk=world["ops"]["refunds"].pk).update(phase=Phase.STANDARDIZE)
    sections = {s.key: s for s in digest_of(world["owner"]).sections}
    assert "deadlines" not in sections
    assert [i.operation.name for i in sections["reviews"].items] == ["Invoice check"]


def test_manager_gets_the_summary_of_the_teams_they_manage(world):
    digest = digest_of(world["manager"])
    teams = digest.teams
    assert digest.sections == []  # owns and performs nothing
    assert [t.name for t in teams.teams] == ["Billing", "Support"]
    stages = {s["phase"]: s for s in teams.stages}
    assert stages[Phase.LAUNCH]["count"] == 2 and stages[Phase.AUTOMATE]["count"] == 1
    assert stages[Phase.COST_OPTIMIZE]["cost"] == Decimal("9000")
    assert teams.total_count == 5  # Risk's operation is not theirs
    # week over week: today's live figures (the funnel's) against last week's snapshot;
    # this week's snapshot, taken before the latest changes, does not count
    assert stages[Phase.LAUNCH]["count_change"] == 2 - 3
    assert stages[Phase.LAUNCH]["cost_change"] == stages[Phase.LAUNCH]["cost"] - Decimal("3000")
    assert stages[Phase.AUTOMATE]["count_change"] == 1
    # flags opened by this week's scan, per kind
    opened = {a["kind"]: a["opened"] for a in teams.activity}
    assert opened == {
        FlagKind.STALLED: 1,
        FlagKind.DUE_SOON: 1,
        FlagKind.UNJUSTIFIED: 2,
        FlagKind.PERSON_DEPENDENT: 1,
        FlagKind.OWNER_LEFT: 0,
    }
    assert teams.resolved == 0
    assert [f.operation.name for f in teams.stalled] == ["KYC checks"]
    assert teams.stalled[0].overdue == 20
    assert [f.operation.name for f in teams.retire_candidates] == ["Fax archive", "Invoice check"]
    # the operations that depend on one person are listed, not only counted
    assert [f.operation.name for f in teams.one_person] == ["Chargeback replies"]
    assert teams.one_person_count == 1 and teams.one_person_hidden == 0
    assert digest.subject == "Your teams: 1 stalled in launch, 2 retire candidates"


def test_flags_resolved_this_week_count_for_the_manager(world, clock):
    op = world["ops"]["kyc"]
    old = Flag.objects.create(
        operation=op,
        kind=FlagKind.PERSON_DEPENDENT,
        opened_at=timezone.now() - dt.timedelta(days=30),
        resolved_at=timezone.now() - dt.timedelta(days=2),
    )
    Flag.objects.filter(pk=old.pk).update(opened_at=timezone.now() - dt.timedelta(days=30))
    Flag.objects.create(
        operation=op,
        kind=FlagKind.UNJUSTIFIED,
        opened_at=timezone.now() - dt.timedelta(days=40),
        resolved_at=timezone.now() - dt.timedelta(days=8),
    )  # resolved before the week: not counted
    teams = digest_of(world["manager"]).teams
    resolved = {a["kind"]: a["resolved"] for a in teams.activity}
    assert resolved[FlagKind.PERSON_DEPENDENT] == 1 and teams.resolved == 1
    assert teams.opened == 5


def test_someone_with_both_roles_gets_both_parts(world):
    MembershipFactory(user=world["owner"], team=world["support"], role=Role.MANAGER)
    digest = digest_of(world["owner"])
    assert digest.sections and digest.teams
    assert [t.name for t in digest.teams.teams] == ["Support"]
    assert digest.subject == "3 operations need you this week · your teams: 1 stalled in launch"


def test_nothing_to_report_is_not_sent_unless_always(world, mailoutbox):
    idle = world["idle"]
    digest = digest_of(idle)
    assert digest.is_empty and digest.subject == "Nothing needs you this week"
    assert send_to(idle, mailoutbox) == []
    assert DigestDelivery.objects.get(user=idle).status == "skipped"

    other = UserFactory()
    (message,) = send_to(other, mailoutbox, mode=Mode.ALWAYS)
    assert message.subject == "Nothing needs you this week"
    assert "Nothing needs you this week: no open flag" in message.body


def test_staff_without_a_team_get_no_manager_summary(world):
    staff = UserFactory(is_staff=True)
    digest = digest_of(staff)
    assert digest.teams is None and digest.is_empty


def test_a_quiet_week_for_a_manager_is_nothing_to_report(clock):
    team = TeamFactory()
    manager = UserFactory()
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    OperationFactory(team=team)  # healthy, no flag, nothing moved
    digest = digest_of(manager)
    assert digest.teams is not None and not digest.teams.has_news
    assert digest.is_empty


def test_long_lists_are_cut_with_a_link_to_the_rest(world, settings):
    from opsmaturity.digests import building

    owner = world["owner"]
    for i in range(building.SECTION_LIMIT + 2):
        OperationFactory(
            name=f"Extra {i:02}",
            team=world["billing"],
            owner=owner,
            phase=Phase.STANDARDIZE,
            runbook_url="",
            performers=[owner, world["performer"]],
        )
    run_scan()
    flags = {s.key: s for s in digest_of(owner).sections}["flags"]
    assert len(flags.shown) == building.SECTION_LIMIT and flags.hidden_count == 3
    assert flags.more_url.startswith(SITE + "/ops/?")


# --- the email -------------------------------------------------------------------


def test_the_email_has_both_parts_headers_and_absolute_links(world, mailoutbox):
    owner = world["owner"]
    (message,) = send_to(owner, mailoutbox)
    parsed = parse(message)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Subject"] == "3 operations need you this week"
    assert parsed["To"] == owner.email
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(.+)>", parsed["List-Unsubscribe"].strip()).group(1)
    assert link.startswith(f"{SITE}/digests/unsubscribe/")

    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    for name in ("Refund desk", "Invoice check", "Chargeback replies"):
        assert name in text and name in html
    for reason in ("standardize within 10 days", "purpose last reviewed 200 days ago"):
        assert reason in text and reason in html
    assert link in text and link.replace("&", "&amp;") in html

    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and all(h.startswith(SITE + "/") for h in hrefs), hrefs
    urls = re.findall(r"https?://\S+", text)
    assert urls and all(u.startswith(SITE + "/") for u in urls), urls
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "<table" in html and 'style="' in html
    assert "<link" not in html.lower() and "@import" not in html


def test_the_manager_email_shows_the_summary_in_both_parts(world, mailoutbox):
    (message,) = send_to(world["manager"], mailoutbox)
    parsed = parse(message)
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Your teams: Billing, Support" in part
        assert "KYC checks" in part and "Fax archive" in part
        assert "Depends on one person" in part and "Chargeback replies" in part
        assert "1 performer" in part
        assert "Risk review" not in part
        assert "−1" in part  # launch, week over week
        assert "9,000 JPY" in part
    assert f'href="{SITE}/dashboard/"' in html


def test_large_counts_in_the_manager_email_have_grouped_digits(world, mailoutbox):
    Operation.objects.bulk_create(
        Operation(name=f"Bulk {i}", team=world["billing"], owner=world["owner"], purpose="p")
        for i in range(1000)
    )
    (message,) = send_to(world["manager"], mailoutbox)
    parsed = parse(message)
    for part in (parsed.get_body(("plain",)), parsed.get_body(("html",))):
        content = part.get_content()
        assert "1,005 operations running" in content
        assert "1005" not in content


def test_the_digest_is_written_in_the_installation_language(world, settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("ja"):
        rendered = sending.render_digest(
            world["owner"], DigestSubscription.for_user(world["owner"])
        )
        assert translation.get_language() == "ja"
    assert '<html lang="en">' in rendered.html


# --- the future ops team's learning ------------------------------------------------


def test_learning_plans_in_the_members_and_the_managers_digest(world, mailoutbox):
    from tests.organization.factories import LearningPlanFactory, SkillFactory

    idle, manager = world["idle"], world["manager"]
    skill = SkillFactory(name="Python scripting", category="automation")
    LearningPlanFactory(
        user=idle,
        skill=skill,
        goal_level=3,
        target_date=timezone.localdate() + dt.timedelta(days=10),
    )
    digest = digest_of(idle)
    # a plan due within a month is worth a digest on its own
    assert not digest.is_empty and digest.subject == "1 learning plan is due soon"
    (message,) = send_to(idle, mailoutbox)
    parsed = parse(message)
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Your learning plans" in body and "Python scripting" in body
    assert "https://ops.example.com/team-plan/me/" in text

    team_part = digest_of(manager).teams
    assert [(p.user, p.skill.name) for p in team_part.learning] == [(idle, "Python scripting")]


def test_a_plan_far_away_is_not_news_on_its_own(world):
    from tests.organization.factories import LearningPlanFactory

    LearningPlanFactory(
        user=world["idle"], target_date=timezone.localdate() + dt.timedelta(days=120)
    )
    digest = digest_of(world["idle"])
    assert digest.learning and digest.is_empty


def test_the_digests_links_show_the_same_operations_it_lists(world, client):
    """'See all' in an owner's digest leads to a list of exactly their flagged operations."""
    import re as regex

    owner = world["owner"]
    digest = digest_of(owner)
    listed = {item.flag.operation_id for section in digest.sections for item in section.items}
    client.force_login(owner)
    page = client.get(digest.mine_url.replace(SITE, "") + "&flag=any").content.decode()
    shown = {int(pk) for pk in regex.findall(r'href="/ops/(\d+)/"', page)}
    assert shown == listed
