"""A payload in every text field a user can type, and the check that it never became markup.

Used by test_escaping.py; no tests here.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.utils import timezone

from opsmaturity.campaigns import futures
from opsmaturity.campaigns import services as campaign_services
from opsmaturity.digests.models import DigestDelivery, DigestSubscription
from opsmaturity.maturity.models import (
    ExemptionAction,
    Flag,
    FlagExemption,
    FlagKind,
    ScanRun,
    Snapshot,
)
from opsmaturity.operations.models import CriterionCheck, PhaseCriterion, PurposeReview
from opsmaturity.operations.phases import Phase
from opsmaturity.organization.models import LevelChange, LevelChangeKind
from opsmaturity.teams.models import Membership, Role
from tests.operations.factories import OperationFactory, TransitionFactory
from tests.organization.factories import (
    JobRoleFactory,
    LearningPlanFactory,
    RequiredSkillFactory,
    SkillFactory,
    SkillLevelFactory,
)
from tests.teams.factories import TeamFactory, UserFactory

# What a spreadsheet runs as a formula when a cell starts with it (OWASP CSV injection).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = {}  # label -> the payload stored under it


def typed(label, short=False):
    """The payload stored in one field: a script, an element with a handler, both quotes
    and an ampersand, led by a formula character (a different one for each field)."""
    lead = FORMULA_LEADS[len(PAYLOADS) % len(FORMULA_LEADS)]
    element = "" if short else "<img src=x onerror=alert(1)>"
    PAYLOADS[label] = f'{lead}<script>alert("{label}")</script>{element}"\'&'
    return PAYLOADS[label]


def script_of(label):
    return f'<script>alert("{label}")</script>'


class Page(HTMLParser):
    """What a browser would make of a response: its elements, attributes and text."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements, self.text, self.inline_scripts, self._in_script = [], [], 0, False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
        self.text += [value or "" for _name, value in attrs]
        self._in_script = tag == "script"
        attributes = dict(attrs)
        if self._in_script and not attributes.get("src"):
            # counted here: the text of a script left open never reaches handle_data
            self.inline_scripts += attributes.get("type") != "application/json"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if not self._in_script:
            self.text.append(data)


def assert_escaped(html, where):
    """Nothing the payload carried became markup; returns the labels shown as text."""
    for label, payload in PAYLOADS.items():
        assert payload not in html, f"{label} unescaped in {where}"
    page = Page(html)
    for tag, attrs in page.elements:
        handlers = [name for name, _value in attrs if name.startswith("on")]
        assert not handlers, f"<{tag} {handlers}> in {where}"
        assert not (tag == "img" and ("src", "x") in attrs), f"an <img> of the payload in {where}"
    assert not page.inline_scripts, f"an inline script in {where}"
    text = "\n".join(page.text)
    return {label for label in PAYLOADS if script_of(label) in text}


@dataclass
class World:
    staff: object
    manager: object
    member: object
    objects: dict = field(default_factory=dict)  # by name

    def __getitem__(self, name):
        return self.objects[name]

    def row_of(self, model):
        """The payload's row of a model, for its admin pages."""
        return next((row for row in self.objects.values() if type(row) is model), None)


