"""SCIM 2.0 push: a business system registered with `--scim-url`/`--scim-token` is told, within
seconds, of the persons who entered it (SCIM `User`) and of the organisations they act for there
(`Group`, the delegates as members) — and of every change to them — so it keeps no stale copy.

What a target holds: a User per natural person, `userName` and `externalId` the subject the
system already sees in tokens (sso/claims.py), `displayName`/`name.formatted`, `active`,
`userType` (natural) and the real-name state as an entitlement `realname:<status>`; a Group per
organisation, `externalId` its subject, `displayName` its name, `members` the persons who hold a
grant in force for this system. No login name, identity number, phone or e-mail leaves: systems
are given none of these by sign-on either.

How: an audit entry of a change (profile, real-name, enabled/disabled, grant given/changed/ended,
first entry to a system) queues `fan_out`, which writes one ScimChange per target concerned;
core/outbox.py sends each (retried with back-off on 5xx, 408, 429 and no answer; given up at once
on any other refusal: logged, counted in `idp_scim_changes{kind="failed"}`). A change carries no
data — sending it pushes the account as it is then, and only what differs from what the target was
last sent (ScimResource keeps its id and a digest). Users are changed by PATCH where the target's
ServiceProviderConfig supports it (attributes a business system set itself survive), PUT
otherwise; members go in chunks of CHUNK. Before creating, the target is searched by externalId,
so a retry after a lost answer never makes a second User. `reconcile` (hourly, and
`manage.py scim_reconcile`) compares the target's listing with what it should hold and repairs it:
a target restarted empty is refilled. A dry run (`ScimTarget.dry_run`) logs what would be sent.
"""

import hashlib
import json
import logging
from collections import Counter

import httpx2
from django.db import transaction
from django.utils import timezone
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    Entitlement,
    Group,
    GroupMember,
    Name,
    PatchOp,
    PatchOperation,
    ScimProvider,
    SearchRequest,
    ServiceProviderConfig,
    User,
)

from idp.accounts.models import Account
from idp.audit.log import record
from idp.audit.models import AuditEntry, Event
from idp.catalogue.models import BusinessSystem
from idp.core import jobs
from idp.core.outbox import Outbox, Refused
from idp.delegation.models import Grant
from idp.delegation.selectors import grants_in_force
from idp.provisioning.audience import accounts_of, systems_knowing
from idp.provisioning.models import ScimChange, ScimResource, ScimTarget
from idp.sso import claims, clients

log = logging.getLogger(__name__)

CHANGES = {Event.PROFILE_UPDATED, Event.ACCOUNT_DISABLED, Event.ACCOUNT_ENABLED, Event.REALNAME_PASSED,
           Event.REVIEW_APPROVED, Event.GRANT_CREATED, Event.GRANT_CHANGED, Event.GRANT_REVOKED,
           Event.GRANT_DECLINED}
ENTRIES = {Event.SSO_SIGN_ON, Event.SYSTEM_ENTERED}  # pushed only the first time
CHUNK = 100  # group members per request: many services refuse more
PAGE = 500  # resources per page when listing a target
RETRY_DELAYS = [5, 15, 30, 60, 120, 300, 900, 1800, 3600, 7200, 21600]  # a target down for hours still catches up
RETRIED_STATUSES = {408, 429}  # and every 5xx
BATCH, TIMEOUT = 5, 10.0
FINISHED_KEPT_DAYS = 7
PROVIDER = ScimProvider(models=[User, Group])


# --- what a target should hold --------------------------------------------------------------------

def user_resource(account: Account) -> User:
    party = claims.Party.of(account)
    sub = claims.subject(party)
    return User(user_name=sub, external_id=sub, display_name=party.name, name=Name(formatted=party.name),
                active=party.is_active, user_type=party.kind,
                entitlements=[Entitlement(value=f"realname:{party.realname_status}", type="realname")])


def group_resource(organisation: Account) -> Group:
    party = claims.Party.of(organisation)
    return Group(display_name=party.name, external_id=claims.subject(party))


