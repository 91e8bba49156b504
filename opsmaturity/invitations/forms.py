from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.forms import SafeForm
from opsmaturity.teams.models import Role

from .services import MAX_BATCH, split_addresses


class InviteForm(SafeForm):
    emails = forms.CharField(
        label=_("Email addresses"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or many, separated by commas, spaces or new lines."),
        error_messages={"required": _("Write at least one email address.")},
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Role.choices,
        initial=Role.MEMBER,
        error_messages={
            "required": _("Choose member or manager."),
            "invalid_choice": _("Choose member or manager."),
        },
    )

    def __init__(self, *args, roles=None, **kwargs):
        kwargs.setdefault("prefix", "invite")
        super().__init__(*args, **kwargs)
        if roles is not None:
            self.fields["role"].choices = [(v, lbl) for v, lbl in Role.choices if v in roles]
        self.bad = []

    def clean_emails(self):
        good, bad = split_addresses(self.cleaned_data["emails"])
        self.bad = bad
        if not good and not bad:
            raise forms.ValidationError(_("Write at least one email address."))
        if len(good) > MAX_BATCH:
            raise forms.ValidationError(
                _("At most %(count)d addresses at a time.") % {"count": MAX_BATCH}
            )
        return good


class AcceptForm(SafeForm):
    name_fields = ("first_name", "last_name")

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        error_messages={"required": _("Write your first name.")},
    )
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("The same password again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("The two passwords differ."))
        elif one:
            from django.contrib.auth import get_user_model

            probe = get_user_model()(
                username=self.email,
                email=self.email,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(one, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data
