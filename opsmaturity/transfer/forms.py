from django import forms
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.forms import SafeForm

from .reading import MAX_BYTES


class UploadForm(SafeForm):
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("An .xlsx or a .csv file (UTF-8 or Shift_JIS), at most 10 MB."),
        error_messages={
            "required": _("Choose a file to import."),
            "empty": _("The file is empty."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )

    create_missing = forms.BooleanField(
        label=_("Create what the file names and is missing"),
        required=False,
        help_text=_(
            "Teams that do not exist are made; a person named by an address nobody has gets "
            "an account and an email to sign in; people join the teams the file puts them "
            "in. The preview lists each before anything is written."
        ),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from opsmaturity.teams import access

        if user is None or not access.may_create_missing(user):
            del self.fields["create_missing"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB: split it into smaller files.")
                % {"size": MAX_BYTES // (1024 * 1024)}
            )
        return upload


class ConfirmForm(SafeForm):
    # Not data: only what the preview showed, so that confirming imports what was seen.
    fingerprint = forms.CharField(max_length=64, widget=forms.HiddenInput)
