"""The profile form, and Django's sign-in and password forms in the project's hardening.

Passwords are taken as typed: ``SafeInput`` trims invisible text and refuses control
characters in every other field, but a password is a secret, not a text to tidy, and
changing it here would lock out whoever set it elsewhere (the admin, the command line).
"""

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib import emails
from opsmaturity.lib.forms import SafeInput, SafeModelForm
from opsmaturity.lib.urls import absolute

from .models import Profile, known_zones, language_of

EMAIL_MAX_LENGTH = 254


def _installation_language_name():
    return dict(settings.LANGUAGES).get(settings.LANGUAGE_CODE, settings.LANGUAGE_CODE)


class ProfileForm(SafeModelForm):
    name_fields = ("display_name",)

    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.CharField(
        label=_("Time zone"),
        required=False,
        max_length=64,
        widget=forms.TextInput(
            attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}
        ),
    )

    class Meta:
        model = Profile
        fields = ["display_name", "language", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["display_name"].label = _("Display name")
        self.fields["display_name"].help_text = _(
            "How the app names you to others. Empty: your first and last name."
        )
        self.fields["language"].choices = [
            (
                "",
                _("The installation's (%(language)s)")
                % {"language": _installation_language_name()},
            ),
            *settings.LANGUAGES,
        ]
        self.fields["language"].help_text = _("Pages and your weekly digest are in this language.")
        self.fields["time_zone"].help_text = _(
            "Dates and times are shown in this zone, and your digest comes on its morning. "
            "Type to search the list (a name such as Europe/Paris or Asia/Tokyo); empty for "
            "the installation's, %(zone)s."
        ) % {"zone": settings.TIME_ZONE}

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"].strip()
        # "asia/tokyo" is Asia/Tokyo; anything unknown is refused by the model's validator
        return known_zones().get(value.lower(), value) if value else ""


def _take_passwords_as_typed(form_class, *names):
    for name in names:
        form_class.base_fields[name]._hardened = True


class SignInForm(SafeInput, auth_forms.AuthenticationForm):
    """Sign in with a username or an email address (backends.UsernameOrEmailBackend)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.label = _("Username or email")
        username.max_length = EMAIL_MAX_LENGTH
        username.widget.attrs["maxlength"] = str(EMAIL_MAX_LENGTH)
        username.widget.attrs["autocomplete"] = "username"


_take_passwords_as_typed(SignInForm, "password")


class PasswordResetForm(SafeInput, auth_forms.PasswordResetForm):
    """Django's reset form; the email is built as every email of the app is (lib.emails),
    in the reader's own language."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        link = reverse("password_reset_confirm", args=[context["uid"], context["token"]])
        context = {**context, "reset_url": absolute(link), "login_url": absolute(reverse("login"))}
        with translation.override(language_of(context["user"])):
            message = emails.make(
                "accounts/emails/password-reset", to_email, context, from_email=from_email
            )
            message.send()


class SetPasswordForm(SafeInput, auth_forms.SetPasswordForm):
    pass


_take_passwords_as_typed(SetPasswordForm, "new_password1", "new_password2")


class PasswordChangeForm(SafeInput, auth_forms.PasswordChangeForm):
    pass


_take_passwords_as_typed(PasswordChangeForm, "old_password", "new_password1", "new_password2")
