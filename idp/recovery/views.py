from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from idp.accounts import devices
from idp.accounts.models import Account, Organisation
from idp.core.http import client_ip
from idp.core.request_body import accepts_files
from idp.identifiers import validators
from idp.notify import otp
from idp.realname import uploads
from idp.recovery import forms, services

RESET_STEPS = [gettext_lazy("检索用户"), gettext_lazy("重置密码"), gettext_lazy("重置密码完成")]
APPEAL_STEPS = [gettext_lazy("上传证件"), gettext_lazy("等待审核")]
ORG_APPEAL_STEPS = [gettext_lazy("检索单位"), gettext_lazy("上传文件"), gettext_lazy("等待审核")]


def choose(request):
    """选择找回密码方式."""
    return render(request, "recovery/choose.html")


def _steps(names, current):
    return [{"name": name, "state": "done" if i < current else "current" if i == current else ""}
            for i, name in enumerate(names)]


# --- 5.1 ----------------------------------------------------------------------------------------

@never_cache
def reset_lookup(request):
    """检索用户: 登录名 + image captcha; throttled per IP."""
    form = forms.LookupForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            account = services.find_account(login_name=form.cleaned_data["login_name"], ip=client_ip(request))
        except services.RecoveryError as refused:
            error = str(refused)
        else:
            if account is None:
                form.add_error("login_name", _("该登录名不存在,请核对后重新输入"))
            else:
                request.session["reset_account"] = account.pk
                return redirect("reset-verify")
    return render(request, "recovery/reset_lookup.html",
                  {"form": form, "error": error, "steps": _steps(RESET_STEPS, 0)})


@never_cache
def reset_verify(request):
    """重置密码: the reserved phone (or e-mail) twice, the unit's data for organisations, the
    new password and the code sent to the reserved phone."""
    account = Account.objects.filter(pk=request.session.get("reset_account"), is_active=True).first()
    if account is None:
        return redirect("reset-lookup")
    notice = None
    ip = client_ip(request)
    device = devices.trusted_device(request, account.login_name)
    if request.method == "POST" and "send_code" in request.POST:
        form = forms.ResetForm(initial=request.POST.dict(), account=account)
        method = "email" if request.POST.get("method") == "email" else "phone"
        captcha = forms.SendCodeForm(request.POST)
        if not captcha.is_valid():
            notice = {"ok": False, "text": captcha.errors["captcha"][0]}
        else:
            try:
                services.send_reset_code(account=account, method=method,
                                         destination=request.POST.get(method, ""), ip=ip, device=device)
            except services.RecoveryError as error:
                notice = {"ok": False, "text": str(error), "wait": error.wait}
            else:
                what = _("电子邮箱") if method == "email" else _("手机号")
                notice = {"ok": True, "wait": settings.IDP_OTP_RESEND_SECONDS,
                          "text": _("如填写的%(what)s与预留信息一致,验证码已发送,5 分钟内有效") % {"what": what}}
    else:
        form = forms.ResetForm(request.POST or None, account=account)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            confirm = data["phone_confirm"] if data["method"] == "phone" else data["email_confirm"]
            try:
                services.reset_password(
                    account=account, method=data["method"], destination=form.destination,
                    destination_confirm=confirm, org_name=data.get("org_name", ""), uscc=data.get("uscc", ""),
                    code=data["code"], new_password=data["password"], reason=data["reason"], ip=ip,
                    device=device)
            except services.RecoveryError as error:
                form.add_error(error.field, str(error))
            else:
                del request.session["reset_account"]
                request.session["reset_done"] = True
                return redirect("reset-done")
    return render(request, "recovery/reset_verify.html", {
        "form": form, "send_form": forms.SendCodeForm(), "account": account, "notice": notice,
        "steps": _steps(RESET_STEPS, 1)})


def reset_done(request):
    if not request.session.pop("reset_done", False):
        return redirect("reset-lookup")
    return render(request, "recovery/reset_done.html", {"steps": _steps(RESET_STEPS, 2)})


# --- 5.2 / 5.3 ----------------------------------------------------------------------------------

def _file_appeal(request, form, kind, code_id=None):
    data = form.cleaned_data
    try:
        appeal = services.file_appeal(kind=kind, data=data, front=data["front"], back=data["back"],
                                      ip=client_ip(request))
    except uploads.InvalidUploads as refused:
        for side, message in refused.errors.items():
            form.add_error(side, message)
        return None
    if code_id is not None:
        otp.consume_code(code_id)
    request.session["appeal_reference"] = appeal.reference
    return redirect("appeal-waiting")


