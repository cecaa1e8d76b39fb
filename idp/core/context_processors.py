from django.conf import settings

from idp.core.request_body import refused_body_notice


def platform(request):
    return {"support_phone": settings.IDP_SUPPORT_PHONE, "site_owner": settings.IDP_SITE_OWNER,
            "icp_number": settings.IDP_ICP_NUMBER, "body_refused": refused_body_notice(request)}
