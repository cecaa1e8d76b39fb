"""两步验证 pages: the second step of a login (verify, or enrol for staff on their first
login) and 我的信息 → 两步验证 for anyone. The rules live in accounts/mfa.py."""

import time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from idp.accounts import devices, hooks, mfa, passkeys, services
from idp.accounts.models import Account
from idp.audit.log import record
from idp.audit.models import Event
from idp.core import permissions, ratelimit
from idp.core.http import client_ip

PENDING = "mfa_pending"  # {"account", "next", "since", "tries"}: the password was right
SECRET = "mfa_secret"  # the secret being enrolled, until its first code confirms it
PENDING_SECONDS = 300
MAX_TRIES = 5
MAX_FAILURES_PER_HOUR = 10
BACKEND = "idp.accounts.auth.LoginNameBackend"


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("验证码"), max_length=20,
                           error_messages={"required": gettext_lazy("请输入验证码")},
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


def begin(request, account: Account, next_url: str, *, methods=("pwd",)):
    """The first factor passed (a password, or an upstream's login: `methods`); the second comes
    next (called by the login views)."""
    request.session[PENDING] = {"account": account.pk, "next": next_url, "since": time.time(), "tries": 0,
                                "methods": list(methods)}
    return redirect("login-enrol" if not mfa.enrolled(account) else "login-verify")


def _pending(request):
    state = request.session.get(PENDING)
    if not state or time.time() - state["since"] > PENDING_SECONDS:
        return None, None
    return Account.objects.filter(pk=state["account"], is_active=True).first(), state


def _finish(request, account: Account, state: dict, response=None):
    """Both factors passed: sign in, and trust this browser for the name from now on."""
    request.session.pop(PENDING, None)
    services.log_in(request, account, backend=BACKEND, methods=(*state.get("methods", ["pwd"]), "otp"))
    permissions.mark_second_factor(request)
    next_url = state["next"]
    response = response or (next_url and hooks.answer_after_login(request, next_url)) or \
        redirect(next_url or "online")
    devices.remember(request, response, account.login_name)
    return response


def _too_many(request):
    request.session.pop(PENDING, None)
    messages.error(request, _("两步验证失败次数过多,请稍后重新登录"))
    return redirect("login")


def _failed(request, account: Account, state: dict):
    """A wrong code (its failure was counted before the comparison): after MAX_TRIES the
    password must be given again."""
    state["tries"] += 1
    request.session[PENDING] = state
    record(Event.LOGIN_FAILED, account=account, ip=client_ip(request), reason="second_factor",
           method="totp", agent=request.META.get("HTTP_USER_AGENT", "")[:200])
    return _too_many(request) if state["tries"] >= MAX_TRIES else None


@never_cache
def verify(request):
    account, state = _pending(request)
    if account is None:
        return redirect("login")
    if not mfa.enrolled(account):
        return redirect("login-enrol")
    if ratelimit.count("mfa-fail", str(account.pk)) >= MAX_FAILURES_PER_HOUR:
        return _too_many(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The failure is counted before the comparison and given back on success, so parallel
        # guesses can never compare more codes than MAX_FAILURES_PER_HOUR (for the account,
        # whatever the browser).
        if ratelimit.hit("mfa-fail", str(account.pk), window=3600) > MAX_FAILURES_PER_HOUR:
            return _too_many(request)
        if mfa.verify(account, form.cleaned_data["code"]):
            ratelimit.give_back("mfa-fail", str(account.pk))
            return _finish(request, account, state)
        if refused := _failed(request, account, state):
            return refused
        form.add_error("code", _("验证码错误或已使用,请输入身份验证器中的最新验证码或一个恢复码"))
    return render(request, "accounts/mfa_verify.html", {"form": form, "login_name": account.login_name})


def _enrolment(request, account: Account):
    """The enrolment form (shared by login and 我的信息): a secret kept in the session until
    the first code confirms it. Returns (page context, recovery codes or None)."""
    secret = request.session.get(SECRET) or mfa.new_secret()
    request.session[SECRET] = secret
    form = CodeForm(request.POST or None)
    codes = None
    if request.method == "POST" and form.is_valid():
        codes = mfa.enrol(account, secret, form.cleaned_data["code"])
        if codes is None:
            form.add_error("code", _("验证码不正确,请核对身份验证器中显示的 6 位数字"))
        else:
            request.session.pop(SECRET, None)
            record(Event.MFA_ENROLLED, account=account, actor=account, ip=client_ip(request))
    return {"form": form, **mfa.provisioning(account, secret)}, codes


@never_cache
def enrol_at_login(request):
    """Staff's first login: enrol an authenticator before the console opens."""
    account, state = _pending(request)
    if account is None:
        return redirect("login")
    if mfa.enrolled(account):
        return redirect("login-verify")
    context, codes = _enrolment(request, account)
    if codes is not None:
        page = render(request, "accounts/mfa_codes.html", {"codes": codes, "next": state["next"] or "/online/"})
        return _finish(request, account, state, page)
    return render(request, "accounts/mfa_enrol.html", {**context, "required": mfa.required(account)})


def _passkeys(account: Account) -> dict:
    listed = list(account.passkeys.all())
    return {"passkeys": listed, "to_review": any(p.to_review for p in listed),
            "passkeys_available": passkeys.available()}


@login_required
@never_cache
def security(request):
    """我的信息 → 两步验证: enrol, or (not for staff) remove with a current code."""
    account = request.user
    if mfa.enrolled(account):
        form = CodeForm(request.POST or None)
        if request.method == "POST" and not mfa.required(account) and form.is_valid():
            if mfa.verify(account, form.cleaned_data["code"]):
                mfa.remove(account)
                record(Event.MFA_REMOVED, account=account, actor=account, ip=client_ip(request))
                messages.success(request, _("已关闭两步验证"))
                return redirect("mfa-settings")
            form.add_error("code", _("验证码错误或已使用"))
        return render(request, "accounts/mfa_settings.html", {
            "section": "profile", "enrolled": True, "form": form, "required": mfa.required(account),
            **_passkeys(account)})
    context, codes = _enrolment(request, account)
    if codes is not None:
        return render(request, "accounts/mfa_codes.html", {"codes": codes, "next": "/online/security/"})
    return render(request, "accounts/mfa_settings.html", {**context, "section": "profile", "enrolled": False,
                                                          **_passkeys(account)})
