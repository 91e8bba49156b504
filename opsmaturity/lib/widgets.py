"""Form widgets shared by the apps."""

import html

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _


class QuickSelect(forms.Select):
    """forms.Select written in Python, not one template render per option.

    The same HTML for flat choices. For long lists: the operations list's owner
    filter offers 2,000 people at 100,000 operations, and rendering them through
    the option template took 90 of the page's 108 ms.
    """

    def __init__(self, attrs=None, choices=(), label_field=None):
        super().__init__(attrs, choices)
        # A model field whose value is each option's label (its __str__): the options are
        # then read as (key, label) pairs, no model built per option (2,000 teams).
        self.label_field = label_field

    def render(self, name, value, attrs=None, renderer=None):
        if self.label_field and isinstance(self.choices, ModelChoiceIterator):
            return self._render_pairs(name, value, attrs)
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], flatatt(option["attrs"]), option["label"])
                for _group, group_options, _index in widget["optgroups"]
                for option in group_options
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), options
        )

    def _render_pairs(self, name, value, attrs):
        field = self.choices.field
        key = field.to_field_name or "pk"
        choices = [] if field.empty_label is None else [("", field.empty_label)]
        choices += field.queryset.values_list(key, self.label_field)
        chosen = [str(v) for v in self.format_value(value)]
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            option_tags(choices, selected=chosen[0] if chosen else ""),
        )


def option_tags(choices, selected=None):
    """<option> tags for (value, label) pairs, ``selected`` marked, written in Python
    as QuickSelect writes them: a staff dashboard's team picker and the list's two team
    boxes name 2,000 teams each at 1,000,000 operations. Joined as plain strings
    (format_html per option was most of what is left: 4,000 options, ~35 ms)."""
    selected = None if selected is None else str(selected)
    tags = (
        f'<option value="{_escaped(value)}"{" selected" if str(value) == selected else ""}>'
        f"{_escaped(label)}</option>"
        for value, label in choices
    )
    return mark_safe("".join(tags))  # noqa: S308 - every value and label escaped above


def _escaped(text):
    """conditional_escape without its wrappers: safe text as it is, the rest escaped."""
    if hasattr(text, "__html__"):
        return text.__html__()
    return html.escape(str(text))


class PeoplePicker(forms.CheckboxSelectMultiple):
    """Choose several people: one checkbox each, the chosen first, so that a click adds
    or removes one person and never drops the others (a <select multiple> does).

    That list works as it is, without JavaScript. static/js/people-picker.js adds a
    search box that filters the list by name, and the chosen people as chips, each
    with a button that removes them; both are in the page, hidden, until it runs.
    Written in Python, as QuickSelect, for teams of hundreds. The names are the
    field's labels (lib.people.person_label: each as they chose it).
    """

    class Media:
        js = ["js/people-picker.js"]

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        base = widget["attrs"].get("id") or f"id_{name}"
        options = [
            option
            for _group, group_options, _index in widget["optgroups"]
            for option in group_options
        ]
        # The chosen first, then everyone by name, as people read a list of names.
        options.sort(key=lambda o: (not o["selected"], str(o["label"]).casefold()))
        rows = format_html_join(
            "",
            '<li data-name="{}"><label><input type="checkbox" name="{}" value="{}" id="{}"{}>'
            " <span>{}</span></label></li>",
            (
                (
                    str(option["label"]).casefold(),
                    widget["name"],
                    option["value"],
                    f"{base}_{index}",
                    " checked" if option["selected"] else "",
                    option["label"],
                )
                for index, option in enumerate(options)
            ),
        )
        texts = {
            "data-remove": _("Remove %(name)s"),
            "data-added": _("%(name)s added"),
            "data-removed": _("%(name)s removed"),
            "data-shown": _("%(shown)s of %(total)s shown"),
        }
        return format_html(
            '<div class="people-picker" data-people-picker{}>'
            '<div class="picker-chosen" data-picker-chosen hidden>'
            '<span class="picker-chosen-label" id="{}_chosen">{}</span>'
            '<ul class="picker-chips" data-picker-chips aria-labelledby="{}_chosen"></ul>'
            '<span class="picker-none muted" data-picker-none>{}</span></div>'
            '<div class="picker-search" data-picker-search hidden>'
            '<label for="{}_search">{}</label>'
            '<input type="search" id="{}_search" autocomplete="off" enterkeyhint="search"'
            ' aria-controls="{}_options" aria-describedby="{}_shown">'
            '<span class="picker-shown muted small" id="{}_shown" data-picker-shown></span></div>'
            '<ul class="picker-options" id="{}_options" data-picker-options>{}</ul>'
            '<p class="picker-nobody muted" data-picker-nobody hidden>{}</p>'
            '<p class="visually-hidden" aria-live="polite" data-picker-status></p></div>',
            flatatt(texts),
            base,
            _("Chosen:"),
            base,
            _("Nobody yet"),
            base,
            _("Find a person"),
            base,
            base,
            base,
            base,
            base,
            rows,
            _("Nobody by that name."),
        )


class PersonSearch(forms.TextInput):
    """A text box for one person (lib.people.PersonLookupField) that suggests, as one
    types, the few people a search URL returns for it: htmx fills a <datalist> with at
    most lib.people.SEARCH_LIMIT of them, each as its username (what the box sends)
    named as they chose. No script of ours: the browser shows the suggestions, and
    without JavaScript the box takes a username or an email as it is.

    ``search_url`` is set by the form (lib imports no app): the search view reads the
    text under the box's own name."""

    def __init__(self, attrs=None, search_url=""):
        super().__init__(attrs)
        self.search_url = search_url

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        base = widget["attrs"].get("id") or f"id_{name}"
        widget["attrs"].update(
            {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
        )
        if not self.search_url:
            return context
        widget["attrs"].update(
            {
                "list": f"{base}_people",
                "hx-get": self.search_url,
                "hx-trigger": "input changed delay:250ms, focus once",
                "hx-target": f"#{base}_people",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
                # Inside a filter form that pushes its address: the suggestions do not.
                "hx-push-url": "false",
            }
        )
        return context

    def render(self, name, value, attrs=None, renderer=None):
        box = super().render(name, value, attrs, renderer)
        if not self.search_url:
            return box
        base = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        return format_html('{}<datalist id="{}_people"></datalist>', box, base)
