"""What the API shows of each thing, and the shape of what it is sent.

Reading: plain serializers over the models. Writing: the input serializers only say
which fields exist and of what JSON type (for the schema, and to refuse a list where
a text is expected); every rule of the value itself (limits, names in their normal
form, who may be chosen) is the page's own form's, run by the view (opsmaturity/api/
writes.py), so that the API and the pages accept exactly the same things.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from opsmaturity.lib.people import display_name
from opsmaturity.maturity import rules
from opsmaturity.maturity.models import Flag, FlagKind, Snapshot
from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Membership, Role, Team


class PersonField(serializers.Field):
    """A person as {id, name}; null for nobody."""

    def to_representation(self, user):
        return {"id": user.pk, "name": display_name(user)}


PERSON_SCHEMA = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    "required": ["id", "name"],
}
extend_schema_field(PERSON_SCHEMA)(PersonField)


class OpenFlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Flag
        fields = ["id", "kind", "opened_at"]


class OperationSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    owner = PersonField(read_only=True)
    phase_label = serializers.CharField(source="get_phase_display", read_only=True)
    performers = serializers.SerializerMethodField()
    open_flags = OpenFlagSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField(help_text=_("The operation's page."))

    class Meta:
        model = Operation
        fields = [
            "id",
            "name",
            "team",
            "team_name",
            "owner",
            "purpose",
            "phase",
            "phase_label",
            "phase_entered_at",
            "launched_at",
            "performers",
            "runbook_url",
            "monthly_volume",
            "monthly_cost",
            "monthly_value",
            "purpose_reviewed_at",
            "open_flags",
            "version",
            "created_at",
            "updated_at",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "array", "items": PERSON_SCHEMA})
    def get_performers(self, operation):
        people = sorted(operation.performers.all(), key=display_name)
        return [{"id": p.pk, "name": display_name(p)} for p in people]

    def get_url(self, operation) -> str:
        return operation.get_absolute_url()


class OperationWriteSerializer(serializers.Serializer):
    """The fields an operation is created or edited with (the page's form checks them)."""

    name = serializers.CharField(allow_blank=True, trim_whitespace=False)
    team = serializers.IntegerField()
    owner = serializers.IntegerField()
    purpose = serializers.CharField(allow_blank=True, trim_whitespace=False)
    performers = serializers.ListField(child=serializers.IntegerField(), required=False)
    runbook_url = serializers.CharField(allow_blank=True, required=False, trim_whitespace=False)
    launched_at = serializers.DateField(allow_null=True, required=False)
    monthly_volume = serializers.IntegerField(required=False)
    monthly_cost = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    monthly_value = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)


class OperationUpdateSerializer(OperationWriteSerializer):
    """An edit: any of the fields, and the version it was read at (or an If-Match header)."""

    version = serializers.IntegerField(
        required=False,
        help_text=_("The version the change was started from; or send it as If-Match."),
    )

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
        return fields


class MoveSerializer(serializers.Serializer):
    to_phase = serializers.ChoiceField(choices=Phase.choices)
    note = serializers.CharField(allow_blank=True, required=False, trim_whitespace=False)
    version = serializers.IntegerField(required=False)


class ReviewSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, trim_whitespace=False)
    monthly_value = serializers.DecimalField(max_digits=14, decimal_places=2)
    monthly_cost = serializers.DecimalField(max_digits=14, decimal_places=2)
    version = serializers.IntegerField(required=False)


@extend_schema_field(
    {
        "type": "string",
        "enum": ["", *Phase.values],
        "description": "Empty for the operation's creation.",
    }
)
class FromPhaseField(serializers.CharField):
    pass


class TransitionSerializer(serializers.ModelSerializer):
    by = PersonField(read_only=True, allow_null=True)
    from_phase = FromPhaseField(read_only=True)

    class Meta:
        model = PhaseTransition
        fields = ["id", "from_phase", "to_phase", "kind", "by", "at", "note", "monthly_cost"]
        read_only_fields = fields


class FlagSerializer(serializers.ModelSerializer):
    operation_name = serializers.CharField(source="operation.name", read_only=True)
    team = serializers.IntegerField(source="operation.team_id", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    reason = serializers.SerializerMethodField()
    snoozed_by = PersonField(read_only=True, allow_null=True)

    class Meta:
        model = Flag
        fields = [
            "id",
            "operation",
            "operation_name",
            "team",
            "kind",
            "kind_label",
            "reason",
            "opened_at",
            "resolved_at",
            "snoozed_until",
            "snoozed_by",
            "snooze_reason",
            "snooze_requested",
        ]
        read_only_fields = fields

    def get_reason(self, flag) -> str:
        return str(rules.reason_of(flag))


class SnoozeSerializer(serializers.Serializer):
    until = serializers.DateField()
    reason = serializers.CharField(allow_blank=True, trim_whitespace=False)


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("grant", "grant"), ("decline", "decline")])
    reason = serializers.CharField(allow_blank=True, required=False, trim_whitespace=False)


class SnoozeOutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[(v, v) for v in ("snoozed", "requested", "declined", "lifted")]
    )
    detail = serializers.CharField()
    flag = FlagSerializer()


class MemberSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="user_id", read_only=True)
    name = serializers.SerializerMethodField()
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    active = serializers.BooleanField(source="user.is_active", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "name", "role", "active"]

    def get_name(self, membership) -> str:
        return display_name(membership.user)


class TeamSerializer(serializers.ModelSerializer):
    members = MemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "description", "members"]
        read_only_fields = fields


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = Snapshot
        fields = ["id", "date", "team", "phase", "count", "monthly_cost"]
        read_only_fields = fields


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current_version = serializers.IntegerField()


FLAG_KINDS = [value for value, _label in FlagKind.choices]


# --- campaigns (read-only): built from campaigns.pages.overview rows ----------------------


class CampaignTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ForecastSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            "done",
            "on_track",
            "at_risk",
            "will_miss",
            "no_forecast",
            "no_history",
            "projected",
        ]
    )
    remaining = serializers.IntegerField()
    finish = serializers.DateField(allow_null=True)
    earliest = serializers.DateField(allow_null=True)
    latest = serializers.DateField(allow_null=True)
    beyond_horizon = serializers.BooleanField()
    pace_per_week = serializers.FloatField()
    quiet_weeks = serializers.IntegerField()
    sentence = serializers.CharField()


class CampaignProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class CampaignGoalSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["phase", "flag", "review"])
    phase = serializers.CharField(allow_blank=True)
    flag_kind = serializers.CharField(allow_blank=True)
    text = serializers.CharField()


class CampaignSerializer(serializers.Serializer):
    """A campaign: its goal, deadline, progress and forecast (null once closed)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    goal = CampaignGoalSerializer()
    teams = CampaignTeamSerializer(many=True)
    owner = PersonField()
    deadline = serializers.DateField()
    days_left = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    progress = CampaignProgressSerializer()
    forecast = ForecastSerializer(allow_null=True)
    url = serializers.CharField()


class CampaignOperationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    team = CampaignTeamSerializer()
    phase = serializers.ChoiceField(choices=Phase.choices)
    done = serializers.BooleanField()


class CampaignDetailSerializer(CampaignSerializer):
    operations = CampaignOperationSerializer(many=True)
