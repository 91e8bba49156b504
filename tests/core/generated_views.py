"""The views that change data, for test_generated_input.py: for each, the URLs to post to
(its own objects, another team's and a missing one), the form whose fields are
generated, and a valid body to start from; and the world they act on."""

import datetime as dt
from types import SimpleNamespace
from urllib.parse import quote

from django import forms
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from opsmaturity.accounts.forms import PasswordChangeForm, PasswordResetForm, ProfileForm
from opsmaturity.campaigns import futures
from opsmaturity.campaigns import services as campaign_services
from opsmaturity.campaigns.forms import (
    AddOperationForm,
    CampaignForm,
    CloseForm,
    CommentForm,
    FutureDecisionForm,
    ProposalForm,
    RemoveOperationForm,
)
from opsmaturity.digests import tokens
from opsmaturity.digests.forms import PreferencesForm
from opsmaturity.invitations.models import Invitation
from opsmaturity.invitations.services import expiry
from opsmaturity.maturity.forms import DecisionForm, SnoozeForm
from opsmaturity.maturity.models import ExemptionAction, Flag, FlagExemption, FlagKind
from opsmaturity.offboarding.forms import ReassignForm
from opsmaturity.offboarding.views import rows_of
from opsmaturity.operations.forms import (
    CriterionCheckForm,
    MoveForm,
    OperationForm,
    PurposeReviewForm,
)
from opsmaturity.operations.models import Operation, PhaseCriterion
from opsmaturity.operations.phases import Phase
from opsmaturity.organization.forms import (
    ConfirmLevelForm,
    JobRoleForm,
    LearningPlanForm,
    LevelProposalForm,
    RequirementForm,
    SkillForm,
)
from opsmaturity.organization.models import (
    Horizon,
    JobRole,
    LearningPlan,
    PlanStatus,
    RoleStatus,
    Skill,
    SkillCategory,
    SkillLevel,
)
from opsmaturity.teams.forms import AddMemberForm, RoleForm, TeamCreateForm, TeamRenameForm
from opsmaturity.teams.models import Membership, Role, Team
from tests.operations.factories import OperationFactory
from tests.organization.factories import (
    JobRoleFactory,
    LearningPlanFactory,
    SkillFactory,
    role_needing,
)
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

MISSING_ID = 987654


def today():
    return timezone.localdate()


# --- the world ----------------------------------------------------------------------------


