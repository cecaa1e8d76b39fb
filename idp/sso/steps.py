"""The browser steps before a code or a ticket, shared by OIDC authorize and CAS login: send
an anonymous user to the login window, ask for the password again when a business system
demands a new login (CAS renew, OIDC prompt=login), and find out whether the signed-in user
may enter the business system and as whom (access.py decides; these render what the user must
do)."""

import copy
import time
from urllib.parse import urlencode

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

from idp.catalogue.models import BusinessSystem
from idp.sso import access, params, sessions

ASKED_KEY = "sso_password_asked"  # {request key: when this server sent the browser to type its password}
FRESH_SECONDS = 120  # a password typed in answer counts as a new login this long


def login_redirect(system: BusinessSystem, next_url: str):
    return redirect(f"{reverse('login')}?{urlencode({'tab': access.login_tab(system), 'next': next_url})}")


def ask_for_password(request, system: BusinessSystem, key: str, next_url: str):
    """Send the browser to type its password for the request `key` (a service, an authorization
    request), remembering when — only a password typed after this counts (password_typed_for)."""
    now = time.time()
    asked = {k: at for k, at in request.session.get(ASKED_KEY, {}).items() if now - at < 3600}
    asked[key] = now
    request.session[ASKED_KEY] = asked
    return login_redirect(system, next_url)


def password_typed_for(request, key: str) -> bool:
    """Whether the password was typed in answer to the request `key`, moments ago. An earlier
    login — through another system, or at the platform — is single sign-on, not a new login;
    and opening the login page's `next` link without typing it proves nothing."""
    asked = request.session.get(ASKED_KEY, {}).get(key)
    typed = request.session.get(sessions.FRESH_LOGIN_KEY)
    return asked is not None and typed is not None and typed >= asked and time.time() - typed <= FRESH_SECONDS


def spend_new_login(request, key: str) -> None:
    """One code or ticket per new login: the next request must ask again."""
    asked = request.session.get(ASKED_KEY, {})
    if asked.pop(key, None) is not None:
        request.session[ASKED_KEY] = asked


def answer_after_login(request, next_url: str, path: str, view):
    """The login's own answer when its `next` is the protocol request at `path` that sent the
    browser to log in (accounts' hook, registered by OIDC and CAS): `view` run as the GET the
    browser would make next, inside the login's request — one round trip, one session load and
    save fewer, one commit. Only a redirect is answered so (back to the business system, or to
    the next step); a page the view shows (choose an identity, consent, a refusal) belongs at its
    own address, where its form posts back: for those the browser is sent there as before."""
    where, _, query = next_url.partition("?")
    if where != path:
        return None
    then = copy.copy(request)  # the same user, session and messages
    then.method, then.path, then.path_info = "GET", path, path
    then.META = {**request.META, "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query}
    then.GET, then.POST = QueryDict(query), QueryDict()
    if params.problem(then):  # what the protocol middleware refuses is refused at its address
        return None
    response = view(then)
    return response if response.status_code == 302 else None


def whom(request, system: BusinessSystem, *, hinted=access.NOT_HINTED):
    """(None, identity) when the user may enter — identity None for themselves, or the
    organisation they act for — else (the page or redirect the user must see, None).
    `hinted`: the identity the business system named (an id_token_hint), taken without asking."""
    decision = access.decide(request.user, system)
    if decision.needs_realname:
        messages.warning(request, decision.message)
        return redirect("profile"), None
    if not decision.allowed:
        return render(request, "sso/refused.html", {"system": system, "decision": decision}, status=403), None
    decided, acting_for = access.chosen_identity(request, system, decision, hinted=hinted)
    if not decided:
        return render(request, "sso/choose.html", {"system": system, "identities": decision.identities,
                                                   "action": request.get_full_path()}), None
    return None, acting_for


# Why no page may be shown (OIDC prompt=none, CAS gateway) and the user cannot enter silently.
NEEDS_LOGIN, NEEDS_INTERACTION, NEEDS_CHOICE = "login", "interaction", "choice"


def silent_identity(request, system: BusinessSystem, *, hinted=access.NOT_HINTED):
    """whom() without a page: (None, identity) when the user may enter as it is, else (why not, None)."""
    decision = access.decide(request.user, system)
    if decision.needs_realname:
        return NEEDS_INTERACTION, None
    if not decision.allowed:
        return NEEDS_LOGIN, None
    decided, acting_for = access.chosen_identity(request, system, decision, hinted=hinted)
    return (None, acting_for) if decided else (NEEDS_CHOICE, None)
