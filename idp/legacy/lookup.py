"""账号检索 (SPEC 7.1): which case applies to a legacy account and exactly what to do next.

Recorded migrations answer from what the import decided; unregistered enterprises (U1/U2)
and persons (U) are answered live from the platform's accounts.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idp.accounts.models import LOGIN_WINDOWS, Organisation
from idp.legacy.models import ImportFailure, LegacyAccount

VERIFY = gettext_lazy("登录后在“在线办事 - 我的信息”中完善信息并完成实名认证,"
                      "认证后即可进入高企认定、科小企评价等业务系统。")
RECOVER = gettext_lazy("如提示“登录名或密码错误”,说明密码已修改过,请点击“忘记密码?”找回密码后再登录。")


def _answer(case, login_name, window, password, steps):
    return {"case": case, "login_name": login_name, "login_window": window, "password": password,
            "next_steps": steps}


def _recorded(record: LegacyAccount) -> dict:
    name, window = record.login_name, record.account_type
    where = {"window": LOGIN_WINDOWS.get(window, ""), "name": name}
    if record.case == "R4" and record.kind == "person":
        return _answer("R4", None, None, "appeal", [
            _("该手机号对应的本人已在政务服务平台的其他账号完成实名认证,未为您创建新账号(一个证件只能认证一个账号)。"),
            _("如忘记已实名认证账号的登录名,请通过“忘记密码? - 自然人申诉找回密码”找回,找回后即可办理业务。")])
    if record.password == "own":
        return _answer(record.case, name, window, "own", [
            _("在政务服务平台“%(window)s”窗口使用登录名 %(name)s "
              "和您在政务服务平台注册时设置的密码登录(不是火炬中心的密码)。")
            % where,
            _("如忘记密码,请点击“忘记密码?”找回后再登录。"), VERIFY])
    steps = [_("在政务服务平台“%(window)s”窗口使用登录名 %(name)s 和火炬中心的原密码登录。") % where, RECOVER, VERIFY]
    if record.case == "R3":
        steps.insert(0, _("原用户名已被他人在政务服务平台注册,您的账号登录名为 %(name)s(加前缀 HJ_),"
                          "密码不变。") % where)
    if record.case == "R4" and record.kind == "enterprise":
        steps[2] = (_("完成实名认证后,该账号已获得本企业高企认定和科小企评价业务系统的授权,可直接进入办理。"))
        steps.append(_("本企业在政务服务平台另有法人账号;如需知道其登录名,请使用“忘记密码? - 单位法人用户申诉找回密码”,"
                     "填写单位全称和统一社会信用代码并输入验证码,即可看到该法人账号的登录名和主代办人手机号(部分隐藏)。"))
    return _answer(record.case, name, window, "unchanged", steps)


def _not_moved(failure: ImportFailure) -> dict:
    """SPEC 7.4's exceptions: the account exists on the legacy platform, but the migration could
    not move it (an HJ_ collision, a malformed row). `case` is the case the row would have had
    (R3 for a collision on the HJ_ name), so the answer keeps the contract's shape; no login name
    or password is offered, and the steps give the reference the operator finds in 用户转移."""
    reference = f"{failure.legacy_id or '—'}-{failure.run_id}"
    return _answer("R3" if "HJ_" in failure.error else "R1", None,
                   "legal" if failure.kind == "enterprise" else "natural", None, [
                       _("该账号在火炬中心存在,但未能自动转移到政务服务平台,请不要重新注册。"),
                       _("请联系技术支持(电话 %(phone)s),并提供参考编号 %(reference)s;"
                         "工作人员会在“用户转移”中按此编号查到原因并为您处理。")
                       % {"phone": settings.IDP_SUPPORT_PHONE, "reference": reference}])


def _failed(kind: str, key: str) -> ImportFailure | None:
    return ImportFailure.objects.filter(kind=kind, key=key).order_by("-id").first() if key else None


PASSWORDS = {"unchanged": gettext_lazy("火炬中心的原密码(未改变)"),
             "own": gettext_lazy("您在政务服务平台注册时设置的密码"),
             "appeal": gettext_lazy("需要通过申诉找回")}


def for_people(answer: dict) -> dict:
    """The answer as the page shows it: a plain-language heading instead of the case code, the
    facts that apply, and one button for each next step (the JSON API keeps the codes)."""
    login = {kind: (LOGIN_WINDOWS[kind], f"/login/?tab={kind}") for kind in LOGIN_WINDOWS}
    forgot = (_("忘记密码"), "/password/forgot/")
    case, name, window = answer["case"], answer["login_name"], answer["login_window"]
    if name:
        heading, buttons = _("您的账号已转移到政务服务平台"), [login[window], forgot]
    elif answer["password"] == "appeal":
        appeal = (_("自然人申诉找回密码"), "/password/appeal/person/")
        heading, buttons = _("您已有实名认证的账号"), [appeal, login["natural"]]
    elif case == "U1":
        heading, buttons = _("该企业还没有账号,请注册"), [(_("单位用户(法人)注册"), "/register/legal/")]
    elif case == "U2":
        heading, buttons = _("该企业已有政务服务平台的法人账号"), [login["legal"], forgot]
    elif case == "U":
        heading, buttons = _("该手机号还没有账号,请注册"), [(_("自然人注册"), "/register/natural/"), login["natural"]]
    else:  # in the legacy platform, but not moved: the steps name the reference for support
        heading, buttons = _("账号未能自动转移,请联系技术支持"), []
    facts = [(label, value) for label, value in [
        (_("登录名"), name), (_("登录窗口"), window and f"“{login[window][0]}”"),
        (_("密码"), PASSWORDS.get(answer["password"]))] if value]
    return {"heading": heading, "facts": facts, "steps": answer["next_steps"],
            "buttons": [{"label": label, "url": url} for label, url in buttons]}


def lookup_enterprise(uscc: str) -> dict:
    record = LegacyAccount.objects.filter(kind="enterprise", key=uscc).first()
    if record is not None:
        return _recorded(record)
    if failure := _failed("enterprise", uscc):
        return _not_moved(failure)
    if Organisation.objects.filter(uscc=uscc).exists():
        return _answer("U2", None, "legal", None, [
            _("该企业未在火炬中心注册过账号,但已在政务服务平台注册了法人账号。"),
            _("请在“法人登录”窗口登录该账号;如忘记登录名或密码,请点击“忘记密码?”找回。"), VERIFY])
    return _answer("U1", None, "legal", None, [
        _("该企业未在火炬中心注册过账号,也未在政务服务平台注册法人账号。"),
        _("请在政务服务平台“用户注册 - 单位用户(法人)注册”注册法人账号,注册时填写统一社会信用代码。"), VERIFY])


def lookup_person(mobile: str) -> dict:
    record = LegacyAccount.objects.filter(kind="person", key=mobile).first()
    if record is not None:
        return _recorded(record)
    if failure := _failed("person", mobile):
        return _not_moved(failure)
    return _answer("U", None, "natural", None, [
        _("该手机号未在火炬中心注册过个人账号。"),
        _("请在政务服务平台“用户注册 - 自然人注册”注册自然人账号,注册后在“自然人登录”窗口登录。"), VERIFY])