@accepts_files
@never_cache
def person_appeal(request):
    """自然人申诉找回密码: documents and an SMS code to the phone that will get the answer."""
    form = forms.PersonAppealForm(request.POST or None, request.FILES or None)
    notice = None
    if request.method == "POST" and request.POST.get("send_code") == "phone":
        form = forms.PersonAppealForm(initial=request.POST.dict())
        try:
            phone = validators.mobile(request.POST.get("phone", ""))
            otp.send_code(phone=phone, purpose="appeal", ip=client_ip(request))
            notice = {"field": "phone", "ok": True, "text": _("验证码已发送,5 分钟内有效;请重新选择证件图片")}
        except (validators.InvalidIdentifier, otp.CodeError) as error:
            notice = {"field": "phone", "ok": False, "text": str(error)}
    elif request.method == "POST" and form.is_valid():
        try:
            code_id = otp.check_code(phone=form.cleaned_data["phone"], purpose="appeal",
                                     code=form.cleaned_data["sms_code"])
        except otp.CodeError as error:
            form.add_error("sms_code", str(error))
        else:
            done = _file_appeal(request, form, "natural", code_id)
            if done:
                return done
    return render(request, "recovery/person_appeal.html",
                  {"form": form, "notice": notice, "steps": _steps(APPEAL_STEPS, 0)})


@never_cache
def org_search(request):
    """检索单位: 单位全称 (+ USCC) + captcha; throttled per IP."""
    form = forms.OrgSearchForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            org = services.find_organisation(name=form.cleaned_data["org_name"], uscc=form.cleaned_data["uscc"],
                                             ip=client_ip(request))
        except services.RecoveryError as refused:
            error = str(refused)
        else:
            if org is None:
                form.add_error("org_name", _("未找到该单位的法人账号,请核对单位全称(及统一社会信用代码)"))
            else:
                request.session["appeal_org"] = org.pk
                request.session["appeal_org_uscc"] = form.cleaned_data["uscc"] or ""  # what was typed
                request.session["appeal_org_contact"] = (services.masked_contact(org)
                                                         if form.cleaned_data["uscc"] else None)
                return redirect("appeal-org-form")
    return render(request, "recovery/org_search.html",
                  {"form": form, "error": error, "steps": _steps(ORG_APPEAL_STEPS, 0)})


@accepts_files
@never_cache
def org_appeal(request):
    org = Organisation.objects.filter(pk=request.session.get("appeal_org")).first()
    if org is None:
        return redirect("appeal-org")
    form = forms.OrgAppealForm(request.POST or None, request.FILES or None,
                               initial={"org_name": org.name, "uscc": request.session.get("appeal_org_uscc", "")})
    if request.method == "POST" and form.is_valid():
        done = _file_appeal(request, form, "legal")
        if done:
            del request.session["appeal_org"]
            return done
    return render(request, "recovery/org_appeal.html", {
        "form": form, "org": org, "contact": request.session.get("appeal_org_contact"),
        "steps": _steps(ORG_APPEAL_STEPS, 1)})


def appeal_waiting(request):
    reference = request.session.get("appeal_reference")
    if not reference:
        return redirect("password-forgot")
    return render(request, "recovery/appeal_waiting.html", {"reference": reference})


@never_cache
def appeal_status(request):
    """申诉进度查询: reference number + the phone given; captcha-protected."""
    form = forms.AppealStatusForm(request.POST or None)
    appeal = None
    if request.method == "POST" and form.is_valid():
        appeal = services.appeal_status(reference=form.cleaned_data["reference"], phone=form.cleaned_data["phone"])
        if appeal is None:
            form.add_error(None, _("未找到该申诉,请核对申诉编号和手机号"))
    return render(request, "recovery/appeal_status.html", {"form": form, "appeal": appeal})


@never_cache
def set_password(request, token):
    """The single-use link of an approved appeal."""
    link = services.link_for(token)
    if link is None:
        return render(request, "recovery/link_invalid.html", status=410)
    form = forms.SetPasswordForm(request.POST or None, account=link.account)
    if request.method == "POST" and form.is_valid():
        try:
            services.use_link(token=token, new_password=form.cleaned_data["password"], ip=client_ip(request))
        except services.RecoveryError:
            return render(request, "recovery/link_invalid.html", status=410)
        messages.success(request, _("新密码已设置,请登录"))
        return redirect(f"/login/?tab={link.account.kind}")
    return render(request, "recovery/set_password.html", {"form": form, "login_name": link.account.login_name})
