from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.forms import SafeForm

from .exemptions import ExemptionError, check_until
from .models import FlagExemption

REASON_MAX = FlagExemption._meta.get_field("reason").max_length


class SnoozeForm(SafeForm):
    """Snooze a flag (manager) or ask for it (member): until when, and why."""

    until = forms.DateField(
        label=_("Until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Choose until when."), "invalid": _("Enter a date.")},
    )
    reason = forms.CharField(
        label=_("Why"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why this flag can wait.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["until"].initial = timezone.localdate() + timedelta(days=30)

    def clean_until(self):
        until = self.cleaned_data["until"]
        try:
            check_until(until)
        except ExemptionError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return until

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why this flag can wait."))
        return reason


class DecisionForm(SafeForm):
    """A manager's answer to a request to snooze: grant it as asked, or decline it."""

    decision = forms.ChoiceField(
        choices=[("grant", _("Snooze it")), ("decline", _("Decline"))],
        error_messages={
            "required": _("Choose to snooze it or to decline."),
            "invalid_choice": _("Choose to snooze it or to decline."),
        },
    )
    reason = forms.CharField(label=_("Why"), max_length=REASON_MAX, required=False)
