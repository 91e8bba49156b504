from django.conf import settings


def ops(request):
    return {"OPS_CURRENCY": settings.OPS_CURRENCY}
