from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.forms import SafeForm, SafeModelForm
from opsmaturity.lib.people import PersonChoiceField, display_name
from opsmaturity.lib.text import same_name
from opsmaturity.teams import access

from .models import (
    MAX_LEVEL,
    MIN_LEVEL,
    MIN_REQUIRED_LEVEL,
    OPEN_PLAN_STATUSES,
    JobRole,
    LearningPlan,
    Level,
    RoleStatus,
    Skill,
    SkillLevel,
    category_order,
)
from .services import open_plan_exists

User = get_user_model()

LEVEL_MESSAGES = {
    MIN_LEVEL: _("Choose a level from 0 (none) to 4 (can teach and lead)."),
    MIN_REQUIRED_LEVEL: _("Choose a level from 1 (aware) to 4 (can teach and lead)."),
}


def level_choices(minimum=MIN_LEVEL):
    """The scale as choices, worded in the reader's language when shown (the forms
    are built once, at import, so the labels stay lazy)."""
    return [
        (level.value, format_lazy("{} · {}", level.value, level.label))
        for level in Level
        if level >= minimum
    ]


def level_field(label, *, minimum=MIN_LEVEL, help_text=""):
    """A level of the one scale, refused with a clear message when outside it."""
    message = LEVEL_MESSAGES[minimum]
    return forms.IntegerField(
        label=label,
        min_value=minimum,
        max_value=MAX_LEVEL,
        help_text=help_text,
        widget=forms.Select(choices=level_choices(minimum)),
        error_messages={
            "required": message,
            "invalid": message,
            "min_value": message,
            "max_value": message,
        },
    )


class SkillChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, skill):
        return f"{skill.name} ({skill.get_category_display()})"


