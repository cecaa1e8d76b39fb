from django.conf import settings


def platform(request):
    return {"support_phone": settings.IDP_SUPPORT_PHONE}
