from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from opsmaturity.core.admin import ManagerReadOnly, OpsModelAdmin, ReadOnly

from .models import Flag, ScanRun, Snapshot
from .rules import reason_of


@admin.register(Flag)
class FlagAdmin(ReadOnly, ManagerReadOnly, OpsModelAdmin):
    """Flags are opened and resolved by the scan; snoozes are asked for, granted and
    lifted on the operation's page, where each step is recorded with its reason."""

    team_field = "operation__team"

    list_display = ["operation", "kind", "reason", "opened_at", "resolved_at", "snoozed_until"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter), "operation__team"]
    search_fields = ["operation__name"]
    list_select_related = ["operation"]
    date_hierarchy = "opened_at"

    @admin.display(description=_("reason"))
    def reason(self, flag):
        return reason_of(flag)


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnly, ManagerReadOnly, OpsModelAdmin):
    team_field = "team"

    list_display = ["date", "team", "phase", "count", "monthly_cost", "taken_at"]
    list_filter = ["phase", "team"]
    date_hierarchy = "date"
    list_select_related = ["team"]


@admin.register(ScanRun)
class ScanRunAdmin(ReadOnly, OpsModelAdmin):
    """The record of every scan: written by the scan itself, which also prunes old ones."""

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
