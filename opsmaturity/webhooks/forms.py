from django import forms
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.forms import SafeModelForm

from .addresses import RefusedAddress, check_url
from .models import Endpoint, Event, Kind

# What an endpoint may ask for; a test delivery is sent by hand, never subscribed to.
WEBHOOK_EVENTS = [(value, label) for value, label in Event.choices if value != Event.PING]
CHAT_EVENTS = [(value, label) for value, label in WEBHOOK_EVENTS if value != Event.WEEKLY_SUMMARY]


class EndpointForm(SafeModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        error_messages={
            "invalid": _("Enter a full web address, like https://hooks.example.com/ops.")
        },
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WEBHOOK_EVENTS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event to send.")},
    )
    secret = forms.CharField(
        label=_("Secret"),
        required=False,
        min_length=16,
        max_length=200,
        help_text=_("Signs every delivery; one is made when left empty."),
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events", "secret", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.template_name = "webhooks/_choices_field.html"
            elif isinstance(field.widget, forms.CheckboxInput):
                field.template_name = "webhooks/_checkbox_field.html"
        if self.instance.pk and "secret" in self.fields:
            # The secret is never shown back: left empty, the current one stays.
            self.initial["secret"] = ""
            self.fields["secret"].help_text = _(
                "Left empty, the current secret stays; a new one can also be made below."
            )

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            check_url(url)
        except RefusedAddress as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url

    def clean_secret(self):
        secret = self.cleaned_data.get("secret") or ""
        if not secret:
            return self.instance.secret if self.instance.pk else Endpoint().secret
        return secret


class ChatChannelForm(EndpointForm):
    """A team's Slack or Microsoft Teams channel: its incoming-webhook URL and the events
    it wants; the team is one the person manages."""

    kind = forms.ChoiceField(
        label=_("Chat"), choices=[(Kind.SLACK, Kind.SLACK.label), (Kind.TEAMS, Kind.TEAMS.label)]
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=CHAT_EVENTS, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Endpoint
        fields = ["kind", "team", "url", "description", "events", "weekly_summary", "is_active"]
        error_messages = {"team": {"required": _("Choose the team whose channel it is.")}}

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["team"].required = True
        del self.fields["secret"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("events") and not cleaned.get("weekly_summary"):
            self.add_error("events", _("Choose events, or the weekly summary, or both."))
        return cleaned
