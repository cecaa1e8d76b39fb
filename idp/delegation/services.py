"""Grant, change, revoke and decline delegation (用户授权管理, SPEC 4).

Every change is one transaction and is audited on both sides: one entry on the
organisation's account and one on the person's.
"""

from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idp.accounts.models import Account, AccountKind
from idp.audit.log import audit_row, record
from idp.audit.models import Event
from idp.catalogue.models import BusinessSystem
from idp.core import events, ratelimit
from idp.core.errors import Refused
from idp.delegation.events import GrantEnded
from idp.delegation.models import Grant, GrantSource, GrantStatus
from idp.delegation.selectors import grants_in_force

# Deliberately one message for every way a look-up can miss, so the form reveals nothing
# about accounts the organisation does not already know.
PERSON_NOT_FOUND = gettext_lazy("未找到符合条件的已实名认证自然人用户,请核对登录名、姓名和证件号码后四位")
ORGANISATION_UNVERIFIED = gettext_lazy("本单位完成实名认证后才能授权他人代办,请先在“我的信息”中完成实名认证")
TOO_MANY_MISSES = gettext_lazy("核对失败次数过多,请一小时后再试")


class DelegationError(Refused):
    pass


class GrantNotFound(DelegationError):
    def __init__(self):
        super().__init__(_("授权记录不存在"), code="not_found")


def find_person(*, organisation: Account, login_name: str, name: str, id_suffix: str, ip: str = "") -> Account:
    """The verified natural person with this login name, name and identity-number suffix —
    the 用户授权管理 way in, open only to verified organisations.

    The last four characters are guessable, so misses are counted per organisation and per IP
    (and audited); past the limit the form refuses to look anyone up for an hour.
    """
    if not organisation.is_realname_verified:
        raise DelegationError(ORGANISATION_UNVERIFIED)
    if (ratelimit.count("grant-miss", str(organisation.pk)) >= settings.IDP_GRANT_LOOKUP_MISSES_PER_ORGANISATION
            or ratelimit.count("grant-miss-ip", ip) >= settings.IDP_GRANT_LOOKUP_MISSES_PER_IP):
        raise DelegationError(TOO_MANY_MISSES)
    login_name, name, id_suffix = login_name.strip(), name.strip(), id_suffix.strip().upper()
    if login_name.lower() == organisation.login_name.lower():
        raise DelegationError(_("不能授权给本单位账号,请填写被授权自然人的登录名"), field="login_name")
    person = (Account.objects.filter(login_name__lower=login_name.lower(), kind=AccountKind.NATURAL,
                                     is_active=True).select_related("person").first())
    if (person is None or person.person.name != name or len(id_suffix) != 4
            or not person.person.id_number.upper().endswith(id_suffix) or not person.is_realname_verified):
        ratelimit.hit("grant-miss", str(organisation.pk), window=3600)
        ratelimit.hit("grant-miss-ip", ip, window=3600)
        record(Event.GRANT_LOOKUP_FAILED, account=organisation, actor=organisation, ip=ip,
               login_name_typed=login_name[:64])
        raise DelegationError(PERSON_NOT_FOUND)
    return person


def _check_expiry(expires_on: date | None) -> None:
    if expires_on is not None and expires_on < timezone.localdate():
        raise DelegationError(_("有效期不能早于今天"), field="expires_on")


def _audit_both(event: Event, grant: Grant, *, actor: Account, ip: str, **detail) -> None:
    common = {"system": grant.system.code, "grant": grant.pk, **detail}
    record(event, account=grant.organisation, actor=actor, ip=ip, person=grant.person.login_name, **common)
    record(event, account=grant.person, actor=actor, ip=ip, organisation=grant.organisation.login_name,
           **common)


