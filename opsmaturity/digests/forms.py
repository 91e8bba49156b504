from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from opsmaturity.accounts.models import zone_of
from opsmaturity.lib.forms import SafeForm, SafeModelForm
from opsmaturity.lib.people import PersonChoiceField
from opsmaturity.lib.widgets import QuickSelect

from .models import DigestSubscription, Mode, digest_time, digest_weekday, known_zones


class PreferencesForm(SafeModelForm):
    mode = forms.ChoiceField(
        label=_("Send me the weekly digest"), choices=Mode.choices, widget=forms.RadioSelect
    )
    time_zone = forms.CharField(
        label=_("Time zone"),
        required=False,
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "list": "time-zones",
                "autocomplete": "off",
                "spellcheck": "false",
                "aria-describedby": "tz-help",
            }
        ),
    )

    class Meta:
        model = DigestSubscription
        fields = ["mode", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # empty: the zone of the person's profile, else the installation's
        profile_zone = zone_of(self.instance.user) if self.instance.user_id else None
        if profile_zone is None:
            help_text = _(
                "Where you read it: the digest comes on %(day)s at %(time)s there. A name such "
                "as Europe/Paris or Asia/Tokyo; empty for the installation's, %(zone)s."
            )
        else:
            help_text = _(
                "Where you read it: the digest comes on %(day)s at %(time)s there. A name such "
                "as Europe/Paris or Asia/Tokyo; empty for your profile's, %(zone)s."
            )
        self.fields["time_zone"].help_text = help_text % {
            "day": WEEKDAYS[digest_weekday()],
            "time": f"{digest_time():%H:%M}",
            "zone": str(profile_zone or settings.TIME_ZONE),
        }

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"].strip()
        if not value:
            return ""
        # "asia/tokyo" is Asia/Tokyo; anything unknown is refused by the model's validator
        return known_zones().get(value.lower(), value)

    @staticmethod
    def zone_names():
        return sorted(known_zones().values())


class PreviewPersonForm(SafeForm):
    """Staff choose whose digest to preview by name, not by a number."""

    user = PersonChoiceField(
        label=_("Preview the digest of"),
        queryset=get_user_model().objects.order_by(
            "-is_active", "first_name", "last_name", "username"
        ),
        widget=QuickSelect(attrs={"id": "preview-user"}),
    )
