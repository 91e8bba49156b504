"""The registry in the admin: read freely, written only through the app's own form and services.

Staff edit an operation with the same form as the app's page (``OperationForm``:
its limits, its messages, the owner in the team, the version it was opened at)
and the same services (``create_operation``, ``update_operation``: the row lock,
the conflict check, the rescan of its flags). Phase moves, purpose reviews and
criterion checks are made on the operation's pages, where each is recorded.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from opsmaturity.core.admin import ManagerReadOnly, OpsModelAdmin, OpsTabularInline, ReadOnly
from opsmaturity.lib.concurrency import EditConflict
from opsmaturity.lib.forms import SafeModelForm
from opsmaturity.maturity.models import Flag

from .forms import OperationForm
from .models import CriterionCheck, Operation, PhaseCriterion, PhaseTransition
from .services import create_operation, update_operation


class TransitionInline(ReadOnly, ManagerReadOnly, OpsTabularInline):
    """The history of the operation: it is never rewritten."""

    model = PhaseTransition
    extra = 0
    fields = ["at", "from_phase", "to_phase", "kind", "by", "note", "monthly_cost", "monthly_value"]
    readonly_fields = fields
    ordering = ["-at", "-id"]
    verbose_name_plural = _("history")


class FlagInline(ReadOnly, ManagerReadOnly, OpsTabularInline):
    model = Flag
    extra = 0
    fields = ["kind", "opened_at", "resolved_at", "snoozed_until"]
    readonly_fields = fields
    ordering = ["resolved_at", "-opened_at"]


class CheckInline(ReadOnly, ManagerReadOnly, OpsTabularInline):
    """Who ticked which exit criterion, with what evidence: ticked on the move page."""

    model = CriterionCheck
    extra = 0
    fields = ["criterion", "checked_by", "checked_at", "evidence"]
    readonly_fields = fields


class OperationAdminForm(OperationForm):
    """The app's form; the version it was opened at travels as ``opened_version``, since
    the admin builds its forms from model fields and ``version`` is not an editable one."""

    version = None
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_version"].initial = self.instance.version
            self.fields["opened_version"].required = True

    def clean(self):
        cleaned = super().clean()
        cleaned["version"] = cleaned.get("opened_version")
        return cleaned


@admin.register(Operation)
class OperationAdmin(ManagerReadOnly, OpsModelAdmin):
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
    autocomplete_fields = ["team"]
    date_hierarchy = "phase_entered_at"
    readonly_fields = [
        "phase",
        "phase_entered_at",
        "purpose_reviewed_at",
        "purpose_reviewed_by",
        "created_at",
        "updated_at",
    ]
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
                    "created_at",
                    "updated_at",
                ],
                "description": _("Purpose reviews are recorded from the operation's page."),
            },
        ),
    ]
    inlines = [CheckInline, FlagInline, TransitionInline]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            first, *rest = fieldsets
            fields = [f for f in first[1]["fields"] if f != "opened_version"]
            fieldsets = [(first[0], {**first[1], "fields": fields}), *rest]
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and not self.has_change_permission(request, obj):
            # A page to look at (a manager's): nothing is saved from it.
            return super().get_form(request, obj, change=change, form=SafeModelForm, **kwargs)
        form = super().get_form(request, obj, change=change, **kwargs)

        class AsThisUser(form):
            """The app's form, for the person signed in to the admin."""

            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, user=request.user, **form_kwargs)

        return AsThisUser

    def has_delete_permission(self, request, obj=None):
        # Nothing is hard-deleted: retire it instead, and the history stays.
        return False

    def save_model(self, request, obj, form, change):
        performers = form.cleaned_data["performers"]
        if not change:
            try:
                created = create_operation(by=request.user, performers=performers, **form.changes())
            except ValidationError as exc:  # the name was taken a moment ago
                request.ops_conflict = True
                messages.error(request, " ".join(exc.messages))
                return
            obj.pk = created.pk
            obj.refresh_from_db()
            messages.info(request, _("Recorded in launch; its history has started."))
            return
        try:
            update_operation(
                obj,
                by=request.user,
                changes=form.changes(),
                performers=performers,
                expected_version=form.cleaned_data["version"],
            )
        except EditConflict:
            request.ops_conflict = True
            messages.error(
                request,
                _(
                    "Someone else saved this operation after you opened it. Reload the page "
                    "to see their changes; nothing of yours was saved."
                ),
            )
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        """Not the form's many-to-many: the service set the performers. The inlines are
        read-only; saving their formsets writes nothing and lets the admin log say so."""
        for formset in formsets:
            if getattr(request, "ops_conflict", False):
                # Nothing was saved: nothing of the inlines either.
                formset.new_objects = formset.changed_objects = formset.deleted_objects = []
            else:
                self.save_formset(request, form, formset, change=change)

    def log_addition(self, request, obj, message):
        if not getattr(request, "ops_conflict", False):
            super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "ops_conflict", False):
            return redirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def log_change(self, request, obj, message):
        if not getattr(request, "ops_conflict", False):
            super().log_change(request, obj, message)

    def response_change(self, request, obj):
        if getattr(request, "ops_conflict", False):
            return redirect(request.path)
        return super().response_change(request, obj)


@admin.register(PhaseTransition)
class PhaseTransitionAdmin(ReadOnly, ManagerReadOnly, OpsModelAdmin):
    team_field = "operation__team"

    list_display = ["operation", "from_phase", "to_phase", "kind", "by", "at", "note"]
    list_filter = ["to_phase", "from_phase", "operation__team"]
    search_fields = ["operation__name", "note"]
    list_select_related = ["operation", "by"]
    date_hierarchy = "at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(PhaseCriterion)
class PhaseCriterionAdmin(ManagerReadOnly, OpsModelAdmin):
    list_display = ["label", "phase", "key", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["phase", "is_active", "key"]
    search_fields = ["label", "help_text"]
    ordering = ["phase", "position"]

    def has_delete_permission(self, request, obj=None):
        # Checks made against a criterion stay meaningful: deactivate it instead.
        return False