class SkillForm(SafeModelForm):
    class Meta:
        model = Skill
        fields = ["name", "category", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        error_messages = {
            "name": {"required": _("Give the skill a name.")},
            "category": {"invalid_choice": _("Choose one of the categories.")},
        }

    def clean_name(self):
        name = self.cleaned_data["name"]
        clash = same_name(Skill.objects, name, exclude_pk=self.instance.pk)
        if clash is not None:
            raise forms.ValidationError(
                _("A skill called “%(name)s” already exists.") % {"name": clash.name}
            )
        return name


class JobRoleForm(SafeModelForm):
    class Meta:
        model = JobRole
        fields = ["name", "team", "status", "horizon_years", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "name": {"required": _("Give the role a name.")},
            "team": {"invalid_choice": _("Choose one of the teams you manage.")},
            "horizon_years": {"invalid_choice": _("Choose a horizon of 1, 3 or 5 years.")},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        team = self.fields["team"]
        team.queryset = access.role_teams(user)
        if user.is_staff:
            team.required = False
            team.empty_label = _("The whole organisation")
            team.help_text = _("Leave empty for a role of the whole organisation.")
        else:
            team.required = True
            team.empty_label = None
            team.help_text = _("Organisation-wide roles are kept by administrators.")
            team.error_messages["required"] = _("Choose the team that will need this role.")
        self.fields["horizon_years"].help_text = _(
            "When the team will need it. Only for planned roles."
        )
        self.fields["description"].help_text = _(
            "What the person in this role does, for instance what they take over from "
            "manual work as automation grows."
        )

    def clean(self):
        cleaned = super().clean()
        status, horizon = cleaned.get("status"), cleaned.get("horizon_years")
        if status == RoleStatus.PLANNED and not horizon and "horizon_years" not in self.errors:
            self.add_error(
                "horizon_years", _("A planned role needs a horizon: in 1, 3 or 5 years.")
            )
        if status == RoleStatus.CURRENT:
            cleaned["horizon_years"] = None
        name, team = cleaned.get("name"), cleaned.get("team")
        if name and "team" not in self.errors:
            roles = JobRole.objects.filter(team=team)
            if same_name(roles, name, exclude_pk=self.instance.pk) is not None:
                where = team.name if team else _("the organisation")
                self.add_error(
                    "name",
                    _("%(where)s already has a role called “%(name)s”.")
                    % {"where": where, "name": name},
                )
        return cleaned


class RequirementForm(SafeForm):
    skill = SkillChoiceField(
        label=_("Skill"),
        queryset=Skill.objects.order_by(category_order(), "name"),
        error_messages={
            "required": _("Choose a skill."),
            "invalid_choice": _("Choose one of the skills in the list."),
        },
    )
    level = level_field(_("Required level"), minimum=MIN_REQUIRED_LEVEL)


class LevelProposalForm(SafeForm):
    skill = SkillChoiceField(
        label=_("Skill"),
        queryset=Skill.objects.order_by(category_order(), "name"),
        error_messages={
            "required": _("Choose a skill."),
            "invalid_choice": _("Choose one of the skills in the list."),
        },
    )
    level = level_field(
        _("Your level"), help_text=_("A manager of your team confirms it before it counts.")
    )
    note = forms.CharField(
        label=_("Note for your manager"),
        required=False,
        max_length=300,
        help_text=_("Optional: what you have done with it."),
        error_messages={"max_length": _("Keep the note under 300 characters.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        skill, level = cleaned.get("skill"), cleaned.get("level")
        if skill and level is not None:
            current = SkillLevel.objects.filter(user=self.user, skill=skill).first()
            if current and current.level == level and current.proposed_level is None:
                self.add_error(
                    "level",
                    _("%(level)s is already your confirmed level in %(skill)s.")
                    % {"level": level, "skill": skill.name},
                )
        cleaned["note"] = (cleaned.get("note") or "").strip()
        return cleaned


class ConfirmLevelForm(SafeForm):
    level = level_field(_("Confirmed level"))
    version = forms.IntegerField(widget=forms.HiddenInput)


class LearningPlanForm(SafeModelForm):
    user = PersonChoiceField(
        label=_("Person"),
        queryset=User.objects.none(),
        error_messages={
            "required": _("Choose whose plan this is."),
            "invalid_choice": _("You can keep plans for yourself and the people you manage."),
        },
    )
    skill = SkillChoiceField(
        label=_("Skill"),
        queryset=Skill.objects.order_by(category_order(), "name"),
        error_messages={
            "required": _("Choose the skill to learn."),
            "invalid_choice": _("Choose one of the skills in the list."),
        },
    )
    goal_level = level_field(_("Goal level"), minimum=MIN_REQUIRED_LEVEL)

    class Meta:
        model = LearningPlan
        fields = ["user", "skill", "goal_level", "target_date", "status", "note"]
        widgets = {
            "target_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "target_date": {
                "required": _("Choose a target date."),
                "invalid": _("Enter a date, for example 2030-03-31."),
            },
            "status": {"invalid_choice": _("Choose one of the statuses.")},
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        people = self.fields["user"]
        people.queryset = access.plannable_people(actor).order_by(
            "first_name", "last_name", "username"
        )
        if self.instance.pk:
            people.disabled = True
            people.queryset = User.objects.filter(pk=self.instance.user_id)
        elif not self.is_bound and "user" not in self.initial:
            self.initial["user"] = actor.pk
        self.fields["note"].help_text = _("How: a course, a project, pairing with someone…")

    def clean(self):
        cleaned = super().clean()
        person, skill = cleaned.get("user"), cleaned.get("skill")
        goal, target = cleaned.get("goal_level"), cleaned.get("target_date")
        status = cleaned.get("status") or self.instance.status
        is_open = status in OPEN_PLAN_STATUSES
        date_changed = not self.instance.pk or "target_date" in self.changed_data
        if target and is_open and date_changed and target < timezone.localdate():
            self.add_error(
                "target_date", _("This date has passed: choose a target date from today on.")
            )
        if person and skill and is_open:
            if open_plan_exists(person.pk, skill.pk, exclude_pk=self.instance.pk):
                self.add_error(
                    "skill",
                    _("%(person)s already has an open plan for %(skill)s: update that one.")
                    % {"person": display_name(person), "skill": skill.name},
                )
            elif goal is not None and not self.instance.pk:
                current = (
                    SkillLevel.objects.filter(user=person, skill=skill)
                    .values_list("level", flat=True)
                    .first()
                )
                if current is not None and current >= goal:
                    self.add_error(
                        "goal_level",
                        _("The confirmed level is already %(level)s: aim higher.")
                        % {"level": current},
                    )
        return cleaned

    def changes(self):
        return {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if not self.fields[name].disabled
        }