def make_world():
    team, other = TeamFactory(name="Billing"), TeamFactory(name="Risk")
    people = {}
    for username, first, last in [
        ("outsider", "Olga", "Outsider"),
        ("member", "Mika", "Member"),
        ("manager", "Mana", "Manager"),
        ("staff", "Sam", "Staff"),
        ("colleague", "Cole", "Colleague"),
        ("stranger", "Stan", "Stranger"),
    ]:
        people[username] = UserFactory(username=username, first_name=first, last_name=last)
    people["staff"].is_staff = people["staff"].is_superuser = True
    people["staff"].save()
    for username, where, role in [
        ("outsider", other, Role.MANAGER),  # a manager, but not of these people
        ("stranger", other, Role.MEMBER),
        ("member", team, Role.MEMBER),
        ("colleague", team, Role.MEMBER),
        ("manager", team, Role.MANAGER),
    ]:
        MembershipFactory(user=people[username], team=where, role=role)
    member, stranger = people["member"], people["stranger"]
    op = OperationFactory(
        name="Invoice matching", team=team, owner=member, performers=[member, people["colleague"]]
    )
    retired = OperationFactory(name="Fax intake", team=team, owner=member, phase=Phase.RETIRE)
    foreign_op = OperationFactory(name="Risk review", team=other, owner=stranger)
    flag = Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    asked = Flag.objects.create(operation=op, kind=FlagKind.UNJUSTIFIED, snooze_requested=True)
    FlagExemption.objects.create(
        flag=asked,
        action=ExemptionAction.REQUESTED,
        by=member,
        until=today() + dt.timedelta(days=30),
        reason="The new tool comes in March.",
    )
    snoozed = Flag.objects.create(
        operation=op, kind=FlagKind.PERSON_DEPENDENT, snoozed_until=today() + dt.timedelta(days=9)
    )
    foreign_flag = Flag.objects.create(operation=foreign_op, kind=FlagKind.STALLED)
    resolved = Flag.objects.create(operation=op, kind=FlagKind.DUE_SOON, resolved_at=timezone.now())
    python = SkillFactory(name="Python", category=SkillCategory.AUTOMATION)
    sql = SkillFactory(name="SQL", category=SkillCategory.DATA)
    proposal = SkillLevel.objects.create(user=member, skill=python, proposed_level=3, version=2)
    own = SkillLevel.objects.create(user=people["manager"], skill=sql, proposed_level=4)
    foreign_proposal = SkillLevel.objects.create(user=stranger, skill=sql, proposed_level=2)
    invitations = [
        Invitation.objects.create(
            team=where, email=address, invited_by=people[who], expires_at=expiry()
        )
        for where, address, who in [
            (team, "noa@example.com", "manager"),
            (other, "kai@example.com", "outsider"),
        ]
    ]
    campaign = campaign_services.create_campaign(
        by=people["manager"],
        name="Standardize Billing",
        goal="phase",
        goal_phase=Phase.STANDARDIZE,
        deadline=today() + dt.timedelta(days=30),
        owner=people["manager"],
        teams=[team],
    )
    foreign_campaign = campaign_services.create_campaign(
        by=people["outsider"],
        name="Standardize Risk",
        goal="phase",
        goal_phase=Phase.STANDARDIZE,
        deadline=today() + dt.timedelta(days=30),
        owner=people["outsider"],
        teams=[other],
    )
    future_goal = futures.propose(
        team, by=member, kind="goal", horizon_years=3, title="Self-service refunds"
    )
    foreign_goal = futures.propose(
        other, by=stranger, kind="role", horizon_years=5, title="Risk modeller"
    )
    return SimpleNamespace(
        future_goal=future_goal,
        foreign_goal=foreign_goal,
        campaign=campaign,
        foreign_campaign=foreign_campaign,
        team=team,
        other=other,
        users=people,
        invitation=invitations[0],
        foreign_invitation=invitations[1],
        colleague_membership=Membership.objects.get(user=people["colleague"], team=team),
        foreign_membership=Membership.objects.get(user=stranger, team=other),
        op=op,
        retired=retired,
        foreign_op=foreign_op,
        flag=flag,
        asked=asked,
        snoozed=snoozed,
        foreign_flag=foreign_flag,
        resolved=resolved,
        criterion=PhaseCriterion.objects.filter(phase=Phase.LAUNCH).first(),
        later_criterion=PhaseCriterion.objects.filter(phase=Phase.STANDARDIZE).first(),
        inactive=PhaseCriterion.objects.create(phase=Phase.LAUNCH, label="Old", is_active=False),
        python=python,
        sql=sql,
        role=role_needing(team, {python: 3}, name="Automation promoter"),
        org_role=JobRoleFactory(team=None, name="Growth planner", horizon_years=Horizon.FIVE_YEARS),
        foreign_role=JobRoleFactory(team=other, name="Risk analyst"),
        proposal=proposal,
        own_proposal=own,
        foreign_proposal=foreign_proposal,
        plan=LearningPlanFactory(user=member, skill=sql, goal_level=2),
        foreign_plan=LearningPlanFactory(user=stranger, skill=python, goal_level=2),
    )


# --- the views that change data -------------------------------------------------------------


def url(name, *args):
    return reverse(name, args=args)


def operation_body(w, op=None):
    op = op or w.op
    return {
        "name": "Invoice matching v2" if op.pk else "Chargebacks",
        "team": str(w.team.pk),
        "owner": str(w.users["member"].pk),
        "purpose": "Match every invoice to a payment.",
        "performers": [str(w.users["member"].pk), str(w.users["colleague"].pk)],
        "runbook_url": "https://wiki.example.com/invoices",
        "launched_at": (today() - dt.timedelta(days=20)).isoformat(),
        "monthly_volume": "120",
        "monthly_cost": "1000",
        "monthly_value": "2500.50",
        "version": str(op.version) if op.pk else "",
    }


def on_operations(name, w, *extra):
    return [url(name, op.pk, *extra) for op in (w.op, w.foreign_op, w.retired)] + [
        url(name, MISSING_ID, *extra)
    ]