def build_world():
    """Staff, the team's manager and a member, and a payload in every text field."""
    PAYLOADS.clear()
    now = timezone.now()
    team = TeamFactory(name=typed("team.name"), description=typed("team.description"))
    manager = UserFactory(
        username=typed("manager.username"),
        first_name=typed("manager.first_name"),
        last_name=typed("manager.last_name"),
        email="manager@example.com",
    )
    member = UserFactory(
        username=typed("member.username"),
        first_name=typed("member.first_name"),
        last_name=typed("member.last_name"),
        email="member@example.com",
    )
    # someone known by their username alone: pages show it where a name would be
    performer = UserFactory(
        username=typed("performer.username"),
        first_name="",
        last_name="",
        email=typed("performer.email") + "@example.com",  # only the admin's form checks it
    )
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    Membership.objects.create(user=manager, team=team, role=Role.MANAGER)
    membership = Membership.objects.create(user=member, team=team, role=Role.MEMBER)
    Membership.objects.create(user=performer, team=team, role=Role.MEMBER)

    operation = OperationFactory(
        name=typed("operation.name"),
        purpose=typed("operation.purpose"),
        runbook_url="https://wiki.example.com/?q=" + typed("operation.runbook_url"),
        team=team,
        owner=member,
        phase=Phase.STANDARDIZE,
        performers=[member, performer],
        monthly_cost=Decimal("9000"),
        monthly_value=Decimal("100"),
        purpose_reviewed_at=now - dt.timedelta(days=300),
        purpose_reviewed_by=manager,
    )
    stalled = OperationFactory.days_in_phase(
        80, name=typed("stalled.name"), purpose=typed("stalled.purpose"), team=team, owner=member
    )
    transition = TransitionFactory(
        operation=operation, by=manager, note=typed("transition.note"), team=team
    )
    criterion = PhaseCriterion.objects.create(
        phase=Phase.STANDARDIZE,
        label=typed("criterion.label"),
        help_text=typed("criterion.help_text"),
    )
    CriterionCheck.objects.create(
        operation=operation,
        criterion=criterion,
        checked_by=member,
        evidence=typed("check.evidence"),
    )
    PurposeReview.objects.create(
        operation=operation,
        by=member,
        reason=typed("review.reason"),
        monthly_cost=Decimal("9000"),
        monthly_value=Decimal("100"),
        at=now - dt.timedelta(days=300),
    )
    flag = Flag.objects.create(
        operation=operation,
        kind=FlagKind.PERSON_DEPENDENT,
        snooze_requested=True,
    )
    FlagExemption.objects.create(
        flag=flag,
        action=ExemptionAction.DECLINED,
        by=manager,
        at=now - dt.timedelta(days=2),
        reason=typed("decision.reason"),
    )
    FlagExemption.objects.create(
        flag=flag,
        action=ExemptionAction.REQUESTED,
        by=member,
        until=timezone.localdate() + dt.timedelta(days=20),
        reason=typed("exemption.reason"),
    )
    Flag.objects.create(
        operation=operation,
        kind=FlagKind.UNJUSTIFIED,
        snoozed_until=timezone.localdate() + dt.timedelta(days=10),
        snoozed_by=manager,
        snooze_reason=typed("flag2.snooze_reason"),
    )
    Flag.objects.create(operation=stalled, kind=FlagKind.STALLED)
    snapshot = Snapshot.objects.create(
        date=timezone.localdate(), team=team, phase=Phase.STANDARDIZE, count=1
    )
    scan = ScanRun.objects.create(error=typed("scanrun.error"))

    skill = SkillFactory(name=typed("skill.name"), description=typed("skill.description"))
    other_skill = SkillFactory(name=typed("skill2.name"))
    role = JobRoleFactory(team=team, name=typed("role.name"), description=typed("role.description"))
    RequiredSkillFactory(role=role, skill=skill, level=3)
    RequiredSkillFactory(role=role, skill=other_skill, level=2)
    SkillLevelFactory(user=member, skill=skill, level=2)
    pending = SkillLevelFactory(
        user=member,
        skill=other_skill,
        level=None,
        confirmed_at=None,
        proposed_level=3,
        proposed_at=now,
        proposal_note=typed("level.proposal_note"),
    )
    change = LevelChange.objects.create(
        user=member, skill=skill, kind=LevelChangeKind.PROPOSED, level=2, note=typed("change.note")
    )
    plan = LearningPlanFactory(user=member, skill=skill, note=typed("plan.note"))

    subscription = DigestSubscription.objects.create(
        user=member, time_zone=typed("sub.tz", short=True), next_digest_at=now
    )
    delivery = DigestDelivery.objects.create(
        user=member,
        period=timezone.localdate(),
        subject=typed("delivery.subject"),
        last_error=typed("delivery.last_error"),
    )
    group = Group.objects.create(name=typed("group.name"))
    # Sign-in records (django-axes): what a stranger typed as a username, and their browser.
    attempt = AccessAttempt.objects.create(
        username=typed("attempt.username", short=True),
        ip_address="203.0.113.9",
        user_agent=typed("attempt.user_agent"),
        path_info="/accounts/login/",
        get_data="",
        post_data=typed("attempt.post_data"),
        failures_since_start=3,
    )
    failure = AccessFailureLog.objects.create(
        username=typed("failure.username", short=True),
        ip_address="203.0.113.9",
        user_agent=typed("failure.user_agent"),
        path_info="/accounts/login/",
    )
    access_log = AccessLog.objects.create(
        username=typed("log.username", short=True),
        ip_address="203.0.113.9",
        user_agent=typed("log.user_agent"),
        path_info="/accounts/login/",
    )

    campaign = campaign_services.create_campaign(
        by=manager,
        name=typed("campaign.name"),
        goal="phase",
        goal_phase="standardize",
        deadline=timezone.localdate() + dt.timedelta(days=30),
        owner=manager,
        teams=[team],
        list_filter="scope=all",
    )
    future_goal = futures.propose(
        team,
        by=member,
        kind="goal",
        horizon_years=1,
        title=typed("future.title"),
        direction=typed("future.direction"),
        contribution=typed("future.contribution"),
    )
    futures.comment(future_goal, by=manager, text=typed("future.comment"))

    from opsmaturity.webhooks.models import Delivery as WebhookDelivery
    from opsmaturity.webhooks.models import Endpoint, Kind

    webhook = Endpoint.objects.create(
        url="https://hooks.example.com/ops",
        description=typed("webhook.description"),
        events=["operation.moved"],
        paused_at=now,
        paused_reason=typed("webhook.paused_reason"),
    )
    channel = Endpoint.objects.create(
        kind=Kind.SLACK,
        team=team,
        url="https://hooks.slack.com/services/T/B/X",
        description=typed("channel.description"),
        events=["operation.moved"],
    )
    webhook_delivery = WebhookDelivery.objects.create(
        endpoint=channel,
        event="operation.moved",
        payload={},
        status="failed",
        response_status=500,
        response_excerpt=typed("webhook_delivery.excerpt"),
        error=typed("webhook_delivery.error"),
    )

    objects = dict(locals())
    return World(staff, manager, member, objects)
