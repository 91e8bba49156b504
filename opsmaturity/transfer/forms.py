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
