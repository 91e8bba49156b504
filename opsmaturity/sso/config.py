"""Reading the single sign-on settings from the environment (settings.py calls these).

Imports nothing of the project's apps: settings.py reads it before any app is loaded.
"""

from django.core.exceptions import ImproperlyConfigured

ROLES = ("member", "manager")


def parse_group_map(raw, name="OIDC_GROUP_MAP"):
    """``"ops-billing=Billing:member, ops-billing-leads=Billing:manager"`` →
    ``{"ops-billing": [("Billing", "member")], "ops-billing-leads": [("Billing", "manager")]}``.

    Entries are separated by commas or new lines. A group is split from its team at the
    last ``=`` and a team from its role at the last ``:``, so group names may hold ``=``
    (``cn=ops,…`` excepted: no entry may hold a comma) and team names may hold ``:``.
    The same group may map to several teams. A bad entry stops the start with a message.
    """
    mapping = {}
    for entry in raw.replace("\n", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        group, equals, target = entry.rpartition("=")
        team, colon, role = target.rpartition(":")
        group, team, role = group.strip(), team.strip(), role.strip().lower()
        if not equals or not colon or not group or not team:
            raise ImproperlyConfigured(
                f"{name}: {entry!r} is not GROUP=TEAM:ROLE "
                "(e.g. ops-billing=Billing:member, ops-billing-leads=Billing:manager)"
            )
        if role not in ROLES:
            raise ImproperlyConfigured(
                f"{name}: the role in {entry!r} must be member or manager, not {role!r}"
            )
        targets = mapping.setdefault(group, [])
        if (team, role) not in targets:
            targets.append((team, role))
    return mapping