def on_flags(name, w):
    flags = (w.flag, w.asked, w.snoozed, w.foreign_flag, w.resolved)
    return [url(name, flag.pk) for flag in flags] + [url(name, MISSING_ID)]


def role_body(w, team):
    return {
        "name": "Growth partner",
        "team": str(team.pk) if team else "",
        "status": RoleStatus.PLANNED,
        "horizon_years": str(Horizon.THREE_YEARS),
        "description": "Plans which work the team automates next.",
    }


def plan_body(w):
    return {
        "user": str(w.users["member"].pk),
        "skill": str(w.python.pk),
        "goal_level": "3",
        "target_date": (today() + dt.timedelta(days=60)).isoformat(),
        "status": PlanStatus.PLANNED,
        "note": "Pairing on Fridays",
    }


def unsubscribe_urls(w):
    good = tokens.make_token(w.users["member"])
    return [
        f"/digests/unsubscribe/{quote(token, safe='')}/"
        for token in [
            good,
            good[:-1] + ("A" if good[-1] != "A" else "B"),
            signing.dumps({"u": w.users["member"].pk}),  # signed for something else
            "abc",
            "%00",
            "🙂",
            "x" * 3000,
        ]
    ]


def no_form(w):
    return forms.Form()


NEXT = SimpleNamespace(name="next", values=[])
TEXT = SimpleNamespace(name="text", values=[])


def spec(name, urls, form, body, **extra):
    return SimpleNamespace(name=name, urls=urls, form=form, body=body, extra=extra, admin=None)


