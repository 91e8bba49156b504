from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from opsmaturity.core.admin import ManagerReadOnly
from opsmaturity.maturity.models import Flag

from .models import CriterionCheck, Operation, PhaseCriterion, PhaseTransition
from .services import create_operation, refresh_flags


class TransitionInline(ManagerReadOnly, admin.TabularInline):
    """The history of the operation, read-only: it is never rewritten."""

    model = PhaseTransition
    extra = 0
    can_delete = False
    fields = ["at", "from_phase", "to_phase", "by", "note", "monthly_cost", "monthly_value"]
    readonly_fields = fields
    ordering = ["-at", "-id"]
    verbose_name_plural = _("history")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FlagInline(ManagerReadOnly, admin.TabularInline):
    model = Flag
    extra = 0
    can_delete = False
    fields = ["kind", "detail", "opened_at", "resolved_at"]
    readonly_fields = fields
    ordering = ["resolved_at", "-opened_at"]

    def has_add_permission(self, request, obj=None):
        return False


class CheckInline(ManagerReadOnly, admin.TabularInline):
    model = CriterionCheck
    extra = 0
    autocomplete_fields = ["checked_by"]


class OperationAdminForm(forms.ModelForm):
    """Carries the version the page was opened at, so that a stale save is refused."""

    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    runbook_url = forms.URLField(
        label=_("runbook URL"), required=False, max_length=500, assume_scheme="https"
    )

    class Meta:
        model = Operation
        fields = [
            "name",
            "team",
            "owner",
            "purpose",
            "launched_at",
            "performers",
            "runbook_url",
            "monthly_volume",
            "monthly_cost",
            "monthly_value",
            "purpose_reviewed_at",
            "purpose_reviewed_by",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        opened = cleaned.get("opened_version")
        if self.instance.pk and opened is not None and opened != self.instance.version:
            raise forms.ValidationError(
                _(
                    "Someone else saved this operation after you opened it. Reload the page "
                    "to see their changes; nothing of yours was saved."
                )
            )
        return cleaned


@admin.register(Operation)
class OperationAdmin(ManagerReadOnly, admin.ModelAdmin):
    team_field = "team"

    form = OperationAdminForm
    list_display = [
        "name",
        "team",
        "phase",
        "phase_entered_at",
        "owner",
        "monthly_cost",
        "monthly_value",
        "purpose_reviewed_at",
    ]
    list_filter = ["phase", "team", ("runbook_url", admin.EmptyFieldListFilter)]
    search_fields = ["name", "purpose", "owner__username", "team__name"]
    list_select_related = ["team", "owner"]
    autocomplete_fields = ["team", "owner", "performers", "purpose_reviewed_by"]
    date_hierarchy = "phase_entered_at"
    readonly_fields = ["phase", "phase_entered_at", "version", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "team", "owner", "purpose", "opened_version"]}),
        (
            _("Phase"),
            {
                "fields": ["phase", "phase_entered_at", "launched_at"],
                "description": _(
                    "Phase moves are recorded in the history; make them from the "
                    "operation's page so that the move is checked and kept."
                ),
            },
        ),
        (_("Who can run it"), {"fields": ["performers", "runbook_url"]}),
        (_("Volume and money"), {"fields": ["monthly_volume", "monthly_cost", "monthly_value"]}),
        (
            _("Review"),
            {
                "fields": [
                    "purpose_reviewed_at",
                    "purpose_reviewed_by",
                    "version",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]
    inlines = [CheckInline, FlagInline, TransitionInline]

    def has_delete_permission(self, request, obj=None):
        # Nothing is hard-deleted: retire it instead, and the history stays.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
            super().save_model(request, obj, form, change)
            return
        # A new operation starts its history like one made anywhere else.
        fields = {
            f: value
            for f, value in form.cleaned_data.items()
            if f not in ("performers", "opened_version")
        }
        created = create_operation(by=request.user, **fields)
        obj.pk = created.pk
        obj.refresh_from_db()
        messages.info(request, _("Recorded in launch; its history has started."))

    def save_related(self, request, form, formsets, change):
        form.save_m2m()
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        # Performers and checks are saved now: the flags can follow the change.
        refresh_flags(form.instance)


@admin.register(PhaseTransition)
class PhaseTransitionAdmin(ManagerReadOnly, admin.ModelAdmin):
    team_field = "operation__team"

    list_display = ["operation", "from_phase", "to_phase", "by", "at", "note"]
    list_filter = ["to_phase", "from_phase", "operation__team"]
    search_fields = ["operation__name", "note"]
    list_select_related = ["operation", "by"]
    date_hierarchy = "at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PhaseCriterion)
class PhaseCriterionAdmin(ManagerReadOnly, admin.ModelAdmin):
    list_display = ["label", "phase", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["phase", "is_active"]
    search_fields = ["label", "help_text"]
    ordering = ["phase", "position"]

    def has_delete_permission(self, request, obj=None):
        # Checks made against a criterion stay meaningful: deactivate it instead.
        return False
