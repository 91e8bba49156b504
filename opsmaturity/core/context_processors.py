from functools import partial

from django.conf import settings

from opsmaturity.teams.access import can_see_people, may_use_admin


def ops(request):
    return {
        "OPS_CURRENCY": settings.OPS_CURRENCY,
        # A callable: templates call it only where they ask, once per request.
        "can_use_admin": partial(may_use_admin, request.user),
        "can_see_people": partial(can_see_people, request.user),
    }
