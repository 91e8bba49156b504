"""Small filters for the digest emails, where there is no stylesheet: colours inline."""

from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.formats import number_format

register = template.Library()

# The app's phase colours (static/css/app.css), for mail clients that read no CSS.
PHASE_COLOURS = {
    "launch": "#6d4cc2",
    "standardize": "#1f5fbf",
    "automate": "#0f7b6c",
    "cost_optimize": "#8a5a00",
    "retire": "#6b7280",
}


@register.filter
def phase_colour(phase):
    return PHASE_COLOURS.get(str(phase), "#5a6375")


@register.filter
def signed(value):
    """+3, −2 or ±0; an em dash when there is nothing to compare with."""
    if value is None:
        return "—"
    value = Decimal(value)
    places = 0 if value == value.to_integral_value() else 2
    text = number_format(abs(value), decimal_pos=places, force_grouping=True)
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"−{text}"
    return "±0"


@register.filter
def signed_money(value):
    if value is None:
        return "—"
    return f"{signed(value)} {settings.OPS_CURRENCY}"


@register.filter
def change_colour(value, good_when="down"):
    """Red or green for a change; grey when nothing moved. ``good_when`` is "up" or "down"."""
    if not value:
        return "#5a6375"
    going_up = Decimal(value) > 0
    return "#1e6b3a" if going_up == (good_when == "up") else "#b3261e"
