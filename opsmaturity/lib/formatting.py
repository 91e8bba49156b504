"""How numbers, money and messages are written, in the reader's language.

The template filters of the apps (``ops``, ``digest_email``) register these
functions; Python code that words a message calls them directly, so a page,
an email and a flag's reason write the same number the same way.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.formats import date_format, number_format
from django.utils.functional import lazy
from django.utils.translation import pgettext

EMPTY = "—"


def _decimal(value):
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def listing(items, clauses=False):
    """Items joined as the reader's language writes a list: "a, b" in English, "a、b" in
    Japanese (a flag's reasons, a team's names, performers). ``clauses`` for items that
    may hold commas themselves ("value 100 < cost 2,500"): "a; b" in English."""
    if clauses:
        separator = pgettext("separator between clauses that may hold commas", "; ")
    else:
        separator = pgettext("separator between the items of a list", ", ")
    return separator.join(str(item) for item in items)


def day(value):
    """A date as every page writes it (DATE_FORMAT of the language): "Dec. 30, 2026"."""
    if value in (None, ""):
        return EMPTY
    return date_format(value, "DATE_FORMAT")


def grouped(value):
    """A count with its digits grouped as the language writes them: 27166 → "27,166"."""
    if value in (None, ""):
        return EMPTY
    return number_format(value, force_grouping=True)


def amount(value):
    """An amount without its currency: no decimals unless there are cents."""
    number = _decimal(value) if value not in (None, "") else None
    if number is None:
        return EMPTY
    places = 0 if number == number.to_integral_value() else 2
    return number_format(number, decimal_pos=places, force_grouping=True)


def whole_amount(value):
    """An amount rounded down to a whole number, grouped: what a flag's reason shows."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    return number_format(number, decimal_pos=0, force_grouping=True)


def money(value):
    """120000.00 → "120,000 JPY": grouped, no decimals unless there are cents."""
    text = amount(value)
    return text if text == EMPTY else f"{text} {settings.OPS_CURRENCY}"


def signed(value):
    """+3, −2 or ±0; an em dash when there is nothing to compare with."""
    number = _decimal(value) if value is not None else None
    if number is None:
        return EMPTY
    text = amount(abs(number))
    if number > 0:
        return f"+{text}"
    if number < 0:
        return f"−{text}"
    return "±0"


def signed_money(value):
    text = signed(value)
    return text if text == EMPTY else f"{text} {settings.OPS_CURRENCY}"


def _percent(message, values):
    return str(message) % {key: str(value) for key, value in values.items()}


_lazy_percent = lazy(_percent, str)


def lazy_percent(message, **values):
    """``message % values``, done when shown, so that it is in the reader's language
    (form fields are built once, at import, when no language is active)."""
    return _lazy_percent(message, values)
