from django.conf import settings
from django.db import models


class Event(models.TextChoices):
    """Security-relevant events (SPEC 8). Later features add theirs here."""

    REGISTERED = "account.registered", "注册账号"
    LOGIN = "login.success", "登录成功"
    LOGIN_FAILED = "login.failure", "登录失败"
    LOGIN_LOCKED = "login.locked", "登录锁定"
    LOGOUT = "logout", "退出登录"
    MFA_ENROLLED = "mfa.enrolled", "开启两步验证"
    MFA_REMOVED = "mfa.removed", "关闭两步验证"
    PASSWORD_CHANGED = "password.changed", "修改密码"
    PROFILE_UPDATED = "profile.updated", "修改账号信息"
    REALNAME_PASSED = "realname.auto_passed", "国家平台实名认证通过"
    REALNAME_FAILED = "realname.auto_failed", "实名认证失败"
    REALNAME_UNAVAILABLE = "realname.auto_unavailable", "实名认证服务暂不可用"
    EVIDENCE_UPLOADED = "realname.evidence_uploaded", "上传认证材料"
    REVIEW_SUBMITTED = "realname.submitted", "提交人工审核"
    REVIEW_SUPERSEDED = "realname.superseded", "审核期间修改信息,需重新上传"
    REVIEW_APPROVED = "realname.approved", "人工审核通过"
    REVIEW_REJECTED = "realname.rejected", "人工审核未通过"
    EVIDENCE_VIEWED = "realname.evidence_viewed", "审核员查看材料"
    GRANT_CREATED = "grant.created", "授权代办"
    GRANT_CHANGED = "grant.changed", "修改代办授权"
    GRANT_REVOKED = "grant.revoked", "撤销代办授权"
    GRANT_DECLINED = "grant.declined", "拒绝代办授权"
    GRANT_LOOKUP_FAILED = "grant.lookup_failed", "授权代办:被授权人信息不符"
    SYSTEM_ENTERED = "system.entered", "进入业务系统"
    SSO_SIGN_ON = "sso.sign_on", "单点登录业务系统"
    RESET_REQUESTED = "reset.requested", "登录名重置密码:检索用户"
    RESET_CODE_SENT = "reset.code_sent", "登录名重置密码:发送验证码"
    RESET_FAILED = "reset.failed", "登录名重置密码:信息不匹配"
    RESET_DONE = "reset.done", "重置密码完成"
    APPEAL_FILED = "appeal.filed", "提交申诉"
    APPEAL_FIRST_APPROVED = "appeal.first_approved", "申诉初审通过(待复核)"
    APPEAL_APPROVED = "appeal.approved", "申诉审核通过"
    APPEAL_REJECTED = "appeal.rejected", "申诉审核未通过"
    MIGRATION_RUN = "migration.run", "火炬中心用户转移"


class AuditEntry(models.Model):
    """One security event: what happened, to which account, done by whom, from where."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    event = models.CharField("事件", max_length=40, choices=Event.choices, db_index=True)
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+", verbose_name="账号")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+", verbose_name="操作人")
    # The login name as typed, for events about names that may not exist (failed logins).
    login_name = models.CharField("登录名", max_length=64, blank=True, db_index=True)
    ip = models.CharField("IP", max_length=45, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_event_display()} {self.login_name}"
