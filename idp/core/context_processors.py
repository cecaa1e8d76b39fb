from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from config import env
from idp.core.request_body import refused_body_notice


def site_owner() -> str:
    """主办单位 in the page's language: IDP_SITE_OWNER_EN on English pages, else the default
    owner's name translated; an operator's own Chinese name where no English one is given."""
    owner = settings.IDP_SITE_OWNER
    if get_language() == "en":
        if settings.IDP_SITE_OWNER_EN:
            return settings.IDP_SITE_OWNER_EN
        if owner == env.DEFAULTS["IDP_SITE_OWNER"]:
            return _("政务服务平台")
    return owner


def platform(request):
    return {"support_phone": settings.IDP_SUPPORT_PHONE, "site_owner": site_owner(),
            "icp_number": settings.IDP_ICP_NUMBER, "body_refused": refused_body_notice(request)}