VALIDATE = SimpleNamespace(name="choice", values=["name", "team", "purpose", "nope", ""])
APP_SPECS = [
    spec(
        "operation-create",
        lambda w: [url("operations:create")],
        lambda w: OperationForm(user=w.users["staff"]),
        lambda w: operation_body(w, Operation()),
        _validate=VALIDATE,
    ),
    spec(
        "operation-edit",
        lambda w: on_operations("operations:edit", w),
        lambda w: OperationForm(instance=w.op, user=w.users["staff"]),
        operation_body,
        _validate=VALIDATE,
    ),
    spec(
        "operation-move",
        lambda w: on_operations("operations:move", w),
        lambda w: MoveForm(operation=w.op, user=w.users["staff"]),
        lambda w: {"to_phase": "standardize", "note": "Runbook agreed", "version": "1"},
    ),
    spec(
        "purpose-review",
        lambda w: on_operations("operations:review", w),
        lambda w: PurposeReviewForm(),
        lambda w: {
            "reason": "Auditors ask for it",
            "monthly_value": "5000",
            "monthly_cost": "1000",
            "version": "1",
        },
    ),
    spec(
        "criterion-check",
        lambda w: (
            [
                url("operations:check", op.pk, criterion.pk)
                for op in (w.op, w.foreign_op, w.retired)
                for criterion in (w.criterion, w.later_criterion, w.inactive)
            ]
            + [url("operations:check", w.op.pk, MISSING_ID)]
        ),
        lambda w: CriterionCheckForm(),
        lambda w: {"checked": "on", "evidence": "https://wiki.example.com/runbook"},
    ),
    spec(
        "flag-snooze",
        lambda w: on_flags("maturity:snooze", w),
        lambda w: SnoozeForm(),
        lambda w: {
            "until": (today() + dt.timedelta(days=30)).isoformat(),
            "reason": "The new tool comes in March.",
        },
    ),
    spec(
        "flag-decide",
        lambda w: on_flags("maturity:decide", w),
        lambda w: DecisionForm(),
        lambda w: {"decision": "grant", "reason": ""},
    ),
    spec("flag-lift", lambda w: on_flags("maturity:lift", w), no_form, lambda w: {}, reason=TEXT),
    spec(
        "check-operation",
        lambda w: on_operations("maturity:check-operation", w),
        no_form,
        lambda w: {},
    ),
    spec(
        "check-team",
        lambda w: [url("maturity:check-team", t) for t in (w.team.pk, w.other.pk, MISSING_ID)],
        no_form,
        lambda w: {"next": "/dashboard/"},
        next=NEXT,
    ),
    spec(
        "digest-preferences",
        lambda w: [url("digests:preferences")],
        lambda w: PreferencesForm(),
        lambda w: {"mode": "always", "time_zone": "Asia/Tokyo"},
    ),
    spec(
        "profile",
        lambda w: [url("accounts:profile")],
        lambda w: ProfileForm(),
        lambda w: {"display_name": "Mika M.", "language": "ja", "time_zone": "Asia/Tokyo"},
    ),
    spec(
        "password-change",
        lambda w: [url("password_change")],
        lambda w: PasswordChangeForm(w.users["member"]),
        lambda w: {
            "old_password": PASSWORD,
            "new_password1": "a-long-enough-passphrase-42",
            "new_password2": "a-long-enough-passphrase-42",
        },
    ),
    spec(
        "password-reset",
        lambda w: [url("password_reset")],
        lambda w: PasswordResetForm(),
        lambda w: {"email": "member@example.com"},
    ),
    spec(
        "digest-unsubscribe",
        unsubscribe_urls,
        no_form,
        lambda w: {"List-Unsubscribe": "One-Click"},
        **{"List-Unsubscribe": TEXT},
    ),
    spec(
        "skill-add",
        lambda w: [url("organization:skills")],
        lambda w: SkillForm(),
        lambda w: {"name": "Kaizen", "category": SkillCategory.MANAGEMENT, "description": ""},
    ),
    spec(
        "skill-edit",
        lambda w: [url("organization:skill_edit", pk) for pk in (w.python.pk, MISSING_ID)],
        lambda w: SkillForm(instance=w.python),
        lambda w: {"name": "Python scripting", "category": SkillCategory.AUTOMATION},
    ),
    spec(
        "role-create",
        lambda w: [url("organization:role_create")],
        lambda w: JobRoleForm(user=w.users["staff"]),
        lambda w: role_body(w, w.team),
    ),
    spec(
        "role-edit",
        lambda w: [
            url("organization:role_edit", pk)
            for pk in (w.role.pk, w.org_role.pk, w.foreign_role.pk, MISSING_ID)
        ],
        lambda w: JobRoleForm(instance=w.role, user=w.users["staff"]),
        lambda w: role_body(w, w.team),
    ),
    spec(
        "requirement-set",
        lambda w: [
            url("organization:requirement_set", pk)
            for pk in (w.role.pk, w.org_role.pk, w.foreign_role.pk, MISSING_ID)
        ],
        lambda w: RequirementForm(),
        lambda w: {"skill": str(w.sql.pk), "level": "2"},
    ),
    spec(
        "requirement-remove",
        lambda w: (
            [
                url("organization:requirement_remove", role.pk, skill.pk)
                for role in (w.role, w.org_role, w.foreign_role)
                for skill in (w.python, w.sql)
            ]
            + [url("organization:requirement_remove", w.role.pk, MISSING_ID)]
        ),
        no_form,
        lambda w: {},
    ),
    spec(
        "level-propose",
        lambda w: [url("organization:my_skills")],
        lambda w: LevelProposalForm(user=w.users["staff"]),
        lambda w: {"skill": str(w.sql.pk), "level": "2", "note": "Wrote the report query"},
    ),
    spec(
        "level-confirm",
        lambda w: (
            [
                url("organization:level_confirm", team.pk, level.pk)
                for team in (w.team, w.other)
                for level in (w.proposal, w.own_proposal, w.foreign_proposal)
            ]
            + [url("organization:level_confirm", w.team.pk, MISSING_ID)]
        ),
        lambda w: ConfirmLevelForm(),
        lambda w: {"level": "2", "version": str(w.proposal.version)},
    ),
    spec(
        "plan-create",
        lambda w: [url("organization:plan_create")],
        lambda w: LearningPlanForm(actor=w.users["staff"]),
        plan_body,
        team=SimpleNamespace(name="id", values=[]),
    ),
    spec(
        "plan-edit",
        lambda w: [
            url("organization:plan_edit", pk) for pk in (w.plan.pk, w.foreign_plan.pk, MISSING_ID)
        ],
        lambda w: LearningPlanForm(instance=w.plan, actor=w.users["staff"]),
        plan_body,
        team=SimpleNamespace(name="id", values=[]),
    ),
    spec(
        "people-leave",
        lambda w: (
            [
                url("offboarding:leave", w.users[name].pk)
                for name in ("colleague", "stranger", "staff")
            ]
            + [url("offboarding:leave", MISSING_ID)]
        ),
        no_form,
        lambda w: {},
    ),
    spec(
        "people-reactivate",
        lambda w: [
            url("offboarding:reactivate", pk) for pk in (w.users["colleague"].pk, MISSING_ID)
        ],
        no_form,
        lambda w: {},
    ),
    spec(
        "people-reassign",
        lambda w: [
            url("offboarding:reassign", pk)
            for pk in (w.users["member"].pk, w.users["stranger"].pk, MISSING_ID)
        ],
        lambda w: ReassignForm(
            person=w.users["member"], rows=rows_of(w.users["staff"], w.users["member"])
        ),
        lambda w: {
            "all_owner": str(w.users["colleague"].pk),
            "all_performer": "remove",
            f"owner-{w.op.pk}": "",
            f"performer-{w.op.pk}": "keep",
            f"version-{w.op.pk}": str(w.op.version),
        },
    ),
]


