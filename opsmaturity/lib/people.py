"""How a person is named on pages, in emails and in messages: one spelling everywhere."""

from django import forms
from django.utils.translation import gettext as _


def display_name(user):
    """The person's full name, or their username when they gave none; "" for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.username


def person_label(user):
    """The name as a choice in a form: someone who left is marked so."""
    name = display_name(user)
    if not user.is_active:
        return _("%(name)s (left)") % {"name": name}
    return name


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of one person, named as everywhere else."""

    def label_from_instance(self, user):
        return person_label(user)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return person_label(user)