def create_grants(*, organisation: Account, person: Account, systems, expires_on: date | None,
                  actor: Account | None, ip: str = "", source: str = GrantSource.MANUAL) -> list[Grant]:
    """Grant `person` the right to act for `organisation` in each of `systems`.

    An existing grant in force for a system gets the new expiry instead of a duplicate.
    Used by 用户授权管理 (after find_person) and by the legacy migration (case R4), which
    may authorise persons not yet verified.
    """
    if organisation.kind != AccountKind.LEGAL:
        raise DelegationError(_("只有法人账号可以授权"))
    if person.kind != AccountKind.NATURAL:
        raise DelegationError(PERSON_NOT_FOUND)
    systems = list(systems)
    if not systems:
        raise DelegationError(_("请选择至少一个业务系统"), field="systems")
    for system in systems:
        if not system.delegable or not system.is_active:
            raise DelegationError(_("业务系统“%(system)s”不支持代办授权") % {"system": system.name}, field="systems")
    _check_expiry(expires_on)
    grants = []
    with transaction.atomic():
        for system in systems:
            existing = (Grant.objects.select_for_update()
                        .filter(organisation=organisation, person=person, system=system,
                                status=GrantStatus.ACTIVE).first())
            if existing:
                existing.expires_on = expires_on
                existing.save(update_fields=["expires_on"])
                _audit_both(Event.GRANT_CHANGED, existing, actor=actor, ip=ip,
                            expires_on=str(expires_on or ""))
                grants.append(existing)
                continue
            try:
                with transaction.atomic():
                    grant = Grant.objects.create(organisation=organisation, person=person, system=system,
                                                 expires_on=expires_on, created_by=actor, source=source)
            except IntegrityError:  # created concurrently: the constraint keeps one
                grant = Grant.objects.get(organisation=organisation, person=person, system=system,
                                          status=GrantStatus.ACTIVE)
            _audit_both(Event.GRANT_CREATED, grant, actor=actor, ip=ip, expires_on=str(expires_on or ""),
                        source=source)
            grants.append(grant)
    return grants


def migration_grant_rows(*, organisation: Account, person_id: int, person_login_name: str, systems,
                         at) -> tuple[list[dict], list[dict]]:
    """create_grants' bulk form for the legacy import (case R4), which writes a million accounts in
    batches with COPY: the rows of the grants from `organisation` to a person not yet created
    (by id) in each of `systems`, and their audit rows on both sides — what create_grants
    would write for them, without a statement per grant."""
    grants, audits = [], []
    for system in systems:
        grants.append({"organisation_id": organisation.pk, "person_id": person_id, "system_id": system.pk,
                       "source": GrantSource.MIGRATION, "created_at": at})
        for side, other in ((organisation.pk, person_login_name), (person_id, organisation.login_name)):
            audits.append(audit_row(Event.GRANT_CREATED, account_id=side, at=at, system=system.code,
                                    source=GrantSource.MIGRATION, **{"with": other}))
    return grants, audits


def _own_grant(*, grant_id, **owner) -> Grant:
    """The grant in force with this id belonging to `owner`, locked; GrantNotFound otherwise
    (another organisation's id looks exactly like a missing one)."""
    try:
        return (grants_in_force().select_for_update(of=("self",))
                .select_related("organisation", "person", "system")
                .get(pk=int(grant_id), **owner))
    except (Grant.DoesNotExist, TypeError, ValueError):
        raise GrantNotFound() from None


def change_grant(*, organisation: Account, grant_id, expires_on: date | None, actor: Account,
                 ip: str = "") -> Grant:
    _check_expiry(expires_on)
    with transaction.atomic():
        grant = _own_grant(grant_id=grant_id, organisation=organisation)
        grant.expires_on = expires_on
        grant.save(update_fields=["expires_on"])
        _audit_both(Event.GRANT_CHANGED, grant, actor=actor, ip=ip, expires_on=str(expires_on or ""))
    return grant


def _end(grant: Grant, status: str, actor: Account) -> None:
    grant.status, grant.ended_at, grant.ended_by = status, timezone.now(), actor
    grant.save(update_fields=["status", "ended_at", "ended_by"])
    events.publish(GrantEnded(grant=grant))  # what was entered under it ends now, not at expiry


def revoke_grant(*, organisation: Account, grant_id, actor: Account, ip: str = "") -> Grant:
    with transaction.atomic():
        grant = _own_grant(grant_id=grant_id, organisation=organisation)
        _end(grant, GrantStatus.REVOKED, actor)
        _audit_both(Event.GRANT_REVOKED, grant, actor=actor, ip=ip)
    return grant


def decline_grant(*, person: Account, grant_id, actor: Account, ip: str = "") -> Grant:
    """The authorised person refuses a grant (法人(单位)授权办理情况 → 拒绝)."""
    with transaction.atomic():
        grant = _own_grant(grant_id=grant_id, person=person)
        _end(grant, GrantStatus.DECLINED, actor)
        _audit_both(Event.GRANT_DECLINED, grant, actor=actor, ip=ip)
    return grant


def delegable_systems():
    return BusinessSystem.objects.filter(delegable=True, is_active=True).order_by("name")