def on_teams(name, w):
    return [url(name, pk) for pk in (w.team.pk, w.other.pk, MISSING_ID)]


def on_memberships(name, w):
    return [
        url(name, team.pk, membership.pk)
        for team in (w.team, w.other)
        for membership in (w.colleague_membership, w.foreign_membership)
    ] + [url(name, w.team.pk, MISSING_ID)]


def on_invitations(name, w):
    return [url(name, i.pk) for i in (w.invitation, w.foreign_invitation)] + [url(name, MISSING_ID)]


# Not here: the invitation form (a batch sends its good addresses and reports the bad
# ones at the field, by design: tests/invitations/test_batch.py) and the link's form
# (it makes an account before sign-in, by design: tests/invitations/test_links.py).
APP_SPECS += [
    spec(
        "team-create",
        lambda w: [url("teams:list")],
        lambda w: TeamCreateForm(),
        lambda w: {"name": "Collections", "description": "", "manager": ""},
    ),
    spec(
        "team-rename",
        lambda w: on_teams("teams:rename", w),
        lambda w: TeamRenameForm(team=w.team),
        lambda w: {"name": "Billing ops", "description": "Invoices and payments"},
    ),
    spec(
        "team-archive",
        lambda w: on_teams("teams:archive", w),
        no_form,
        lambda w: {"archived": "1"},
        archived=SimpleNamespace(name="choice", values=["0", "1", "", "yes"]),
    ),
    spec(
        "member-add",
        lambda w: on_teams("teams:member_add", w),
        lambda w: AddMemberForm(team=w.team),
        lambda w: {"add-person": str(w.users["outsider"].pk), "add-role": Role.MEMBER},
    ),
    spec(
        "member-role",
        lambda w: on_memberships("teams:member_role", w),
        lambda w: RoleForm(),
        lambda w: {"role": Role.MANAGER},
    ),
    spec(
        "member-remove",
        lambda w: on_memberships("teams:member_remove", w),
        no_form,
        lambda w: {},
    ),
    spec(
        "invitation-resend",
        lambda w: on_invitations("invitations:resend", w),
        no_form,
        lambda w: {},
    ),
    spec(
        "invitation-revoke",
        lambda w: on_invitations("invitations:revoke", w),
        no_form,
        lambda w: {},
    ),
]


