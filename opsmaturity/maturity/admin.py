from django.contrib import admin

from .models import Flag, Snapshot


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
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
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["date", "team", "phase", "count", "monthly_cost"]
    list_filter = ["phase", "team"]
    date_hierarchy = "date"
    list_select_related = ["team"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