def delegates(organisation: Account, system: BusinessSystem):
    """The persons who may act for the organisation in the system now: the group's members."""
    return (Account.objects.filter(pk__in=grants_in_force().filter(organisation=organisation, system=system)
                                   .values("person_id")).select_related("person").order_by("pk"))


def _digest(resource) -> str:
    body = resource.model_dump(scim_ctx=None, exclude_none=True)
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


# --- talking to a target --------------------------------------------------------------------------

class Target:
    """One conversation with a target's SCIM service; remembers the last HTTP status, which says
    whether a failure is worth retrying."""

    def __init__(self, target: ScimTarget, timeout: float):
        self.model, self.status = target, None
        self.http = httpx2.Client(base_url=target.url.rstrip("/") + "/", timeout=timeout, follow_redirects=False,
                                  headers={"Authorization": f"Bearer {target.token}"},
                                  event_hooks={"request": [self._asking], "response": [self._seen]})
        self.scim = SyncSCIMClient(self.http, provider=PROVIDER)

    def _asking(self, request) -> None:
        self.status = None  # stays None if no answer comes

    def _seen(self, response) -> None:
        self.status = response.status_code

    def close(self) -> None:
        self.http.close()

    def patch_supported(self) -> bool:
        if self.model.patch_supported is None:
            config = self.scim.query(ServiceProviderConfig)
            self.model.patch_supported = bool(config.patch and config.patch.supported)
            ScimTarget.objects.filter(pk=self.model.pk).update(patch_supported=self.model.patch_supported)
        return self.model.patch_supported

    def find(self, model, external_id: str) -> str | None:
        found = self.scim.query(model, query_parameters=SearchRequest(filter=f'externalId eq "{external_id}"'))
        return found.resources[0].id if found.resources else None

    def listing(self, model) -> dict[str, str]:
        """externalId → id of every resource of one kind the target holds (page by page)."""
        held, start = {}, 1
        while True:
            page = self.scim.query(model, query_parameters=SearchRequest(
                attributes=["externalId"], start_index=start, count=PAGE))
            for resource in page.resources or []:
                if resource.external_id:
                    held[resource.external_id] = resource.id
            start += len(page.resources or [])
            if not page.resources or start > (page.total_results or 0):
                return held

    def members_of(self, group_id: str) -> list[str]:
        group = self.scim.query(Group, group_id)
        return [member.value for member in group.members or []]

    def create(self, resource) -> str:
        """POST; should the target hold it already (a change and a reconcile racing), that one, brought
        up to date."""
        try:
            return self.scim.create(resource).id
        except Exception:
            if self.status != 409:
                raise
            model = type(resource)
            found = self.find(model, resource.external_id)
            if found is None:
                raise
            self.update(model, found, resource, USER_PATHS if model is User else GROUP_PATHS)
            return found

    def update(self, model, remote_id: str, resource, paths: list[str]) -> None:
        if self.patch_supported():
            operations = [PatchOperation(op="replace", path=path, value=_value(resource, path)) for path in paths]
            self.scim.modify(model, remote_id, PatchOp[model](operations=operations))
        else:
            resource.id = remote_id
            self.scim.replace(resource)

    def change_members(self, group_id: str, add: list[str], remove: list[str]) -> None:
        """At most CHUNK members a request: an `add` of CHUNK members, or CHUNK `remove`s."""
        requests = [[PatchOperation(op="add", path="members", value=[{"value": v} for v in add[i:i + CHUNK]])]
                    for i in range(0, len(add), CHUNK)]
        requests += [[PatchOperation(op="remove", path=f'members[value eq "{v}"]') for v in remove[i:i + CHUNK]]
                     for i in range(0, len(remove), CHUNK)]
        for operations in requests:
            self.scim.modify(Group, group_id, PatchOp[Group](operations=operations))


