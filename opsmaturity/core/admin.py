"""The admin site, opened to ops managers as well as staff.

Staff administer everything, as Django's admin always allows. A manager of a
team who is not staff may also sign in to the admin and browse, read-only, the
registry of the teams they manage: teams, memberships, operations with their
history and flags, snapshots and the exit criteria. Everything they may change,
they change in the app, where each change goes through its service.
"""

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.formatting import money
from opsmaturity.lib.forms import SafeModelForm, parse_id
from opsmaturity.teams import access


class OpsAdminSite(admin.AdminSite):
    site_header = _("Ops Maturity administration")
    site_title = _("Ops Maturity")
    index_title = _("Registry administration")

    def has_permission(self, request):
        return access.may_use_admin(request.user)

    def login(self, request, extra_context=None):
        # One sign-in page for the app and the admin, open to managers too.
        if request.user.is_authenticated and not self.has_permission(request):
            return super().login(request, extra_context)
        return redirect_to_login(request.get_full_path())


class ManagerReadOnly:
    """For a ModelAdmin or inline: managers who are not staff read the rows of the
    teams they manage (``team_field`` leads from the model to its team; None for a
    model shared by all, like the exit criteria), and change nothing."""

    team_field = None

    def _manager_only(self, request):
        return access.admin_read_only(request.user)

    def has_module_permission(self, request):
        return self._manager_only(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        if self._manager_only(request):
            return obj is None or self._in_managed_teams(request, obj)
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return False if self._manager_only(request) else super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return False if self._manager_only(request) else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False if self._manager_only(request) else super().has_delete_permission(request, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self._manager_only(request) and self.team_field:
            team_ids = access.managed_team_ids(request.user)
            queryset = queryset.filter(**{f"{self.team_field}__in": team_ids})
        return queryset

    def _in_managed_teams(self, request, obj):
        if not self.team_field:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()


class ReadOnly:
    """For a ModelAdmin or inline of history or of what a job writes: shown, never
    added, changed or deleted from the admin (the app and the jobs write these rows)."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ShowsOnlyIds:
    """When a refused form is shown again, Django's autocomplete widget looks up what was
    sent to name it, as sent: "null" or 10**40 stopped the page with a 500. What is no
    id is shown as no choice; the form has already said it is not a valid one."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if parse_id(v) is not None], attr)


class StrictAutocompleteSelect(_ShowsOnlyIds, AutocompleteSelect):
    pass


class StrictAutocompleteSelectMultiple(_ShowsOnlyIds, AutocompleteSelectMultiple):
    pass


class StrictAutocomplete:
    """For a ModelAdmin or inline: its autocomplete fields use the widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = StrictAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = StrictAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def money_column(model, name):
    """A list column of an amount written as the app writes it ("1,100,000 JPY", not
    "1100000.00"), still sorted by the field; any other column as it was. Every
    decimal of the project is an amount of money."""
    try:
        field = model._meta.get_field(name) if isinstance(name, str) else None
    except FieldDoesNotExist:
        field = None
    if not isinstance(field, models.DecimalField):
        return name

    @admin.display(description=field.verbose_name, ordering=name)
    def column(obj):
        return money(getattr(obj, name))

    column.__name__ = name  # the cell keeps its class, field-<name>
    return column


def _money_in_read_only_fields():
    """A read-only field of an amount (a manager's view-only pages, the history's
    inlines) written as money too. Django's read-only field has no hook for how a
    value is shown: its one call to display_for_field is wrapped, for the decimals
    only (every decimal of the project is an amount of money)."""
    from django.contrib.admin import helpers

    shown = helpers.display_for_field
    if getattr(shown, "shows_money", False):
        return

    def display_for_field(value, field, empty_value_display, *args, **kwargs):
        if isinstance(field, models.DecimalField) and value is not None:
            return money(value)
        return shown(value, field, empty_value_display, *args, **kwargs)

    display_for_field.shows_money = True
    helpers.display_for_field = display_for_field


_money_in_read_only_fields()


class OpsModelAdmin(StrictAutocomplete, admin.ModelAdmin):
    """Every ModelAdmin of the project: its forms hold the app's limits (lib.forms),
    and its lists write amounts as money."""

    form = SafeModelForm

    def get_list_display(self, request):
        return [money_column(self.model, name) for name in super().get_list_display(request)]


class RowsCheckedAgainstTheDatabase(BaseInlineFormSet):
    """Django leaves an inline row's link to its parent out of the row's own checks, and
    compares the rows only with each other: a new row repeating one already saved but
    not shown (a stale or tampered form) passed, and the database refused it with a
    500. Each changed row is checked whole, against what is saved, and refused at the
    row with the constraint's message."""

    def validate_unique(self):
        super().validate_unique()
        for form in self.forms:
            if not form.has_changed() or self._should_delete_form(form) or form.errors:
                continue
            try:
                form.instance.validate_unique()
                form.instance.validate_constraints()
            except ValidationError as error:
                form.add_error(None, error.messages)


class OpsTabularInline(StrictAutocomplete, admin.TabularInline):
    form = SafeModelForm
    formset = RowsCheckedAgainstTheDatabase


class StaffOnly:
    """For a ModelAdmin that only staff may open, whatever model permissions a
    manager who browses the admin may have been given."""

    form = SafeModelForm

    def has_module_permission(self, request):
        return request.user.is_staff and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.is_staff and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_staff and super().has_delete_permission(request, obj)


def register_sign_in_records(site):
    """django-axes' records of sign-ins, failed and locked out, for staff only.

    Deleting a locked-out attempt lifts the pause (as ``manage.py axes_reset`` does).
    Registered here rather than by axes itself (settings.AXES_ENABLE_ADMIN is off)
    so that the staff-only rule cannot be bypassed by the order the apps load in.
    """
    from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model, model_admin in (
        (AccessAttempt, AccessAttemptAdmin),
        (AccessFailureLog, AccessFailureLogAdmin),
        (AccessLog, AccessLogAdmin),
    ):
        site.register(model, type(f"StaffOnly{model_admin.__name__}", (StaffOnly, model_admin), {}))
