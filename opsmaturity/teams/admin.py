from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from opsmaturity.core.admin import ManagerReadOnly, OpsModelAdmin, OpsTabularInline
from opsmaturity.lib.forms import SafeInput
from opsmaturity.offboarding import services

from .models import Membership, Team


class MembershipInline(ManagerReadOnly, OpsTabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(ManagerReadOnly, OpsModelAdmin):
    team_field = "pk"

    list_display = ["name", "created_at", "archived_at"]
    search_fields = ["name", "description"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ManagerReadOnly, OpsModelAdmin):
    team_field = "team"

    list_display = ["user", "team", "role", "joined_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__email", "team__name"]
    autocomplete_fields = ["user", "team"]
    list_select_related = ["user", "team"]


User = get_user_model()
admin.site.unregister(User)
# Who may do what comes from team roles (teams.access), not from Django's groups.
admin.site.unregister(Group)


class PersonChangeForm(SafeInput, UserChangeForm):
    name_fields = ("first_name", "last_name")


class PersonCreationForm(SafeInput, AdminUserCreationForm):
    pass


@admin.register(User)
class PersonAdmin(UserAdmin):
    """People are never deleted: their moves, reviews and checks keep their author.
    Someone who leaves is deactivated: they can no longer sign in, and stay in history."""

    form = PersonChangeForm
    add_form = PersonCreationForm
    actions = ["deactivate"]
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_staff"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Unticking "active" here is leaving too, with all it does (services.deactivate),
        and ticking it again is coming back."""
        if change and "is_active" in form.changed_data:
            wanted = obj.is_active
            obj.is_active = not wanted
            super().save_model(request, obj, form, change)
            if wanted:
                services.reactivate(obj, by=request.user)
            else:
                services.deactivate(obj, by=request.user)
            return
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Deactivate the selected people (they can no longer sign in)"))
    def deactivate(self, request, queryset):
        # The app's one way (offboarding.services): sessions end, the change is
        # recorded, and the operations they own are flagged "owner has left".
        people = queryset.filter(is_active=True).exclude(pk=request.user.pk)
        count = sum(services.deactivate(person, by=request.user) for person in people)
        self.message_user(
            request,
            ngettext("%(count)d person deactivated.", "%(count)d people deactivated.", count)
            % {"count": count},
            messages.SUCCESS,
        )
