"""Text people type: one normal form for names, and what no text may hold.

Names are compared, and stored, in one normal form (``normalize_name``):
Unicode NFKC (a full-width "ＫＹＣ" is "KYC"), without the characters that show
nothing (zero-width spaces and joiners, direction marks, soft hyphens…), with
white space collapsed to single spaces. Two names that look the same are then
the same name, for the uniqueness rules and their database constraints alike.

Free text keeps what was typed, but a text made only of invisible characters
is no text (``visible``), and control characters (NUL and the like, which
PostgreSQL refuses and terminals obey) are refused with a message.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Format characters that render as nothing, and the Hangul fillers that render blank.
INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
# C0 and C1 controls but tab, line feed and carriage return, which text areas send.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def normalize_name(value):
    """The one spelling of a name: NFKC, nothing invisible, single spaces, trimmed."""
    text = unicodedata.normalize("NFKC", value or "")
    return " ".join(INVISIBLE.sub("", text).split())


def visible(value):
    """The text, or "" when it holds nothing a reader would see."""
    text = value or ""
    return text if INVISIBLE.sub("", text).strip() else ""


def same_name(queryset, name, exclude_pk=None, field="name"):
    """The row of ``queryset`` whose name is this one, compared in the normal form and
    ignoring case as the uniqueness constraints do (``Lower(name)``); None if free."""
    clash = queryset.filter(**{f"{field}__iexact": normalize_name(name)})
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    return clash.first()


def validate_no_control_characters(value):
    if value and CONTROL.search(str(value)):
        raise ValidationError(
            _("Remove the control characters (such as NUL) from this text."),
            code="control_characters",
        )
