from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.forms import SafeForm
from opsmaturity.lib.people import PersonChoiceField
from opsmaturity.lib.text import same_name
from opsmaturity.lib.widgets import QuickSelect

from .models import Membership, Role, Team

User = get_user_model()


def people_by_name():
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


class TeamNameMixin:
    def clean_name(self):
        name = self.cleaned_data["name"]
        exclude = self.team.pk if getattr(self, "team", None) else None
        if same_name(Team.objects.all(), name, exclude_pk=exclude) is not None:
            raise forms.ValidationError(_("A team with this name already exists."))
        return name


class TeamCreateForm(TeamNameMixin, SafeForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        error_messages={"required": _("Give the team a name.")},
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    manager = PersonChoiceField(
        label=_("First manager"),
        queryset=User.objects.none(),
        required=False,
        widget=QuickSelect,
        help_text=_("A team always keeps at least one manager; they can invite the others."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = people_by_name()


class TeamRenameForm(TeamNameMixin, SafeForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        error_messages={"required": _("Give the team a name.")},
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, team, **kwargs):
        self.team = team
        kwargs.setdefault("initial", {"name": team.name, "description": team.description})
        super().__init__(*args, **kwargs)


ROLE_ERRORS = {
    "required": _("Choose member or manager."),
    "invalid_choice": _("Choose member or manager."),
}


class AddMemberForm(SafeForm):
    person = PersonChoiceField(
        label=_("Person to add"),
        queryset=User.objects.none(),
        widget=QuickSelect,
        error_messages={
            "required": _("Choose the person to add."),
            "invalid_choice": _("Choose one of the people listed."),
        },
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=Role.choices, initial=Role.MEMBER, error_messages=ROLE_ERRORS
    )

    def __init__(self, *args, team, **kwargs):
        kwargs.setdefault("prefix", "add")
        super().__init__(*args, **kwargs)
        in_team = Membership.objects.filter(team=team).values("user_id")
        self.fields["person"].queryset = people_by_name().exclude(pk__in=in_team)


class RoleForm(SafeForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, error_messages=ROLE_ERRORS)
