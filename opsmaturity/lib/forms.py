"""What every form of the project does with what it is sent, whatever the field.

``SafeInput`` is mixed into every Form and ModelForm (a test checks it), so that
each class of bad input is refused in one place, with a message at the field:

- text: control characters refused; a text of invisible characters alone is
  empty (so "required" says so); names (``name_fields``) in their one normal
  form (lib.text.normalize_name); at most ``TEXT_MAX_LENGTH`` characters where
  the field sets no limit of its own;
- numbers: NaN, infinities and signalling NaN are not numbers (Python's Decimal
  raises on comparing a signalling NaN, which a form does when it looks for
  changes);
- dates and times: between EARLIEST_DATE and LATEST_DATE, so that every day,
  turned into a moment in any time zone, stays a moment Python and the
  database can read back;
- several ids at once (a ModelMultipleChoiceField): each one parsed strictly, since
  Django sends the list to the database as it is, and an id past its integers
  ("9999999999999999999") overflows there instead of being "not one of the choices".
"""

import datetime as dt
import math
import re
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _

from .formatting import lazy_percent
from .text import normalize_name, validate_no_control_characters, visible

EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
TEXT_MAX_LENGTH = 10_000
ID = re.compile(r"[0-9]{1,18}")


def parse_id(raw):
    """A database id from a query string or a form, or None (never a 500 for "²" or 10**40)."""
    raw = str(raw or "")
    return int(raw) if ID.fullmatch(raw) else None


def _date_message():
    return lazy_percent(
        _("Enter a date between %(earliest)s and %(latest)s."),
        earliest=EARLIEST_DATE.isoformat(),
        latest=LATEST_DATE.isoformat(),
    )


def _in_range(day):
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(_date_message(), code="date_range")


def validate_date_range(value):
    if value is None:
        return
    if isinstance(value, dt.datetime):
        # The day as typed, in the zone it was typed in: converting a moment at the
        # edge of the calendar to another zone is what overflows.
        value = value.date()
    _in_range(value)


def _text_to_python(original, is_name):
    def to_python(value):
        text = original(value)
        if not text:
            return text
        return normalize_name(text) if is_name else visible(text)

    return to_python


def _is_finite(number):
    if isinstance(number, Decimal):
        return number.is_finite()
    if isinstance(number, float):
        return math.isfinite(number)
    return True


def _finite_to_python(field, original):
    def to_python(value):
        number = original(value)
        if not _is_finite(number):
            raise ValidationError(field.error_messages["invalid"], code="invalid")
        return number

    return to_python


def _strict_ids_clean(field, original):
    def clean(value):
        prepared = field.prepare_value(value)
        if isinstance(prepared, list | tuple):
            for pk in prepared:
                if parse_id(pk) is None:
                    raise ValidationError(
                        field.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return original(value)

    return clean


def _has_integer_keys(field):
    opts = field.queryset.model._meta
    key = opts.get_field(field.to_field_name) if field.to_field_name else opts.pk
    return isinstance(key, models.IntegerField)


def harden(field, is_name=False):
    """Give one form field the project's limits (see the module's docstring)."""
    if getattr(field, "_hardened", False):
        return
    field._hardened = True
    if isinstance(field, forms.CharField):
        field.validators.append(validate_no_control_characters)
        if field.max_length is None:
            field.max_length = TEXT_MAX_LENGTH
            field.validators.append(MaxLengthValidator(TEXT_MAX_LENGTH))
        field.to_python = _text_to_python(field.to_python, is_name)
    elif isinstance(field, forms.DecimalField | forms.FloatField):
        field.to_python = _finite_to_python(field, field.to_python)
    elif isinstance(field, forms.DateField | forms.DateTimeField):
        field.validators.append(validate_date_range)
    elif isinstance(field, forms.ModelMultipleChoiceField) and _has_integer_keys(field):
        field.clean = _strict_ids_clean(field, field.clean)


class SafeInput:
    """Mixed into every form: each field hardened by ``harden`` when the form is made."""

    name_fields = ("name",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Advice about a value that is accepted: {field name: text}, shown under the
        # field like its errors (templates/forms/field_errors.html), never refusing.
        self.hints = {}
        for name, field in self.fields.items():
            harden(field, is_name=name in self.name_fields)

    def full_clean(self):
        """Errors of hidden fields (a version, say) are shown with the form's own, since
        no one can see, or fix, the field itself."""
        super().full_clean()
        if not self.is_bound or not self._errors:
            return
        for name, field in self.fields.items():
            if field.widget.is_hidden and name in self._errors:
                top = self._errors.setdefault(
                    NON_FIELD_ERRORS, self.error_class(error_class="nonfield")
                )
                top.extend(e for e in self._errors[name] if e not in top)


class FormRenderer(TemplatesSetting):
    """Every field of every page drawn by one template (``{{ field.as_field_group }}``):
    label, widget, help and errors, and the live check of the field when its form
    has a ``validate_url`` (templates/forms/field.html)."""

    field_template_name = "forms/field.html"


class SafeForm(SafeInput, forms.Form):
    pass


class SafeModelForm(SafeInput, forms.ModelForm):
    pass
