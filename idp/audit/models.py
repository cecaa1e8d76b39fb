from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    """Security-relevant events (SPEC 8). Later features add theirs here."""

    REGISTERED = "account.registered", _("注册账号")
    LOGIN = "login.success", _("登录成功")
    LOGIN_FAILED = "login.failure", _("登录失败")
    LOGIN_LOCKED = "login.locked", _("登录锁定")
    LOGOUT = "logout", _("退出登录")
    SESSION_ENDED = "session.ended", _("退出登录设备")
    MFA_ENROLLED = "mfa.enrolled", _("开启两步验证")
    MFA_REMOVED = "mfa.removed", _("关闭两步验证")
    PASSKEY_ADDED = "passkey.added", _("已添加通行密钥")
    PASSKEY_REMOVED = "passkey.removed", _("已删除通行密钥")
    PASSKEY_REFUSED = "passkey.refused", _("通行密钥验证失败")
    PASSWORD_CHANGED = "password.changed", _("修改密码")
    PROFILE_UPDATED = "profile.updated", _("修改账号信息")
    REALNAME_PASSED = "realname.auto_passed", _("国家平台实名认证通过")
    REALNAME_FAILED = "realname.auto_failed", _("实名认证失败")
    REALNAME_UNAVAILABLE = "realname.auto_unavailable", _("实名认证服务暂不可用")
    EVIDENCE_UPLOADED = "realname.evidence_uploaded", _("上传认证材料")
    REVIEW_SUBMITTED = "realname.submitted", _("提交人工审核")
    REVIEW_SUPERSEDED = "realname.superseded", _("审核期间修改信息,需重新上传")
    REVIEW_APPROVED = "realname.approved", _("人工审核通过")
    REVIEW_REJECTED = "realname.rejected", _("人工审核未通过")
    EVIDENCE_VIEWED = "realname.evidence_viewed", _("审核员查看材料")
    GRANT_CREATED = "grant.created", _("授权代办")
    GRANT_CHANGED = "grant.changed", _("修改代办授权")
    GRANT_REVOKED = "grant.revoked", _("撤销代办授权")
    GRANT_DECLINED = "grant.declined", _("拒绝代办授权")
    GRANT_LOOKUP_FAILED = "grant.lookup_failed", _("授权代办:被授权人信息不符")
    SYSTEM_ENTERED = "system.entered", _("进入业务系统")
    SSO_SIGN_ON = "sso.sign_on", _("单点登录业务系统")
    CONSENT_REVOKED = "consent.revoked", _("撤销应用授权")
    RESET_REQUESTED = "reset.requested", _("登录名重置密码:检索用户")
    RESET_CODE_SENT = "reset.code_sent", _("登录名重置密码:发送验证码")
    RESET_FAILED = "reset.failed", _("登录名重置密码:信息不匹配")
    RESET_DONE = "reset.done", _("重置密码完成")
    APPEAL_FILED = "appeal.filed", _("提交申诉")
    APPEAL_FIRST_APPROVED = "appeal.first_approved", _("申诉初审通过(待复核)")
    APPEAL_APPROVED = "appeal.approved", _("申诉审核通过")
    APPEAL_REJECTED = "appeal.rejected", _("申诉审核未通过")
    LEGACY_IMPORT = "migration.run", _("火炬中心用户转移")
    ACCOUNT_ENABLED = "account.enabled", _("启用账号")
    ACCOUNT_DISABLED = "account.disabled", _("停用账号")
    ACCOUNT_DELETED = "account.deleted", _("删除未使用的账号")
    STAFF_CHANGED = "account.staff_changed", _("修改审核与管理权限")
    FEDERATION_LINKED = "federation.linked", _("关联外部身份")
    FEDERATION_UNLINKED = "federation.unlinked", _("解除外部身份关联")
    FEDERATION_REGISTERED = "federation.registered", _("登记外部身份提供方")
    CLIENT_REGISTERED = "client.registered", _("登记接入配置")
    CLIENT_SECRET_ISSUED = "client.secret_issued", _("生成 client_secret")
    ADMIN_ROLE_CHANGED = "admin.role_changed", _("修改管理员角色")
    ADMIN_ACTION = "admin.action", _("系统管理操作")
    WEBHOOK_REGISTERED = "webhook.registered", _("登记事件通知地址")
    SCIM_REGISTERED = "scim.registered", _("登记 SCIM 推送地址")
    API_TOKEN_CREATED = "api.token_created", _("生成运维接口令牌")
    API_TOKEN_REVOKED = "api.token_revoked", _("吊销运维接口令牌")


# The administrators' own actions: in the console's audit log only the 审计管理员 reads them
# (accounts/roles.py).
ADMINISTRATION = frozenset({Event.STAFF_CHANGED, Event.ADMIN_ROLE_CHANGED, Event.ADMIN_ACTION,
                            Event.FEDERATION_REGISTERED, Event.CLIENT_REGISTERED, Event.CLIENT_SECRET_ISSUED,
                            Event.WEBHOOK_REGISTERED, Event.SCIM_REGISTERED,
                            Event.API_TOKEN_CREATED, Event.API_TOKEN_REVOKED})


class AuditEntry(models.Model):
    """One security event: what happened, to which account, done by whom, from where."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    event = models.CharField(_("事件"), max_length=40, choices=Event.choices, db_index=True)
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+", verbose_name=_("账号"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人"))
    # The login name as typed, for events about names that may not exist (failed logins).
    login_name = models.CharField(_("登录名"), max_length=64, blank=True)  # indexed in lower case (Meta)
    ip = models.CharField("IP", max_length=45, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    # The tamper-evident chain (audit/chain.py): the account and actor as written (the foreign keys
    # above become NULL if an account is deleted), the entry's place in the chain and its tag.
    account_ref = models.BigIntegerField(null=True, blank=True)
    actor_ref = models.BigIntegerField(null=True, blank=True)
    # Unique; on PostgreSQL with the month too, the log being partitioned by month (migration 0015).
    chain_seq = models.BigIntegerField(null=True, blank=True, unique=True)
    tag = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "-at"]),
                   models.Index(Lower("login_name"), name="audit_login_name_lower")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_event_display()} {self.login_name}"


class ChainHead(models.Model):
    """The one row that says where the chain ends: its last sequence number and tag. The sealer
    locks it, so one sealer at a time extends the chain."""

    seq = models.BigIntegerField(default=0)
    tag = models.CharField(max_length=64, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)
    # Retention (audit/export.py): entries up to purged_seq were exported and deleted; purged_tag is
    # the last one's tag, where verification of what is left begins.
    purged_seq = models.BigIntegerField(default=0)
    purged_tag = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return f"#{self.seq}"


class AuditExport(models.Model):
    """The one row that says how far the chain has been sent to IDP_AUDIT_SINK (audit/export.py)."""

    sent_seq = models.BigIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"sent through #{self.sent_seq}"
