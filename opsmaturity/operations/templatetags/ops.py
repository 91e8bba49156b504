"""The template library of every page: formatting from opsmaturity.lib, and the registry's
own small tags (a flag's reason, a phase badge, a link to the list)."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext

from opsmaturity.lib import formatting, people
from opsmaturity.lib.clock import days_since as _days_since
from opsmaturity.maturity.rules import RULES_BY_KIND, reason_of

register = template.Library()

register.filter("grouped", formatting.grouped)
register.filter("money", formatting.money)
register.filter("person", people.display_name)
# The name with "(left)" for someone who was deactivated, where who runs it matters.
register.filter("person_label", people.person_label)


@register.filter
def reason(flag):
    """Why a flag is open, in the reader's language (rules.reason_of)."""
    return reason_of(flag)


@register.filter
def misread_fields(form):
    """The labels of a form's fields that were not understood, as a list in the
    reader's language ("Owner, Phase"; "責任者、フェーズ")."""
    return formatting.listing(field.label for field in form if field.errors)


@register.filter
def translated(text):
    """Text kept in the database, in the reader's language when the app ships a
    translation of it (the default exit criteria); anything else as written."""
    return gettext(text) if text else text


@register.filter
def days_since(moment):
    return _days_since(moment) if moment else None


@register.simple_tag
def phase_badge(phase_value, label):
    return format_html('<span class="phase phase-{}">{}</span>', phase_value, label)


@register.filter
def get_item(mapping, key):
    """mapping[key], or None (also when there is no mapping: a form without hints)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag
def list_url(params, **extra):
    """A link to the operations list showing exactly the given operations."""
    query = {**params, **{k: v for k, v in extra.items() if v not in (None, "")}}
    return f"{reverse('operations:list')}?{urlencode(query)}"


@register.simple_tag
def flag_list_url(params, kind, **extra):
    """A link to the list of one kind of flag, sorted as the rule orders them."""
    rule = RULES_BY_KIND[kind]
    return list_url(params, **{**extra, "flag": kind, "sort": rule.list_sort})


@register.filter
def get_period(periods, key):
    return dict(periods).get(key, "")
