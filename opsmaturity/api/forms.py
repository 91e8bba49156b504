from django import forms
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.forms import SafeModelForm

from .models import ApiToken, Scope


class TokenForm(SafeModelForm):
    scope = forms.ChoiceField(
        label=_("May"),
        choices=Scope.choices,
        initial=Scope.READ,
        widget=forms.RadioSelect,
        help_text=_("A read-only token cannot change anything, whatever you may change."),
    )

    class Meta:
        model = ApiToken
        fields = ["name", "scope"]
        labels = {"name": _("Name")}
        help_texts = {"name": _("What it is for, e.g. “stall report script”.")}
        error_messages = {"name": {"required": _("Name the token, to tell it apart later.")}}
