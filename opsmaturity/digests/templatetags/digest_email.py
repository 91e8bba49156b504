"""The digest email's colours and small filters.

Mail clients read no stylesheet of ours, so the email's stylesheet
(templates/digests/emails/digest.css) is inlined into each element when the
email is built (lib.emails). Its colours come from the tables here, the same
values as the app's own (static/css/app.css, ``:root``; a test compares them).
"""

from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.formats import number_format

register = template.Library()

# The app's colours (static/css/app.css, :root), by the names app.css gives them.
COLOURS = {
    "ink": "#1d2433",
    "muted": "#5a6375",
    "line": "#d9dee7",
    "bg": "#f6f7f9",
    "accent": "#1f5fbf",
    "danger": "#b3261e",
    "warn": "#8a5a00",
    "ok": "#1e6b3a",
}
# One colour per phase, keyed by the phase's value.
PHASE_COLOURS = {
    "launch": "#6d4cc2",
    "standardize": "#1f5fbf",
    "automate": "#0f7b6c",
    "cost_optimize": "#8a5a00",
    "retire": "#6b7280",
}


@register.simple_tag
def email_palette():
    """The colours as CSS variables, which css-inline resolves into plain values."""
    variables = {**COLOURS, **PHASE_COLOURS}
    return ":root { " + " ".join(f"--{name}: {value};" for name, value in variables.items()) + " }"


@register.simple_tag
def phase_classes():
    """``phase-text-<phase>`` (its colour) and ``phase-dot-<phase>`` (a dot of it)."""
    return "\n".join(
        f".phase-text-{phase} {{ color: var(--{phase}); }}\n"
        f".phase-dot-{phase} {{ background-color: var(--{phase}); }}"
        for phase in PHASE_COLOURS
    )


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
def change_tone(value, good_when="down"):
    """The class of a change: tone-good, tone-bad, or tone-none when nothing moved.

    ``good_when`` is "up" or "down".
    """
    if not value:
        return "tone-none"
    going_up = Decimal(value) > 0
    return "tone-good" if going_up == (good_when == "up") else "tone-bad"