def _value(resource, path: str):
    value = resource
    for part in path.split("."):
        value = getattr(value, {"displayName": "display_name", "userType": "user_type",
                                "externalId": "external_id"}.get(part, part))
    if isinstance(value, list):
        return [item.model_dump(exclude_none=True) for item in value]
    return value


USER_PATHS = ["displayName", "name.formatted", "active", "userType", "entitlements"]
GROUP_PATHS = ["displayName"]


def _missing(conversation: Target) -> bool:
    return conversation.status == 404


def _remember(target: ScimTarget, account: Account, kind: str, remote_id: str, digest: str,
              members: list[str] | None = None) -> None:
    ScimResource.objects.update_or_create(target=target, account=account, defaults={
        "kind": kind, "remote_id": remote_id, "digest": digest, "members": members or []})


def push_user(conversation: Target, account: Account, *, known: dict | None = None) -> str:
    """Bring the target's User of a person up to date; returns its id at the target. `known`
    (externalId → id, from a listing) says which resources the target really holds."""
    target, resource = conversation.model, user_resource(account)
    digest, record_ = _digest(resource), ScimResource.objects.filter(target=target, account=account).first()
    if record_ and known is not None and known.get(resource.external_id) != record_.remote_id:
        record_.delete()  # the target lost it (restarted empty, or deleted by hand)
        record_ = None
    if record_ and record_.digest == digest:
        return record_.remote_id
    if record_:
        try:
            conversation.update(User, record_.remote_id, resource, USER_PATHS)
            _remember(target, account, ScimResource.USER, record_.remote_id, digest)
            return record_.remote_id
        except Exception:
            if not _missing(conversation):
                raise
            record_.delete()
    remote_id = (known or {}).get(resource.external_id) if known is not None else conversation.find(
        User, resource.external_id)
    if remote_id:
        conversation.update(User, remote_id, resource, USER_PATHS)
    else:
        remote_id = conversation.create(resource)
        if known is not None:
            known[resource.external_id] = remote_id  # made during this reconcile: not lost again
    _remember(target, account, ScimResource.USER, remote_id, digest)
    return remote_id


def push_group(conversation: Target, organisation: Account, *, known: dict | None = None,
               known_users: dict | None = None) -> str:
    """Bring the target's Group of an organisation up to date, its members first."""
    target, resource = conversation.model, group_resource(organisation)
    members = [push_user(conversation, person, known=known_users) for person in delegates(organisation, target.system)]
    digest, record_ = _digest(resource), ScimResource.objects.filter(target=target, account=organisation).first()
    if record_ and known is not None and known.get(resource.external_id) != record_.remote_id:
        record_.delete()
        record_ = None
    if record_ and known is None and record_.digest == digest and record_.members == members:
        return record_.remote_id
    remote_id, held = None, None
    if record_:
        try:
            if record_.digest != digest:
                conversation.update(Group, record_.remote_id, resource, GROUP_PATHS)
            remote_id = record_.remote_id
            held = record_.members if known is None else conversation.members_of(remote_id)
        except Exception:
            if not _missing(conversation):
                raise
            record_.delete()
    if remote_id is None:
        remote_id = (known or {}).get(resource.external_id) if known is not None else conversation.find(
            Group, resource.external_id)
        if remote_id:
            conversation.update(Group, remote_id, resource, GROUP_PATHS)
            held = conversation.members_of(remote_id)
        else:
            first = members if not conversation.patch_supported() else members[:CHUNK]
            resource.members = [GroupMember(value=m) for m in first]
            remote_id, held = conversation.create(resource), first
            if known is not None:
                known[resource.external_id] = remote_id
    if set(held) != set(members):
        if conversation.patch_supported():
            conversation.change_members(remote_id, [m for m in members if m not in set(held)],
                                        [m for m in held if m not in set(members)])
        else:
            resource.members = [GroupMember(value=m) for m in members]
            conversation.update(Group, remote_id, resource, [])
    _remember(target, organisation, ScimResource.GROUP, remote_id, digest, members)
    return remote_id


