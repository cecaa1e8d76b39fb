from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import i18n
from django.views.decorators.http import require_POST

from idp.accounts import devices, forms, hooks, mfa, mfa_views, passkeys, services
from idp.accounts.login import LoginRefused, authenticate_at_tab
from idp.accounts.models import LOGIN_WINDOWS, Account, AccountKind
from idp.core import permissions
from idp.core.http import client_ip, local_next
from idp.identifiers import validators
from idp.notify import otp


def _send_code_from_form(request, form_class):
    """The 获取验证码 button without scripts: send the code, re-show the form as typed."""
    form = form_class(initial=request.POST.dict())
    phone_field = form_class.sms_phone_field
    try:
        phone = validators.mobile(request.POST.get(phone_field, ""))
        otp.send_code(phone=phone, purpose=form_class.sms_purpose, ip=client_ip(request))
        notice = {"field": phone_field, "ok": True, "text": _("验证码已发送,5 分钟内有效")}
    except (validators.InvalidIdentifier, otp.CodeError) as exc:
        notice = {"field": phone_field, "ok": False, "text": str(exc)}
    return form, notice


def _check_sms(form):
    """Check the SMS code of a valid form; on failure the form gets the error, None is returned."""
    try:
        return otp.check_code(phone=form.cleaned_data[form.sms_phone_field],
                              purpose=form.sms_purpose, code=form.cleaned_data[form.sms_code_field])
    except otp.CodeError as exc:
        form.add_error(form.sms_code_field, str(exc))
        return None


def registration_page(request, form_class, template, create, *, initial=None, done=None, extra=None):
    """One registration page: send a code, or validate, check the code and `create`; then the
    registration's done page, or `done(account)`'s response. `initial`/`extra`: what the page
    starts with and shows besides (a registration begun at an upstream provider)."""
    notice = None
    if request.method == "POST" and request.POST.get("send_code") == form_class.sms_phone_field:
        form, notice = _send_code_from_form(request, form_class)
    elif request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid() and (code_id := _check_sms(form)):
            try:
                account = create(form.cleaned_data, code_id)
            except services.Conflict as exc:
                form.add_error(exc.field, exc.message)
            except otp.CodeError as exc:
                form.add_error(form_class.sms_code_field, str(exc))
            else:
                if done is not None:
                    return done(account)
                request.session["registered"] = account.login_name
                return redirect("register-done")
    else:
        form = form_class(initial=initial)
    return render(request, template, {"form": form, "notice": notice, **(extra or {})})


def register_landing(request):
    return render(request, "accounts/register_landing.html")


def register_natural(request):
    def create(data, code_id):
        return services.register_natural_person(
            login_name=data["login_name"], password=data["password"], name=data["name"],
            identity_type=data["identity_type"], id_type=data["id_type"],
            id_number=data["id_number"], phone=data["phone"], code_id=code_id,
            ip=client_ip(request),
        )

    return registration_page(request, forms.NaturalRegistrationForm,
                         "accounts/register_natural.html", create)


def register_legal(request):
    def create(data, code_id):
        return services.register_organisation(data=data, code_id=code_id, ip=client_ip(request))

    return registration_page(request, forms.LegalRegistrationForm, "accounts/register_legal.html",
                         create)


AGREEMENTS = {"natural": gettext_lazy("自然人实名注册协议"), "legal": gettext_lazy("法人实名注册协议")}


def agreement(request, kind):
    if kind not in AGREEMENTS:
        raise Http404
    return render(request, "accounts/agreement.html", {"kind": kind, "title": AGREEMENTS[kind]})


def register_done(request):
    """注册完成, with where the automatic real-name check stands and what to do next (it runs in
    a worker: usually done before the page is read, otherwise still under way)."""
    login_name = request.session.get("registered")
    if not login_name:
        return redirect("register")
    account = Account.objects.filter(login_name=login_name).first()
    return render(request, "accounts/register_done.html", {"login_name": login_name, "account": account})


LOGIN_TABS = list(LOGIN_WINDOWS.items())


