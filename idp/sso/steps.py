"""The browser steps before a code or a ticket, shared by OIDC authorize and CAS login: send
an anonymous user to the login window, and find out whether the signed-in user may enter the
business system and as whom (access.py decides; these render what the user must do)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from idp.catalog.models import BusinessSystem
from idp.sso import access


def login_redirect(system: BusinessSystem, next_url: str):
    return redirect(f"{reverse('login')}?{urlencode({'tab': access.login_tab(system), 'next': next_url})}")


def whom(request, system: BusinessSystem):
    """(None, identity) when the user may enter — identity None for themselves, or the
    organisation they act for — else (the page or redirect the user must see, None)."""
    decision = access.decide(request.user, system)
    if decision.needs_realname:
        messages.warning(request, decision.message)
        return redirect("profile"), None
    if not decision.allowed:
        return render(request, "sso/refused.html", {"system": system, "decision": decision}, status=403), None
    decided, acting_for = access.chosen_identity(request, system, decision)
    if not decided:
        return render(request, "sso/choose.html", {"system": system, "identities": decision.identities,
                                                   "action": request.get_full_path()}), None
    return None, acting_for