def push(conversation: Target, account: Account, **known) -> str:
    if account.is_legal:
        return push_group(conversation, account, **known)
    return push_user(conversation, account, known=known.get("known_users"))


def _plan(target: ScimTarget, account: Account) -> str:
    """What a push would do, judged from what the platform last sent (for a dry run)."""
    resource = group_resource(account) if account.is_legal else user_resource(account)
    held = ScimResource.objects.filter(target=target, account=account).first()
    operation = "create" if held is None else "unchanged" if held.digest == _digest(resource) else "update"
    log.info("SCIM dry run", extra={"system": target.system.code, "resource": type(resource).__name__,
                                    "external_id": resource.external_id, "operation": operation})
    return operation


def _send(change: ScimChange, timeout: float) -> None:
    target = change.target
    if target.dry_run:
        _plan(target, change.account)
        return
    conversation = Target(target, timeout)
    try:
        push(conversation, change.account)
    except Exception as exc:
        status, cause = conversation.status, exc.__cause__ or exc  # the network error under the client's
        if status is None or status in RETRIED_STATUSES or status >= 500:  # no answer, or try later
            raise RuntimeError(f"HTTP {status}: {exc}" if status else f"{type(cause).__name__}: {cause}") from exc
        raise Refused(f"HTTP {status}: {exc}") from exc  # refused, or an answer the platform cannot use
    finally:
        conversation.close()


OUTBOX = Outbox(ScimChange, _send, RETRY_DELAYS, "SCIM change", related=("target__system", "account__person",
                                                                           "account__organisation"))


def deliver(pk: int) -> bool:
    """The job queued with each change: its first attempt."""
    return OUTBOX.deliver(pk, TIMEOUT)


def deliver_due(*, limit: int = BATCH, timeout: float = TIMEOUT) -> int:
    """Every minute: the retries that are due, and any change whose job was lost."""
    return OUTBOX.deliver_due(limit=limit, timeout=timeout)


def purge_finished() -> int:
    return OUTBOX.purge_finished(FINISHED_KEPT_DAYS)


# --- the events -----------------------------------------------------------------------------------

def on_audit_entry(sender, instance: AuditEntry, created: bool, **kwargs) -> None:
    """post_save of an audit entry: a change a SCIM target should hear of goes out once committed."""
    if created and (instance.event in CHANGES or instance.event in ENTRIES) and any_target():
        jobs.enqueue("idp.provisioning.scim.fan_out", instance.pk)


def any_target() -> bool:
    """Whether a SCIM target is active: asked on every sign-on, so kept with the registered
    clients' process copy (sso/clients.py), which a target's change empties everywhere."""
    return clients.cached(("scim-targets",), lambda: ScimTarget.objects.filter(is_active=True).exists())


def _concerned(entry: AuditEntry) -> list[tuple[ScimTarget, int]]:
    """(target, account id) pairs an audit entry makes out of date."""
    active = ScimTarget.objects.filter(is_active=True).select_related("system")
    if entry.event in ENTRIES:
        target = active.filter(system__code=entry.detail.get("system")).first()
        if target is None or entry.account_ref is None or ScimResource.objects.filter(
                target=target, account_id=entry.account_ref).exists():
            return []
        return [(target, entry.account_ref)]
    if entry.event.startswith("grant."):
        grant = Grant.objects.filter(pk=entry.detail.get("grant")).first()
        if grant is None:
            return []
        return [(target, grant.organisation_id) for target in active.filter(system_id=grant.system_id)]
    if entry.account_ref is None:
        return []
    return [(target, entry.account_ref) for target in active.filter(system_id__in=systems_knowing(entry.account_ref))]


