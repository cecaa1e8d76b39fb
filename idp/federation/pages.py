"""What federation adds to the accounts' pages (accounts/hooks.py): the login page's buttons
and 我的信息's list of linked upstream accounts."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from idp.federation import linking
from idp.federation.models import IdentityProvider


def login_buttons(tab: str, next_url: str) -> list[dict]:
    """使用<名称>登录, under each tab the upstream serves."""
    query = urlencode({"kind": tab, **({"next": next_url} if next_url else {})})
    return [{"label": _("使用%(name)s登录") % {"name": provider.name},
             "url": f"{reverse('federation-start', args=[provider.code])}?{query}"}
            for provider in IdentityProvider.objects.filter(enabled=True) if provider.serves(tab)]


def profile_links(account) -> dict:
    links = linking.links_of(account)
    if not links and not IdentityProvider.objects.filter(enabled=True).exists():
        return {}
    return {"linked_providers": [{"name": link.provider.name, "since": link.created_at, "last_used": link.last_login_at,
                                  "unlink_url": reverse("federation-unlink", args=[link.pk])} for link in links]}