def login_view(request):
    tab = request.POST.get("kind") or request.GET.get("tab") or AccountKind.NATURAL
    if tab not in AccountKind.values:
        tab = AccountKind.NATURAL
    next_url = local_next(request, request.POST.get("next") or request.GET.get("next"))
    error, locked = None, False
    if request.method == "POST":
        form = forms.LoginForm(request.POST)
        # One transaction: the captcha, the audit entry, last_login and the SSO session are
        # written with one commit.
        with transaction.atomic():
            if form.is_valid():
                data = form.cleaned_data
                try:
                    account = authenticate_at_tab(
                        request, kind=data["kind"], login_name=data["login_name"],
                        password=data["password"], ip=client_ip(request),
                        device=devices.trusted_device(request, data["login_name"]),
                    )
                except LoginRefused as exc:
                    error, locked = str(exc), exc.locked
                else:
                    if mfa.needs_second_factor(account):
                        return mfa_views.begin(request, account, next_url)
                    services.log_in(request, account)
                    # Back to the business system at once where `next` is its authorization request.
                    answer = hooks.answer_after_login(request, next_url) if next_url else None
                    response = answer or redirect(next_url or "online")
                    devices.remember(request, response, data["login_name"])
                    return response
    else:
        form = forms.LoginForm(initial={"kind": tab})
    return render(request, "accounts/login.html", {"form": form, "tab": tab, "tabs": LOGIN_TABS, "error": error,
                                                   "locked": locked, "next": next_url,
                                                   "passkeys": passkeys.available(),
                                                   "other_ways": hooks.choices_for_login(tab, next_url)})


def admin_login(request):
    """Django's admin login form would skip the second factor: use the platform's login. A
    signed-in person without the right is told so, not shown a login form."""
    if request.user.is_authenticated and not request.user.is_staff:
        raise PermissionDenied(permissions.STAFF_ONLY)
    next_url = local_next(request, request.GET.get("next"), "/admin/")
    if request.user.is_authenticated:  # staff, but this session has no second factor yet
        messages.info(request, _("请重新登录并完成两步验证"))
    return redirect(f"{reverse('login')}?{urlencode({'next': next_url})}")


@require_POST
def set_language(request):
    """The header's 中文 / English switch (Django's view), remembered for the messages the platform
    sends a signed-in person (SMS after a review, e-mail codes)."""
    response = i18n.set_language(request)
    chosen = request.POST.get("language", "")
    if request.user.is_authenticated:
        services.remember_language(request.user, chosen)
    return response


@require_POST
def logout_view(request):
    elsewhere = hooks.redirect_after_logout(request)  # read while the session still says how it began
    services.log_out(request, ip=client_ip(request))
    messages.info(request, _("您已安全退出登录"))
    return redirect(elsewhere or "login")


@login_required
def profile(request):
    account = request.user
    extra = {**hooks.context_for_profile(account), "last_login": services.previous_login(account)}
    if account.is_natural:
        return render(request, "accounts/profile_natural.html",
                      {"section": "profile", "person": account.person, **extra})
    return render(request, "accounts/profile_legal.html", {"section": "profile", "org": account.organisation, **extra})


@login_required
def profile_edit(request):
    account = request.user
    if account.is_natural:
        profile, form_class, template = (account.person, forms.NaturalProfileForm,
                                         "accounts/profile_natural_edit.html")
    else:
        profile, form_class, template = (account.organisation, forms.OrganisationProfileForm,
                                         "accounts/profile_legal_edit.html")
    if request.method == "POST":
        form = form_class(request.POST, instance=profile)
        if form.is_valid():
            try:
                services.update_profile(account=account, profile=form.instance,
                                        email=form.cleaned_data["email"],
                                        documents=form_class.documents, actor=account,
                                        ip=client_ip(request))
            except services.Conflict as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(request, _("信息已保存"))
                return redirect("profile")
    else:
        form = form_class(instance=profile)
    return render(request, template, {"section": "profile", "form": form})


@login_required
def profile_history(request):
    """信息更新记录: every change to the organisation's data, newest first."""
    if not request.user.is_legal:
        raise PermissionDenied(_("信息更新记录只对法人用户开放"))
    changes = request.user.organisation.changes.select_related("actor")[:200]
    return render(request, "accounts/profile_history.html", {"section": "profile", "changes": changes})


@login_required
def profile_logins(request):
    """登录记录: the account's sign-ins and refused attempts of the last LOGINS_KEPT_DAYS days."""
    return render(request, "accounts/profile_logins.html", {"section": "profile",
                                                            "entries": services.login_history(request.user)})


@login_required
def password_change(request):
    if request.method == "POST":
        form = forms.PasswordChangeForm(request.user, request.POST)
        if form.is_valid():
            services.change_password(request=request, account=request.user,
                                     new_password=form.cleaned_data["password"], ip=client_ip(request))
            messages.success(request, _("密码已修改,其他设备上的登录已失效"))
            return redirect("profile")
    else:
        form = forms.PasswordChangeForm(request.user)
    return render(request, "accounts/password_change.html", {"section": "profile", "form": form})