def queue(target: ScimTarget, account_id: int) -> ScimChange | None:
    """A change for an account at a target, unless one not yet started is waiting already (it will
    send the account as it is when it starts, this change included)."""
    now = timezone.now()
    if ScimChange.objects.filter(target=target, account_id=account_id, attempts=0, delivered_at__isnull=True,
                                 failed_at__isnull=True, next_attempt_at__lte=now).exists():
        return None
    change = ScimChange.objects.create(target=target, account_id=account_id, url=target.url, next_attempt_at=now)
    jobs.enqueue("idp.provisioning.scim.deliver", change.pk)
    return change


def fan_out(entry_id: int) -> int:
    """The job queued by an event: one change per target concerned. Returns how many were queued."""
    entry = AuditEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        return 0
    with transaction.atomic():
        return sum(1 for target, account_id in _concerned(entry) if queue(target, account_id))


# --- reconciling and operators --------------------------------------------------------------------

def reconcile(target: ScimTarget, *, timeout: float = TIMEOUT) -> dict:
    """Make the target hold what it should: every account the system knows, as it is now, the
    groups with exactly their delegates. Returns counts for the operator."""
    accounts = accounts_of(target.system).iterator(chunk_size=1000)  # read as sent: an audience may be millions
    if target.dry_run:
        plans = Counter(_plan(target, account) for account in accounts)
        return {operation: plans[operation] for operation in ("create", "update", "unchanged")}
    conversation = Target(target, timeout)
    sent = Counter()
    try:
        target.patch_supported = None  # ask again: the target may have changed
        conversation.patch_supported()
        users, groups = conversation.listing(User), conversation.listing(Group)
        for account in accounts:
            sent["groups" if account.is_legal else "users"] += 1
            try:
                push(conversation, account, **({"known": groups, "known_users": users} if account.is_legal
                                               else {"known_users": users}))
            except Exception as exc:
                if conversation.status is None or conversation.status >= 500 or conversation.status == 429:
                    raise  # the target is down: the next reconcile, or the changes' retries, catch up
                log.warning("SCIM reconcile: account refused", extra={  # the others still go
                    "system": target.system.code, "account": account.pk, "status": conversation.status,
                    "reason": f"{type(exc).__name__}: {exc}"[:200]})
    finally:
        conversation.close()
    ScimTarget.objects.filter(pk=target.pk).update(reconciled_at=timezone.now())
    return {"users": sent["users"], "groups": sent["groups"]}


def reconcile_all() -> int:
    """Hourly: every active target (one that fails is logged and tried again next hour)."""
    done = 0
    for target in ScimTarget.objects.filter(is_active=True).select_related("system"):
        try:
            reconcile(target)
            done += 1
        except Exception as exc:  # the target is down: the next hour, or its changes' retries, catch up
            log.warning("SCIM reconcile of %s failed: %s: %s", target.system.code, type(exc).__name__, exc)
    return done


def register(*, system: BusinessSystem, url: str, token: str, dry_run: bool = False) -> ScimTarget:
    """Set a system's SCIM target (and enable it); everyone the system knows is pushed next."""
    with transaction.atomic():
        target, _ = ScimTarget.objects.update_or_create(system=system, defaults={
            "url": url, "token": token, "is_active": True, "dry_run": dry_run, "patch_supported": None})
        record(Event.SCIM_REGISTERED, actor=None, system=system.code, url=url, dry_run=dry_run)
        jobs.enqueue("idp.provisioning.scim.reconcile_system", system.pk)
    return target


def reconcile_system(system_id: int) -> dict | None:
    """The job queued when a target is registered: everyone the system knows, pushed now (a target
    not answering yet is logged and caught up by the hourly reconcile)."""
    target = ScimTarget.objects.filter(system_id=system_id, is_active=True).select_related("system").first()
    if target is None:
        return None
    try:
        return reconcile(target)
    except Exception as exc:
        log.warning("SCIM reconcile of %s failed: %s: %s", target.system.code, type(exc).__name__, exc)
        return None


def undelivered() -> dict:
    waiting = ScimChange.objects.filter(delivered_at__isnull=True)
    return {"pending": waiting.filter(failed_at__isnull=True).count(),
            "failed": waiting.filter(failed_at__isnull=False).count()}

