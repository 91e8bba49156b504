from django.contrib import admin

from opsmaturity.core.admin import OpsModelAdmin, OpsTabularInline, ReadOnly

from .models import JobRole, LearningPlan, LevelChange, RequiredSkill, Skill, SkillLevel


class RequiredSkillInline(OpsTabularInline):
    model = RequiredSkill
    extra = 0
    autocomplete_fields = ["skill"]


@admin.register(Skill)
class SkillAdmin(OpsModelAdmin):
    list_display = ["name", "category", "updated_at"]
    list_filter = ["category"]
    search_fields = ["name", "description"]


@admin.register(JobRole)
class JobRoleAdmin(OpsModelAdmin):
    list_display = ["name", "team", "status", "horizon_years", "updated_at"]
    list_filter = ["status", "horizon_years", "team"]
    search_fields = ["name", "description"]
    list_select_related = ["team"]
    inlines = [RequiredSkillInline]


@admin.register(SkillLevel)
class SkillLevelAdmin(ReadOnly, OpsModelAdmin):
    """Levels are proposed by the person and confirmed by a manager in the app, where
    each step is kept in the history (LevelChange)."""

    list_display = [
        "user",
        "skill",
        "level",
        "confirmed_by",
        "confirmed_at",
        "proposed_level",
        "proposed_at",
    ]
    list_filter = ["skill__category", "level", ("proposed_level", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__first_name", "user__last_name", "skill__name"]
    autocomplete_fields = ["user", "skill", "confirmed_by"]
    list_select_related = ["user", "skill", "confirmed_by"]


@admin.register(LevelChange)
class LevelChangeAdmin(ReadOnly, OpsModelAdmin):
    list_display = ["at", "user", "skill", "kind", "level", "by"]
    list_filter = ["kind"]
    search_fields = ["user__username", "skill__name"]
    list_select_related = ["user", "skill", "by"]


@admin.register(LearningPlan)
class LearningPlanAdmin(OpsModelAdmin):
    list_display = ["user", "skill", "goal_level", "target_date", "status"]
    list_filter = ["status", "skill__category"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "skill__name"]
    autocomplete_fields = ["user", "skill", "created_by"]
    list_select_related = ["user", "skill"]
