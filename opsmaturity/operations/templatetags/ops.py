from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext

from opsmaturity.maturity.clock import days_since as _days_since
from opsmaturity.maturity.rules import reason_of

register = template.Library()


@register.filter
def reason(flag):
    """Why a flag is open, in the reader's language (rules.reason_of)."""
    return reason_of(flag)


@register.filter
def translated(text):
    """Text kept in the database, in the reader's language when the app ships a
    translation of it (the default exit criteria); anything else as written."""
    return gettext(text) if text else text


@register.filter
def grouped(value):
    """A count with its digits grouped as the language writes them: 27166 → "27,166"."""
    if value in (None, ""):
        return "—"
    return number_format(value, force_grouping=True)


@register.filter
def money(value):
    """120000.00 → "¥120,000" style: grouped, no decimals unless there are cents."""
    if value in (None, ""):
        return "—"
    value = Decimal(value)
    places = 0 if value == value.to_integral_value() else 2
    return (
        f"{number_format(value, decimal_pos=places, force_grouping=True)} {settings.OPS_CURRENCY}"
    )


@register.filter
def days_since(moment):
    return _days_since(moment) if moment else None


@register.simple_tag
def phase_badge(phase_value, label):
    return format_html('<span class="phase phase-{}">{}</span>', phase_value, label)


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.simple_tag
def list_url(params, **extra):
    """A link to the operations list showing exactly the given operations."""
    from urllib.parse import urlencode

    from django.urls import reverse

    query = {**params, **{k: v for k, v in extra.items() if v not in (None, "")}}
    return f"{reverse('operations:list')}?{urlencode(query)}"


@register.filter
def percent(part, whole):
    return round(100 * part / whole) if whole else 0


@register.filter
def get_period(periods, key):
    return dict(periods).get(key, "")
