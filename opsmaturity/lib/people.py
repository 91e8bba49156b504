"""How a person is named on pages, in emails and in messages: one spelling everywhere."""

from django import forms
from django.utils.translation import gettext as _


def display_name(user):
    """The display name of the person's profile, else their full name, else their
    username; "" for nobody.

    The profile is read only when it came with the user (``select_related("profile")``,
    as the signed-in person's always does): naming a list of people never costs a
    query per person. Where it did not come, the full name is shown.
    """
    if user is None:
        return ""
    profile = getattr(getattr(user, "_state", None), "fields_cache", {}).get("profile")
    if profile is not None and profile.display_name:
        return profile.display_name
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
