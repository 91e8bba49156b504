from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.forms import SafeForm
from opsmaturity.lib.people import PersonChoiceField
from opsmaturity.maturity.models import FlagKind
from opsmaturity.operations.phases import Phase
from opsmaturity.organization.models import Horizon, JobRole
from opsmaturity.teams import access
from opsmaturity.teams.models import Role, Team

from .models import Campaign, Goal, ProposalKind

User = get_user_model()


class CampaignForm(SafeForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("Say the goal and the date, e.g. “Standardize every Support launch by May”."),
    )
    goal = forms.ChoiceField(label=_("Goal"), choices=Goal.choices, widget=forms.RadioSelect)
    goal_phase = forms.ChoiceField(
        label=_("Phase to reach"),
        choices=[("", "—")] + Phase.choices,
        required=False,
        initial=Phase.STANDARDIZE,
        help_text=_("Done once an operation is in this phase or past it (retired does not count)."),
    )
    goal_flag = forms.ChoiceField(
        label=_("Flag to resolve"),
        choices=[("", "—")] + FlagKind.choices,
        required=False,
        help_text=_(
            "Done once the operation has no open flag of this kind (snoozed counts as open)."
        ),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    phases = forms.MultipleChoiceField(
        label=_("Operations now in"),
        choices=Phase.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every phase but retired."),
    )
    list_filter = forms.CharField(
        label=_("List filter"), max_length=1000, required=False, widget=forms.HiddenInput
    )
    deadline = forms.DateField(
        label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    owner = PersonChoiceField(label=_("Owning manager"), queryset=User.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["teams"].queryset = access.campaign_teams(user).order_by("name")
        self.fields["owner"].queryset = (
            User.objects.filter(is_active=True)
            .filter(Q(is_staff=True) | Q(memberships__role=Role.MANAGER))
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        self.fields["owner"].initial = user.pk

    def clean(self):
        data = super().clean()
        goal = data.get("goal")
        if goal == Goal.PHASE and not data.get("goal_phase"):
            self.add_error("goal_phase", _("Choose the phase the operations must reach."))
        if goal == Goal.FLAG and not data.get("goal_flag"):
            self.add_error("goal_flag", _("Choose the kind of flag to resolve."))
        teams = data.get("teams")
        owner = data.get("owner")
        if teams and owner and not access.can_create_campaign_for(owner, {t.pk for t in teams}):
            self.add_error("owner", _("The owner must manage every team of the campaign."))
        return data


class CloseForm(SafeForm):
    confirm = forms.BooleanField(label=_("Close it now, with the result as it stands"))


class ProposalForm(SafeForm):
    name_fields = ("title",)

    kind = forms.ChoiceField(
        label=_("You propose"), choices=ProposalKind.choices, widget=forms.RadioSelect
    )
    horizon_years = forms.TypedChoiceField(
        label=_("Horizon"), choices=Horizon.choices, coerce=int, widget=forms.RadioSelect
    )
    title = forms.CharField(label=_("In a few words"), max_length=200)
    direction = forms.CharField(
        label=_("Where the company is going"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    contribution = forms.CharField(
        label=_("Where ops can contribute"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles it needs"),
        queryset=JobRole.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The planned roles of the team plan that this goal calls for."),
    )
    campaigns = forms.ModelMultipleChoiceField(
        label=_("Campaigns that serve it"),
        queryset=Campaign.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        from .futures import team_campaigns, team_roles

        self.fields["roles"].queryset = team_roles(team)
        self.fields["campaigns"].queryset = team_campaigns(team)


class CommentForm(SafeForm):
    text = forms.CharField(label=_("Your comment"), widget=forms.Textarea(attrs={"rows": 2}))


class FutureDecisionForm(SafeForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Why"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Say why, so the team can follow the decision."),
    )


class AddOperationForm(SafeForm):
    name = forms.CharField(
        label=_("Add an operation by its name"),
        max_length=200,
        help_text=_("An operation of the campaign's teams; the addition is recorded."),
    )
    note = forms.CharField(label=_("Why (optional)"), max_length=500, required=False)


class RemoveOperationForm(SafeForm):
    operation = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(label=_("Why (optional)"), max_length=500, required=False)
