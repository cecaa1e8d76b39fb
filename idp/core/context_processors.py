from django.conf import settings


def platform(request):
    return {"support_phone": settings.IDP_SUPPORT_PHONE, "site_owner": settings.IDP_SITE_OWNER,
            "icp_number": settings.IDP_ICP_NUMBER}