CAMPAIGN_SPECS = [
    spec(
        "campaign-create",
        lambda w: [url("campaigns:create")],
        lambda w: CampaignForm(user=w.users["staff"]),
        lambda w: {
            "name": "Standardize every Billing launch",
            "goal": "phase",
            "goal_phase": "standardize",
            "goal_flag": "",
            "teams": [str(w.team.pk)],
            "phases": ["launch"],
            "list_filter": "scope=all&phase=launch",
            "deadline": (today() + dt.timedelta(days=40)).isoformat(),
            "owner": str(w.users["manager"].pk),
        },
    ),
    spec(
        "campaign-close",
        lambda w: [
            url("campaigns:close", pk) for pk in (w.campaign.pk, w.foreign_campaign.pk, MISSING_ID)
        ],
        lambda w: CloseForm(),
        lambda w: {"confirm": "on"},
    ),
    spec(
        "campaign-add",
        lambda w: [
            url("campaigns:add", pk) for pk in (w.campaign.pk, w.foreign_campaign.pk, MISSING_ID)
        ],
        lambda w: AddOperationForm(),
        lambda w: {"name": "Fax intake", "note": "Found later"},
    ),
    spec(
        "campaign-remove",
        lambda w: [
            url("campaigns:remove", pk) for pk in (w.campaign.pk, w.foreign_campaign.pk, MISSING_ID)
        ],
        lambda w: RemoveOperationForm(),
        lambda w: {"operation": str(w.op.pk), "note": "Handed over"},
    ),
    spec(
        "future-propose",
        lambda w: (
            [url("campaigns:future_propose", t.pk) for t in (w.team, w.other)]
            + [url("campaigns:future_propose", MISSING_ID)]
        ),
        lambda w: ProposalForm(team=w.team),
        lambda w: {
            "kind": "goal",
            "horizon_years": "3",
            "title": "Self-service chargebacks",
            "direction": "Customers serve themselves",
            "contribution": "Refund rules written down",
            "roles": [str(w.role.pk)],
            "campaigns": [str(w.campaign.pk)],
        },
    ),
    spec(
        "future-comment",
        lambda w: [
            url("campaigns:future_comment", pk)
            for pk in (w.future_goal.pk, w.foreign_goal.pk, MISSING_ID)
        ],
        lambda w: CommentForm(),
        lambda w: {"text": "Chargebacks too?"},
    ),
    spec(
        "future-decide",
        lambda w: [
            url("campaigns:future_decide", pk)
            for pk in (w.future_goal.pk, w.foreign_goal.pk, MISSING_ID)
        ],
        lambda w: FutureDecisionForm(),
        lambda w: {"decision": "accept", "reason": "Agreed in the team meeting"},
    ),
]
APP_SPECS += CAMPAIGN_SPECS


def admin_spec(model, objects, body):
    """The admin's add page, or its change page of ``objects(world)`` (another team's
    and a missing one among them); the body starts from the page as staff see it."""
    opts = model._meta
    name = f"admin:{opts.app_label}_{opts.model_name}"
    kind = "change" if objects else "add"

    def urls(w):
        if not objects:
            return [reverse(f"{name}_add")]
        return [reverse(f"{name}_change", args=[pk]) for pk in objects(w) + [MISSING_ID]]

    return SimpleNamespace(
        name=f"admin-{opts.model_name}-{kind}", urls=urls, body=body, extra={}, admin=True
    )


ADMIN_SPECS = [
    admin_spec(Operation, None, lambda w: operation_body(w, Operation())),
    admin_spec(
        Operation,
        lambda w: [w.op.pk, w.foreign_op.pk],
        lambda w: {**operation_body(w), "opened_version": str(w.op.version)},
    ),
    admin_spec(Team, None, lambda w: {"name": "Collections", "description": ""}),
    admin_spec(Team, lambda w: [w.team.pk, w.other.pk], lambda w: {"name": "Billing ops"}),
    admin_spec(Skill, None, lambda w: {"name": "Kaizen", "category": SkillCategory.MANAGEMENT}),
    admin_spec(Skill, lambda w: [w.python.pk], lambda w: {"name": "Python 3"}),
    admin_spec(JobRole, None, lambda w: role_body(w, w.team)),
    admin_spec(JobRole, lambda w: [w.role.pk, w.foreign_role.pk], lambda w: {"name": "Promoter"}),
    admin_spec(LearningPlan, None, plan_body),
    admin_spec(
        LearningPlan, lambda w: [w.plan.pk, w.foreign_plan.pk], lambda w: {"goal_level": "3"}
    ),
    admin_spec(
        PhaseCriterion, None, lambda w: {"phase": "launch", "label": "Owner named", "position": "9"}
    ),
    admin_spec(PhaseCriterion, lambda w: [w.criterion.pk], lambda w: {"label": "Runbook draft"}),
    admin_spec(
        get_user_model(),
        None,
        lambda w: {
            "username": "newcomer",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase-42",
            "password2": "a-long-enough-passphrase-42",
        },
    ),
    admin_spec(
        get_user_model(),
        lambda w: [w.users["member"].pk, w.users["staff"].pk],
        lambda w: {"first_name": "Mikaela"},
    ),
]
SPECS = APP_SPECS + ADMIN_SPECS
