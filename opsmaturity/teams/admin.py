from django.contrib import admin

from opsmaturity.core.admin import ManagerReadOnly

from .models import Membership, Team


class MembershipInline(ManagerReadOnly, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(ManagerReadOnly, admin.ModelAdmin):
    team_field = "pk"

    list_display = ["name", "created_at"]
    search_fields = ["name", "description"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ManagerReadOnly, admin.ModelAdmin):
    team_field = "team"

    list_display = ["user", "team", "role", "joined_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__email", "team__name"]
    autocomplete_fields = ["user", "team"]
    list_select_related = ["user", "team"]
