"""`make run`: register the two demo business systems (demos/) as relying parties and hand
their credentials to the demo processes through var/demo-clients.json."""

import json

from django.conf import settings

from config import env
from idp.catalogue.models import BusinessSystem
from idp.demo import catalogue
from idp.sso import clients


def register_demo_clients(oidc_url: str = catalogue.DEMO_OIDC_URL, cas_url: str = catalogue.DEMO_CAS_URL,
                          *, write: bool = True) -> dict:
    oidc_url, cas_url = oidc_url.rstrip("/"), cas_url.rstrip("/")
    gqrd = BusinessSystem.objects.get(code=catalogue.HIGH_TECH)
    kxqpj = BusinessSystem.objects.get(code=catalogue.TECH_SME)
    # The demos' addresses follow PORT (Makefile): their entrance moves with them.
    oidc = clients.register(name=gqrd.name, protocol="oidc", code=gqrd.code, entrance_url=oidc_url,
                            redirect_uris=[oidc_url + "/callback"], post_logout_redirect_uris=[oidc_url + "/"],
                            backchannel_logout_uri=oidc_url + "/backchannel-logout")
    cas = clients.register(name=kxqpj.name, protocol="cas", code=kxqpj.code, entrance_url=cas_url,
                           service_pattern=cas_url + "/callback")
    registered = {
        "issuer": settings.IDP_ISSUER,
        "oidc": {"base_url": oidc_url, "client_id": oidc.client.client_id, "client_secret": oidc.secret},
        "cas": {"base_url": cas_url, "client_id": cas.client.client_id},
    }
    if write:
        path = env.VAR_DIR / "demo-clients.json"
        path.write_text(json.dumps(registered, ensure_ascii=False, indent=2), encoding="utf-8")
        path.chmod(0o600)
    return registered
