from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from opsmaturity.core.admin import ManagerReadOnly

from .models import Flag, ScanRun, Snapshot


@admin.register(Flag)
class FlagAdmin(ManagerReadOnly, admin.ModelAdmin):
    team_field = "operation__team"

    list_display = ["operation", "kind", "detail", "opened_at", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter), "operation__team"]
    search_fields = ["operation__name", "detail"]
    list_select_related = ["operation"]
    date_hierarchy = "opened_at"
    readonly_fields = ["operation", "kind", "opened_at", "resolved_at", "detail"]

    def has_add_permission(self, request):
        return False  # flags are opened by the scan

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Snapshot)
class SnapshotAdmin(ManagerReadOnly, admin.ModelAdmin):
    team_field = "team"

    list_display = ["date", "team", "phase", "count", "monthly_cost", "taken_at"]
    list_filter = ["phase", "team"]
    date_hierarchy = "date"
    list_select_related = ["team"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScanRun)
class ScanRunAdmin(admin.ModelAdmin):
    """The record of every scan: read-only, written by the scan itself."""

    list_display = [
        "started_at",
        "status",
        "partial",
        "duration_display",
        "operation_count",
        "opened",
        "resolved",
        "refreshed",
    ]
    list_filter = ["status", "partial"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "started_at",
        "as_of",
        "finished_at",
        "duration_display",
        "status",
        "partial",
        "operation_count",
        "opened",
        "resolved",
        "refreshed",
        "by_kind",
        "error",
    ]
    fields = readonly_fields

    @admin.display(description=_("duration"))
    def duration_display(self, obj):
        duration = obj.duration
        if duration is None:
            return "—"
        return _("%(seconds).1f s") % {"seconds": duration.total_seconds()}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # pruning old runs is fine, rewriting them is not
